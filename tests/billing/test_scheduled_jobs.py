"""What is due runs by itself: the clock moves on, the scheduler's jobs fire as
APScheduler fires them, the worker runs what they queued, and bills, the delinquency
review and escalations happen with no command typed. Each job twice changes nothing."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.job import Job
from apscheduler.schedulers.blocking import BlockingScheduler
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.services import listbills
from payerdesk.core import schedule, services
from payerdesk.core.models import WorkItem
from payerdesk.groups.models import EmployerGroup

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def scheduler_jobs() -> list[Job]:
    """The jobs `payerdesk scheduler` adds, from an APScheduler that is not started."""
    scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
    schedule.schedule_jobs(scheduler, schedule.scheduled_jobs())
    return scheduler.get_jobs()


def fire_due(jobs: list[Job], since: datetime, now: datetime) -> list[str]:
    """Run, as APScheduler's executor does (`job.func(*job.args, **job.kwargs)`), each
    job with a fire time in (since, now]; several missed times run it once (coalesce)."""
    fired = []
    for job in jobs:
        next_time = job.trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
        if next_time is not None and next_time <= now:
            job.func(*job.args, **job.kwargs)
            fired.append(job.id)
    return fired


@pytest.fixture
def scene(group, make_member, cover, accident, queues) -> Callable[[], WorkItem]:
    cover(make_member("M1"), accident)
    listbills.billing_schedule_set(actor=None, group=group, mode="monthly", first_period_start=JAN)

    def item() -> WorkItem:
        now = local(date(2026, 1, 20), 9)
        return services.work_item_create(
            actor=None, kind="task", title="Chase a chart note", queue=queues["coverage"],
            due_at=now + timedelta(days=2), escalate_at=now + timedelta(days=1),
        )  # fmt: skip

    return item


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=TASKS)
def test_the_clock_moves_and_bills_the_review_and_escalations_happen(group, scene):
    jobs = scheduler_jobs()
    assert {job.id for job in jobs} == set(settings.PAYERDESK_SCHEDULE)
    seen: dict[date, tuple[list[date], str, bool]] = {}
    start = local(date(2025, 12, 15), 2)
    days = [(12, 16), (12, 17), (1, 16), (1, 17), (1, 20), (1, 21), (1, 22), (2, 1), (2, 2)]
    with time_machine.travel(start, tick=False) as clock:
        since = start
        for month, day in days:  # each at 02:00, after the nightly jobs
            now = local(date(2025 if month == 12 else 2026, month, day), 2)
            clock.move_to(now)
            if (month, day) == (1, 20):
                item = scene()
            assert fire_due(jobs, since, now)
            since = now
            run_worker()
            seen[now.date()] = (
                list(
                    ListBill.objects.order_by("period_start").values_list("period_start", flat=True)
                ),
                EmployerGroup.objects.get(pk=group.pk).status,
                WorkItem.objects.filter(escalated_at__isnull=False).exists(),
            )
    # Each bill on its bill date (15 days before its period).
    assert seen[date(2025, 12, 16)][0] == [] and seen[date(2025, 12, 17)][0] == [JAN]
    assert seen[date(2026, 1, 16)][0] == [JAN] and seen[date(2026, 1, 17)][0] == [JAN, FEB]
    # January unpaid: its grace ends 02/01, the group lapses 02/02.
    assert seen[date(2026, 2, 1)][1] == "active" and seen[date(2026, 2, 2)][1] == "lapsed"
    case = Delinquency.objects.get(group=group)
    assert (case.lapsed_on, case.cancel_on) == (date(2026, 2, 2), date(2026, 3, 4))
    # The item escalates at the first run after its escalation time (01/21 09:00), once.
    assert not seen[date(2026, 1, 21)][2] and seen[date(2026, 1, 22)][2]
    item.refresh_from_db()
    assert item.escalated_at is not None
    assert item.timeline.filter(event="escalated").count() == 1
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


def _everything() -> dict[str, list[dict[str, object]]]:
    """Every row of the project's tables (the task results aside)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in {"core", "billing", "groups", "priorauth"}
    }


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=TASKS)
@pytest.mark.parametrize(
    "job_name", [name for name in settings.PAYERDESK_SCHEDULE if name != "letters-due"]
)
def test_each_scheduled_job_run_twice_the_same_day_changes_nothing_the_second_time(
    group, scene, job_name
):
    """A day with something for each job: bills due, a group past its grace period, an
    item past its escalation time (the letters job: tests/priorauth/services/test_letters.py)."""
    listbills.list_bill_generate(actor=None, group=group, period_start=JAN)
    job = next(job for job in scheduler_jobs() if job.id == job_name)
    with time_machine.travel(local(date(2026, 2, 2), 3), tick=False):
        scene()
        before = _everything()
        job.func(*job.args, **job.kwargs)
        run_worker()
        once = _everything()
        assert once != before
        job.func(*job.args, **job.kwargs)
        run_worker()
        assert _everything() == once
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

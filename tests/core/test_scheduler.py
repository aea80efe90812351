"""`payerdesk scheduler`: the schedule is read from one setting and checked, each job is
enqueued on its cron expression and once at start-up, the workers run them."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from payerdesk.core import schedule

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
TICK = "payerdesk.core.tasks.tick"


def test_the_schedule_names_each_daily_job_once():
    jobs = schedule.scheduled_jobs()
    assert [(job.name, job.task_path) for job in jobs] == [
        ("escalations-and-reminders", TICK),
        ("delinquency-review", "payerdesk.billing.tasks.review_delinquency"),
        ("list-bills", "payerdesk.billing.tasks.generate_due_list_bills"),
        ("letters-due", "payerdesk.priorauth.tasks.issue_due_letters"),
    ]
    now = datetime(2026, 3, 4, 12, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))
    nexts = {job.name: when.isoformat() for job, when in schedule.next_runs(jobs, now)}
    assert nexts == {
        "escalations-and-reminders": "2026-03-04T12:00:00-05:00",
        "delinquency-review": "2026-03-05T00:30:00-05:00",
        "list-bills": "2026-03-05T01:00:00-05:00",
        "letters-due": "2026-03-04T12:00:00-05:00",
    }


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"cron": "0 1 * *", "task": TICK}, r"cron '0 1 \* \*' is not valid"),
        ({"cron": "0 61 * * *", "task": TICK}, "is not valid"),
        ({"cron": "0 1 * * 1", "task": TICK}, r"name the weekdays \(mon-fri\), not '1'"),
        ({"cron": "0 1 * * *", "task": "payerdesk.core.tasks.nothing"}, "cannot import task"),
        ({"cron": "0 1 * * *", "task": "payerdesk.core.schedule.enqueue"}, "not a django-tasks"),
        ({"task": TICK}, "keys 'cron' and 'task'"),
    ],
)
def test_a_bad_schedule_entry_names_the_job_and_what_is_wrong(entry, says):
    with (
        override_settings(PAYERDESK_SCHEDULE={"nightly": entry}),
        pytest.raises(ImproperlyConfigured, match=rf"PAYERDESK_SCHEDULE\['nightly'\].*{says}"),
    ):
        schedule.scheduled_jobs()


def test_weekday_names_are_accepted():
    with override_settings(PAYERDESK_SCHEDULE={"audits": {"cron": "0 6 * * mon", "task": TICK}}):
        [job] = schedule.scheduled_jobs()
    monday = job.trigger().get_next_fire_time(None, datetime(2026, 3, 4, tzinfo=ZoneInfo("UTC")))
    assert monday is not None and monday.strftime("%a %H:%M") == "Mon 06:00"


def test_each_job_runs_late_rather_than_never_and_once_for_many_missed_runs():
    scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
    schedule.schedule_jobs(scheduler, schedule.scheduled_jobs())
    jobs = scheduler.get_jobs()
    assert [job.id for job in jobs] == list(settings.PAYERDESK_SCHEDULE)
    for job in jobs:
        assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, None, 1)
        assert job.func is schedule.enqueue and job.args == (
            settings.PAYERDESK_SCHEDULE[job.id]["task"],
        )


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=TASKS)
def test_once_enqueues_every_job_in_order_and_the_worker_runs_them():
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "delinquency-review: 30 0 * * * -> payerdesk.billing.tasks.review_delinquency" in (
        out.getvalue()
    )
    assert "Enqueued 4 job(s) to catch up." in out.getvalue()
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.task_path for row in queued] == [
        entry["task"] for entry in settings.PAYERDESK_SCHEDULE.values()
    ]
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert set(queued.values_list("status", flat=True)) == {"SUCCESSFUL"}

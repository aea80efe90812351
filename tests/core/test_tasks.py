"""The background jobs run on django-tasks' database backend, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import WorkItem
from payerdesk.core.tasks import deliver_email, tick

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_queued_email_waits_for_the_worker_then_is_sent_once():
    result = deliver_email.enqueue(["rep@example.test"], "Follow up", "Work item #1 is due.")
    assert mail.outbox == []

    _run_worker()
    _run_worker()  # a second pass finds nothing left to do

    assert [message.to for message in mail.outbox] == [["rep@example.test"]]
    result.refresh()
    assert result.status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_enqueued_tick_escalates_through_the_worker(make_item, users):
    item = make_item(due_in=timedelta(hours=-1))
    with override_settings(TASKS=DATABASE_TASKS):
        tick.enqueue()
        assert WorkItem.objects.get(pk=item.pk).escalated_at is None
        _run_worker()
    assert WorkItem.objects.get(pk=item.pk).escalated_at is not None
    assert item.timeline.filter(event="escalated").count() == 1


@pytest.mark.django_db(transaction=True)
def test_follow_up_reminder_email_is_delivered_by_the_worker(make_item, users):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    follow_up = services.follow_up_schedule(
        actor=users["rep"],
        item_id=item.pk,
        remind_at=timezone.now() + timedelta(minutes=5),
        message="Call the prescriber's office back",
    )
    with override_settings(TASKS=DATABASE_TASKS):
        services.tick(now=timezone.now() + timedelta(minutes=6))
        assert mail.outbox == []  # queued, not yet sent
        _run_worker()
    follow_up.refresh_from_db()
    assert follow_up.sent_at is not None
    assert [message.to for message in mail.outbox] == [["rep@example.test"]]
    assert f"#{item.pk}" in mail.outbox[0].body
    assert "prescriber" not in mail.outbox[0].body  # the follow-up text stays in payerdesk


# --- the test suite's backend: a task runs when the change that enqueued it commits ------


def _sent() -> list[str]:
    return [str(message.subject) for message in mail.outbox]


def _enqueue(subject: str) -> None:
    deliver_email.enqueue(["rep@example.test"], subject, "Work item #1 is due.")


@pytest.mark.django_db
def test_a_task_enqueued_under_the_test_case_transaction_alone_runs_at_once():
    _enqueue("outside")
    assert _sent() == ["outside"]


@pytest.mark.django_db
def test_a_task_enqueued_in_an_application_transaction_waits_for_its_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        _enqueue("first")
        with transaction.atomic():  # a savepoint: still the same transaction
            _enqueue("nested")
        assert _sent() == []
    assert len(callbacks) == 2 and _sent() == ["first", "nested"]


@pytest.mark.django_db
def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        _enqueue("rolled back")
        _ = 1 / 0
    assert callbacks == [] and _sent() == []


@pytest.mark.django_db(transaction=True)
def test_without_a_test_case_transaction_a_task_runs_at_the_real_commit():
    _enqueue("autocommit")
    assert _sent() == ["autocommit"]
    with transaction.atomic():
        _enqueue("committed")
        assert _sent() == ["autocommit"]
    assert _sent() == ["autocommit", "committed"]

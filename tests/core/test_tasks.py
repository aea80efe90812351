"""The background jobs run on django-tasks' database backend, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import get_date_max

from payerdesk.core import services
from payerdesk.core.models import WorkItem
from payerdesk.core.tasks import deliver_email, tick

DATABASE_TASKS = {
    "default": {"BACKEND": "payerdesk.core.task_backends.DatabaseBackend", "QUEUES": ["default"]}
}


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


@pytest.mark.django_db
@pytest.mark.parametrize("run_after", [None, datetime(2027, 1, 4, 8, 0, tzinfo=UTC)])
def test_our_backend_writes_the_task_row_django_tasks_db_writes(run_after):
    """payerdesk's backend writes its row with insert_rows (and the run_after the
    library's save signal would give it): the same columns as the library's own, so the
    worker runs either."""
    from django_tasks_db.models import DBTaskResult

    library = {
        "default": {**DATABASE_TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}
    }
    rows = []
    for tasks in (DATABASE_TASKS, library):
        with override_settings(TASKS=tasks):
            task = deliver_email.using(priority=7, run_after=run_after)
            queued = task.enqueue(["rep@example.test"], "Hi", "x")
        row = dict(DBTaskResult.objects.filter(pk=queued.id).values().get())
        assert row.pop("id") and row.pop("enqueued_at")
        rows.append(row)
    ours, theirs = rows
    assert ours == theirs
    assert ours["priority"] == 7 and ours["run_after"] == (run_after or get_date_max())
    assert ours["args_kwargs"] == {"args": [["rep@example.test"], "Hi", "x"], "kwargs": {}}


@pytest.mark.django_db
@pytest.mark.parametrize("run_after", [None, datetime(2027, 1, 4, 8, 0, tzinfo=UTC)])
def test_our_backend_returns_the_result_django_tasks_db_builds_from_the_row(run_after):
    """Our enqueue builds its result from the task in hand, not from the row: the same
    result as the library's `row.task_result`, field for field, and the one the
    task_enqueued signal carries."""
    from django_tasks_db.compat import task_enqueued

    signalled = []

    def heard(sender, task_result, **kwargs):
        signalled.append(task_result)

    task_enqueued.connect(heard)
    try:
        with override_settings(TASKS=DATABASE_TASKS):
            task = deliver_email.using(priority=3, run_after=run_after)
            queued = task.enqueue(["rep@example.test"], "Hi", "x")
            library = queued.db_result.task_result  # type: ignore[attr-defined]  # our result
    finally:
        task_enqueued.disconnect(heard)
    assert queued == library
    assert queued.task == library.task and queued.task.run_after == run_after
    assert signalled == [queued]

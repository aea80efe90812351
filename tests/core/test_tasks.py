"""The background jobs run on django-tasks' database backend, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
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

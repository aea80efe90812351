"""The periodic job: escalations and follow-up reminders, each exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.errors import InvalidInput
from payerdesk.core.models import FollowUp, Priority, WorkItem


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (the emails) that the test's transaction would hold back."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def test_tick_escalates_past_due_work_once(users, make_item, run_commits):
    overdue = make_item(title="Member Jane Roe DOB 1970-01-02", due_in=timedelta(hours=-1))
    services.work_item_claim(actor=users["rep"], item_id=overdue.pk)
    nearly = make_item(due_in=timedelta(hours=6))  # within the 12 h escalation window
    calm = make_item(due_in=timedelta(hours=40))

    first = run_commits(services.tick)
    second = run_commits(services.tick)

    assert (first.escalated, second.escalated) == (2, 0)
    overdue.refresh_from_db()
    assert overdue.escalated_at is not None
    assert overdue.priority == Priority.HIGH  # one step up from normal
    assert overdue.timeline.filter(event="escalated", data__overdue=True).count() == 1
    assert WorkItem.objects.get(pk=nearly.pk).timeline.filter(event="escalated").count() == 1
    assert WorkItem.objects.get(pk=calm.pk).escalated_at is None
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"rep@example.test", "supervisor@example.test", "admin@example.test"} <= recipients
    assert all("Jane Roe" not in m.body and "1970" not in m.body for m in mail.outbox)


def test_closed_work_is_never_escalated(users, make_item):
    item = make_item(due_in=timedelta(hours=-1))
    services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="cancelled")
    assert services.tick().escalated == 0


@pytest.mark.parametrize(
    ("remind_at", "message", "field"),
    [
        (timezone.now() - timedelta(minutes=1), "Call back", "remind_at"),
        (timezone.now().replace(tzinfo=None) + timedelta(days=1), "Call back", "remind_at"),
        (timezone.now() + timedelta(days=1), "   ", "message"),
    ],
)
def test_bad_follow_ups_are_refused(users, make_item, remind_at, message, field):
    item = make_item()
    with pytest.raises(InvalidInput) as refused:
        services.follow_up_schedule(
            actor=users["rep"], item_id=item.pk, remind_at=remind_at, message=message
        )
    assert refused.value.field == field
    assert not FollowUp.objects.exists()


def test_a_follow_up_reminds_its_owner_once_when_due(users, make_item, run_commits):
    item = make_item(due_in=timedelta(days=5))
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    remind_at = timezone.now() + timedelta(hours=2)
    follow_up = services.follow_up_schedule(
        actor=users["rep"], item_id=item.pk, remind_at=remind_at, message="Chase the fax"
    )
    assert run_commits(services.tick, now=remind_at - timedelta(minutes=1)).reminders_sent == 0
    assert run_commits(services.tick, now=remind_at).reminders_sent == 1
    assert run_commits(services.tick, now=remind_at + timedelta(hours=1)).reminders_sent == 0
    follow_up.refresh_from_db()
    assert follow_up.sent_at == remind_at
    assert [m.to for m in mail.outbox] == [["rep@example.test"]]
    assert item.timeline.filter(event="follow_up_sent").count() == 1


def test_the_tick_command_prints_what_it_did(make_item, capsys):
    make_item(due_in=timedelta(hours=-2))
    call_command("tick")
    assert "Escalated 1 item(s); sent 0 reminder(s)." in capsys.readouterr().out

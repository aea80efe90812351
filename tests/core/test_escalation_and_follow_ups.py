"""The periodic job: escalate work near or past due, and send follow-up reminders, once each."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import FollowUp, Priority, Team, TimelineEvent, WorkItem
from payerdesk.core.roles import Role

Event = TimelineEvent.Event
PHI_TITLE = "Call Jane Roe, DOB 1961-04-30, member W123456789"


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (the emails) that the test's transaction would hold back."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def _recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def _assert_no_phi_in_mail() -> None:
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        for secret in ("Jane Roe", "1961-04-30", "W123456789", PHI_TITLE):
            assert secret not in text


# --- escalation ---------------------------------------------------------------------------


def test_tick_escalates_due_work_exactly_once(users, make_item, run_commits):
    overdue = make_item(title=PHI_TITLE, due_in=timedelta(hours=-1))
    services.work_item_claim(actor=users["rep"], item_id=overdue.pk)
    nearly_due = make_item(due_in=timedelta(hours=6))  # inside the 12 h window
    calm = make_item(due_in=timedelta(hours=40))
    now = timezone.now()

    first = run_commits(services.tick, now=now)
    second = run_commits(services.tick, now=now + timedelta(minutes=5))

    assert (first.escalated, second.escalated) == (2, 0)
    overdue.refresh_from_db()
    nearly_due.refresh_from_db()
    calm.refresh_from_db()
    assert overdue.escalated_at == now and nearly_due.escalated_at == now
    assert calm.escalated_at is None
    assert (overdue.priority, nearly_due.priority, calm.priority) == (
        Priority.HIGH,
        Priority.HIGH,
        Priority.NORMAL,
    )
    late = overdue.timeline.get(event=Event.ESCALATED)
    early = nearly_due.timeline.get(event=Event.ESCALATED)
    assert (late.actor, late.data, early.data) == (None, {"overdue": True}, {"overdue": False})
    assert not calm.timeline.filter(event=Event.ESCALATED).exists()
    assert len(mail.outbox) == 2  # one message per escalated item


def test_escalation_waits_for_the_escalation_time(make_item, run_commits):
    item = make_item(due_in=timedelta(hours=20))  # escalates 12 hours before: in 8 hours
    item.refresh_from_db()
    assert run_commits(services.tick, now=item.escalate_at - timedelta(seconds=1)).escalated == 0
    assert mail.outbox == []
    assert run_commits(services.tick, now=item.escalate_at).escalated == 1
    assert WorkItem.objects.get(pk=item.pk).escalated_at == item.escalate_at


def test_escalation_emails_the_supervisors_and_the_assignee(users, make_item, run_commits):
    item = make_item(title=PHI_TITLE, due_in=timedelta(hours=-3))
    services.work_item_claim(actor=users["rep"], item_id=item.pk)

    run_commits(services.tick)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    # The supervisor and the administrator hold supervise_queue; nobody else is told.
    assert sorted(message.to) == [
        "admin@example.test",
        "rep@example.test",
        "supervisor@example.test",
    ]
    assert f"#{item.pk}" in message.subject and "overdue" in message.subject
    assert f"/work/{item.pk}/" in message.body
    _assert_no_phi_in_mail()


def test_escalation_goes_to_the_team_lead_when_the_queue_has_one(
    users, make_user, queues, make_item, run_commits
):
    lead = make_user("lead", Role.REP)
    queue = queues["coverage"]
    queue.team = Team.objects.create(name="Coverage Review", lead=lead)
    queue.save()
    unassigned = make_item(title=PHI_TITLE, due_in=timedelta(hours=-1))

    run_commits(services.tick)

    assert [message.to for message in mail.outbox] == [["lead@example.test"]]
    assert WorkItem.objects.get(pk=unassigned.pk).escalated_at is not None
    _assert_no_phi_in_mail()


def test_escalation_raises_priority_one_step_and_no_higher_than_urgent(queues, run_commits):
    due = timezone.now() - timedelta(hours=1)
    items = {
        level: services.work_item_create(
            actor=None,
            kind="task",
            title=f"priority {level}",
            queue=queues["coverage"],
            priority=level,
            due_at=due,
        )
        for level in Priority
    }
    assert run_commits(services.tick).escalated == len(items)
    after = {level: WorkItem.objects.get(pk=item.pk).priority for level, item in items.items()}
    assert after == {
        Priority.URGENT: Priority.URGENT,
        Priority.HIGH: Priority.URGENT,
        Priority.NORMAL: Priority.HIGH,
        Priority.LOW: Priority.NORMAL,
    }


def test_closed_work_is_never_escalated(users, make_item, run_commits):
    done = make_item(due_in=timedelta(hours=-5))
    services.work_item_assign(actor=users["supervisor"], item_id=done.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=done.pk, to_status="cancelled")
    mail.outbox.clear()  # the assignment email

    result = run_commits(services.tick, now=timezone.now() + timedelta(days=30))

    assert result.escalated == 0
    done.refresh_from_db()
    assert (done.escalated_at, done.priority) == (None, Priority.NORMAL)
    assert not done.timeline.filter(event=Event.ESCALATED).exists()
    assert mail.outbox == []


def test_escalation_emails_wait_for_the_commit(
    users, make_item, django_capture_on_commit_callbacks
):
    make_item(due_in=timedelta(hours=-1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.tick()
    assert len(callbacks) == 1
    assert mail.outbox == []


# --- follow-ups ---------------------------------------------------------------------------


def _held(users, make_item, **kwargs) -> WorkItem:
    item = make_item(**kwargs)
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    return item


@pytest.mark.parametrize(
    ("remind_in", "naive", "message", "field"),
    [
        (timedelta(minutes=-1), False, "Chase the fax", "remind_at"),  # the past
        (timedelta(0), False, "Chase the fax", "remind_at"),  # now is not the future
        (timedelta(days=1), True, "Chase the fax", "remind_at"),  # no time zone
        (timedelta(days=1), False, "", "message"),
        (timedelta(days=1), False, " \n\t ", "message"),
    ],
)
def test_a_bad_follow_up_is_refused_and_nothing_is_scheduled(
    users, make_item, monkeypatch, remind_in, naive, message, field
):
    item = _held(users, make_item)
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    remind_at = now + remind_in
    if naive:
        remind_at = timezone.make_naive(remind_at)
    events = item.timeline.count()

    with pytest.raises(InvalidInput) as refused:
        services.follow_up_schedule(
            actor=users["rep"], item_id=item.pk, remind_at=remind_at, message=message
        )

    assert refused.value.code == ErrorCode.INVALID
    assert refused.value.field == field
    assert refused.value.http_status == 422
    assert not FollowUp.objects.exists()
    assert item.timeline.count() == events


def test_a_follow_up_for_someone_who_cannot_see_the_item_is_refused(users, make_item):
    item = _held(users, make_item)
    with pytest.raises(InvalidInput) as refused:
        services.follow_up_schedule(
            actor=users["rep"],
            item_id=item.pk,
            remind_at=timezone.now() + timedelta(hours=1),
            message="Chase",
            owner=users["pharmacist"],
        )
    assert refused.value.field == "owner"
    assert not FollowUp.objects.exists()


def test_follow_ups_on_closed_work_or_by_an_auditor_are_refused(users, make_item):
    item = _held(users, make_item)
    remind_at = timezone.now() + timedelta(hours=1)
    with pytest.raises(NotPermitted):
        services.follow_up_schedule(
            actor=users["auditor"], item_id=item.pk, remind_at=remind_at, message="Check"
        )
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="cancelled")
    with pytest.raises(Conflict) as closed:
        services.follow_up_schedule(
            actor=users["rep"], item_id=item.pk, remind_at=remind_at, message="Check"
        )
    assert closed.value.code == ErrorCode.ITEM_CLOSED
    assert not FollowUp.objects.exists()


def test_a_follow_up_is_sent_once_when_due_and_not_before(users, make_item, run_commits):
    item = _held(users, make_item, title=PHI_TITLE, due_in=timedelta(days=5))
    remind_at = timezone.now() + timedelta(hours=2)
    follow_up = services.follow_up_schedule(
        actor=users["rep"],
        item_id=item.pk,
        remind_at=remind_at,
        message="  Ask Jane Roe for the W123456789 card  ",
    )
    assert follow_up.message == "Ask Jane Roe for the W123456789 card"
    assert follow_up.owner == users["rep"]
    assert item.timeline.filter(event=Event.FOLLOW_UP_SCHEDULED).count() == 1

    early = run_commits(services.tick, now=remind_at - timedelta(seconds=1))
    follow_up.refresh_from_db()
    assert (early.reminders_sent, follow_up.sent_at, mail.outbox) == (0, None, [])
    assert not item.timeline.filter(event=Event.FOLLOW_UP_SENT).exists()

    due = run_commits(services.tick, now=remind_at)
    again = run_commits(services.tick, now=remind_at + timedelta(hours=1))

    assert (due.reminders_sent, again.reminders_sent) == (1, 0)
    follow_up.refresh_from_db()
    assert follow_up.sent_at == remind_at
    assert [message.to for message in mail.outbox] == [["rep@example.test"]]
    assert f"/work/{item.pk}/" in mail.outbox[0].body
    sent = item.timeline.get(event=Event.FOLLOW_UP_SENT)
    assert sent.actor is None
    assert sent.data == {"follow_up": follow_up.pk}
    _assert_no_phi_in_mail()


def test_a_follow_up_reminds_its_owner_not_the_scheduler(users, make_item, run_commits):
    item = _held(users, make_item)
    remind_at = timezone.now() + timedelta(minutes=30)
    services.follow_up_schedule(
        actor=users["supervisor"],
        item_id=item.pk,
        remind_at=remind_at,
        message="Has the prescriber called back?",
        owner=users["rep"],
    )
    assert run_commits(services.tick, now=remind_at).reminders_sent == 1
    assert _recipients() == {"rep@example.test"}


def test_a_follow_up_on_work_closed_before_it_falls_due_is_not_sent(users, make_item, run_commits):
    item = _held(users, make_item)
    remind_at = timezone.now() + timedelta(hours=1)
    follow_up = services.follow_up_schedule(
        actor=users["rep"], item_id=item.pk, remind_at=remind_at, message="Chase"
    )
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="cancelled")
    assert run_commits(services.tick, now=remind_at + timedelta(hours=1)).reminders_sent == 0
    follow_up.refresh_from_db()
    assert follow_up.sent_at is None
    assert mail.outbox == []


# --- the command --------------------------------------------------------------------------


def test_the_tick_command_runs_the_job_once_and_prints_the_counts(
    users, make_item, django_capture_on_commit_callbacks
):
    overdue = make_item(due_in=timedelta(hours=-2))
    make_item(due_in=timedelta(days=3))
    held = _held(users, make_item, due_in=timedelta(days=3))
    follow_up = services.follow_up_schedule(
        actor=users["rep"],
        item_id=held.pk,
        remind_at=timezone.now() + timedelta(hours=1),
        message="Chase",
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(remind_at=timezone.now() - timedelta(minutes=1))

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", stdout=out)
    assert out.getvalue().strip() == "Escalated 1 item(s); sent 1 reminder(s)."
    assert WorkItem.objects.get(pk=overdue.pk).escalated_at is not None
    assert FollowUp.objects.get(pk=follow_up.pk).sent_at is not None
    assert len(mail.outbox) == 2

    again = StringIO()
    call_command("tick", stdout=again)
    assert again.getvalue().strip() == "Escalated 0 item(s); sent 0 reminder(s)."


def test_the_tick_command_can_hand_the_run_to_the_task_backend(make_item):
    overdue = make_item(due_in=timedelta(hours=-2))
    out = StringIO()
    call_command("tick", "--enqueue", stdout=out)  # the test backend runs tasks at once
    assert out.getvalue().startswith("Enqueued tick as task ")
    assert WorkItem.objects.get(pk=overdue.pk).escalated_at is not None

"""Status changes along each kind's transitions, and who may assign or release work."""

from collections import deque
from datetime import timedelta

import pytest
from django.core import mail

from payerdesk.core import kinds, services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role

Event = TimelineEvent.Event
CORE_KINDS = (kinds.TASK, kinds.CALLBACK)


def _path(spec: kinds.WorkItemKind, target: str) -> list[str]:
    """The shortest walk of transitions from the kind's initial status to `target`."""
    seen = {spec.initial: [spec.initial]}
    todo = deque([spec.initial])
    while todo:
        status = todo.popleft()
        for following in spec.allowed_from(status):
            if following not in seen:
                seen[following] = [*seen[status], following]
                todo.append(following)
    return seen[target][1:]


def _held_item_in(make_item, users, kind: str, status: str) -> WorkItem:
    item = make_item(kind=kind)
    services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    for step in _path(kinds.get(kind), status):
        services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status=step)
    item.refresh_from_db()
    assert item.status == status
    return item


ALLOWED = [
    (spec.code, source, target)
    for spec in CORE_KINDS
    for source, targets in spec.transitions.items()
    for target in targets
]
DISALLOWED = [
    (spec.code, source, target)
    for spec in CORE_KINDS
    for source in spec.statuses
    for target in spec.statuses
    if target not in spec.allowed_from(source)
]


@pytest.mark.parametrize(("kind", "source", "target"), ALLOWED)
def test_every_declared_transition_is_allowed(users, make_item, kind, source, target):
    spec = kinds.get(kind)
    item = _held_item_in(make_item, users, kind, source)
    events = item.timeline.count()

    services.work_item_transition(
        actor=users["rep"], item_id=item.pk, to_status=target, reason="  per the caller  "
    )

    item.refresh_from_db()
    assert item.status == target
    assert (item.closed_at is not None) == spec.is_closed(target)
    assert item.timeline.count() == events + 1
    event = item.timeline.order_by("-id").first()
    assert event is not None and event.event == Event.STATUS_CHANGED
    assert event.actor == users["rep"]
    assert event.data == {"previous": source, "status": target, "reason": "per the caller"}


@pytest.mark.parametrize(("kind", "source", "target"), DISALLOWED)
def test_an_undeclared_transition_is_a_conflict_and_changes_nothing(
    users, make_item, kind, source, target
):
    item = _held_item_in(make_item, users, kind, source)
    events, closed_at = item.timeline.count(), item.closed_at

    with pytest.raises(Conflict) as refused:
        services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status=target)

    assert refused.value.code == ErrorCode.TRANSITION_NOT_ALLOWED
    assert refused.value.field == "status"
    assert refused.value.http_status == 409
    item.refresh_from_db()
    assert (item.status, item.closed_at) == (source, closed_at)
    assert item.timeline.count() == events


def test_the_core_kinds_have_the_expected_shape():
    # Spelled out, so a registry edit that breaks a workflow fails here.
    assert kinds.get("task").allowed_from("open") == ("in_progress", "cancelled")
    assert kinds.get("task").allowed_from("done") == ("in_progress",)
    assert kinds.get("task").allowed_from("cancelled") == ()
    assert kinds.get("callback").allowed_from("attempted") == (
        "attempted",
        "completed",
        "cancelled",
    )
    assert kinds.get("callback").allowed_from("completed") == ()
    assert kinds.get("callback").phi and not kinds.get("task").phi


def test_closing_sets_closed_at_and_reopening_clears_it(users, make_item):
    item = _held_item_in(make_item, users, "task", "in_progress")
    assert item.closed_at is None and item.is_open

    def move(status: str) -> WorkItem:
        services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status=status)
        return WorkItem.objects.get(pk=item.pk)

    done = move("done")
    assert done.closed_at is not None and not done.is_open
    assert not WorkItem.objects.filter(pk=item.pk, closed_at__isnull=True).exists()

    reopened = move("in_progress")
    assert reopened.status == "in_progress"
    assert reopened.closed_at is None and reopened.is_open
    assert reopened.assignee == users["rep"]

    done_again = move("done")
    assert done_again.closed_at is not None and done_again.closed_at >= done.closed_at


def test_a_repeated_call_attempt_keeps_the_callback_open(users, make_item):
    item = _held_item_in(make_item, users, "callback", "attempted")
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="attempted")
    item.refresh_from_db()
    assert (item.status, item.closed_at) == ("attempted", None)
    assert item.timeline.filter(event=Event.STATUS_CHANGED).count() == 2


@pytest.mark.parametrize("status", ["finished", "", "DONE", "completed"])
def test_an_unknown_status_is_invalid_input_on_the_status_field(users, make_item, status):
    item = _held_item_in(make_item, users, "task", "open")
    events = item.timeline.count()
    with pytest.raises(InvalidInput) as refused:
        services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status=status)
    assert refused.value.code == ErrorCode.UNKNOWN_STATUS
    assert refused.value.field == "status"
    assert refused.value.http_status == 422
    item.refresh_from_db()
    assert item.status == "open"
    assert item.timeline.count() == events


def test_a_worker_who_does_not_hold_the_item_cannot_move_it(users, make_user, make_item):
    held = make_item()
    services.work_item_claim(actor=make_user("rep2", Role.REP), item_id=held.pk)
    unclaimed = make_item()
    for item in (held, unclaimed):
        events = item.timeline.count()
        with pytest.raises(Conflict) as refused:
            services.work_item_transition(
                actor=users["rep"], item_id=item.pk, to_status="in_progress"
            )
        assert refused.value.code == ErrorCode.ALREADY_CLAIMED
        item.refresh_from_db()
        assert item.status == "open"
        assert item.timeline.count() == events


def test_a_supervisor_can_move_an_item_someone_else_holds(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_transition(
        actor=users["supervisor"], item_id=item.pk, to_status="in_progress"
    )
    item.refresh_from_db()
    assert item.status == "in_progress"
    assert item.assignee == users["rep"]
    assert item.timeline.filter(event=Event.STATUS_CHANGED, actor=users["supervisor"]).exists()


def test_an_auditor_may_not_change_anything(users, make_item):
    item = make_item(due_in=timedelta(days=2))
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    events = item.timeline.count()
    auditor = users["auditor"]
    attempts = [
        lambda: services.work_item_claim(actor=auditor, item_id=item.pk),
        lambda: services.work_item_transition(
            actor=auditor, item_id=item.pk, to_status="in_progress"
        ),
        lambda: services.work_item_assign(actor=auditor, item_id=item.pk, assignee=None),
        lambda: services.work_item_assign(actor=auditor, item_id=item.pk, assignee=auditor),
        lambda: services.work_item_note_add(actor=auditor, item_id=item.pk, body="Looks fine."),
        lambda: services.follow_up_schedule(
            actor=auditor,
            item_id=item.pk,
            remind_at=item.due_at - timedelta(hours=1),
            message="check",
        ),
    ]
    for attempt in attempts:
        with pytest.raises(NotPermitted):
            attempt()
    item.refresh_from_db()
    assert (item.status, item.assignee) == ("open", users["rep"])
    assert item.timeline.count() == events


# --- assign and release -------------------------------------------------------------------


def test_a_worker_releases_what_they_hold_back_to_the_queue(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)

    services.work_item_assign(actor=users["rep"], item_id=item.pk, assignee=None)

    item.refresh_from_db()
    assert (item.assignee, item.claimed_at) == (None, None)
    assert item.timeline.filter(event=Event.RELEASED, actor=users["rep"]).count() == 1
    # Back in the queue: the next claim takes it.
    assert services.work_item_claim_next(actor=users["rep"], queue=item.queue).pk == item.pk


def test_a_worker_cannot_release_or_assign_what_someone_else_holds(users, make_user, make_item):
    holder = make_user("rep2", Role.REP)
    item = make_item()
    services.work_item_claim(actor=holder, item_id=item.pk)
    unclaimed = make_item()
    for target, assignee in ((item, None), (item, users["rep"]), (unclaimed, users["rep"])):
        events = target.timeline.count()
        with pytest.raises(NotPermitted):
            services.work_item_assign(actor=users["rep"], item_id=target.pk, assignee=assignee)
        target.refresh_from_db()
        assert target.timeline.count() == events
    assert WorkItem.objects.get(pk=item.pk).assignee == holder
    assert WorkItem.objects.get(pk=unclaimed.pk).assignee is None


def test_a_worker_may_hand_on_what_they_hold(
    users, make_user, make_item, django_capture_on_commit_callbacks
):
    colleague = make_user("rep2", Role.REP)
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.work_item_assign(actor=users["rep"], item_id=item.pk, assignee=colleague)
    item.refresh_from_db()
    assert item.assignee == colleague
    event = item.timeline.get(event=Event.ASSIGNED)
    assert event.data == {"previous": "rep", "assignee": "rep2"}
    assert [message.to for message in mail.outbox] == [["rep2@example.test"]]


def test_a_supervisor_assigns_anyone_eligible_and_the_assignee_is_emailed(
    users, make_item, django_capture_on_commit_callbacks
):
    item = make_item(title="Member Jane Roe, DOB 1961-04-30")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    assert len(callbacks) == 1  # the email waits for the commit

    item.refresh_from_db()
    assert item.assignee == users["rep"]
    assert item.claimed_at is not None
    assert item.timeline.filter(event=Event.ASSIGNED, actor=users["supervisor"]).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["rep@example.test"]
    assert f"#{item.pk}" in message.subject
    assert f"/work/{item.pk}/" in message.body
    text = f"{message.subject}\n{message.body}"
    assert "Jane Roe" not in text
    assert "1961" not in text


def test_a_supervisor_reassigns_from_one_holder_to_another(users, make_user, make_item):
    colleague = make_user("rep2", Role.REP)
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=colleague)
    item.refresh_from_db()
    assert item.assignee == colleague
    assert item.timeline.get(event=Event.ASSIGNED).data["previous"] == "rep"


def test_assigning_yourself_sends_no_email(users, make_item, django_capture_on_commit_callbacks):
    item = make_item()
    with django_capture_on_commit_callbacks(execute=True):
        services.work_item_assign(
            actor=users["supervisor"], item_id=item.pk, assignee=users["supervisor"]
        )
    assert WorkItem.objects.get(pk=item.pk).assignee == users["supervisor"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("queue", "market", "assignee"),
    [
        ("coverage", None, "pharmacist"),  # role does not work the queue
        ("coverage", None, "auditor"),  # read-only role
        ("coverage", None, "employer"),  # outside role
        ("groups", "SE", "groupadmin"),  # serves TRI only
        ("groups", None, "salesadmin"),
    ],
)
def test_assigning_someone_who_cannot_work_the_item_is_refused(
    users, markets, make_item, queue, market, assignee
):
    item = make_item(queue, market=markets[market] if market else None)
    events = item.timeline.count()
    with pytest.raises(InvalidInput) as refused:
        services.work_item_assign(
            actor=users["supervisor"], item_id=item.pk, assignee=users[assignee]
        )
    assert refused.value.code == ErrorCode.ASSIGNEE_NOT_ELIGIBLE
    assert refused.value.field == "assignee"
    item.refresh_from_db()
    assert item.assignee is None
    assert item.timeline.count() == events


def test_market_scoped_workers_are_eligible_in_their_markets_and_for_national_work(
    users, markets, make_item
):
    for market in (markets["TRI"], None):
        item = make_item("groups", market=market)
        services.work_item_assign(
            actor=users["supervisor"], item_id=item.pk, assignee=users["groupadmin"]
        )
        assert WorkItem.objects.get(pk=item.pk).assignee == users["groupadmin"]


def test_a_disabled_account_cannot_be_assigned(users, make_user, make_item):
    gone = make_user("rep2", Role.REP)
    gone.is_active = False
    gone.save()
    item = make_item()
    with pytest.raises(InvalidInput) as refused:
        services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=gone)
    assert refused.value.code == ErrorCode.ASSIGNEE_NOT_ELIGIBLE


def test_a_closed_item_cannot_be_assigned_or_released(users, make_item):
    item = _held_item_in(make_item, users, "task", "cancelled")
    for assignee in (users["supervisor"], None):
        with pytest.raises(Conflict) as refused:
            services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=assignee)
        assert refused.value.code == ErrorCode.ITEM_CLOSED
    assert WorkItem.objects.get(pk=item.pk).assignee == users["rep"]


def test_changes_to_a_missing_item_are_not_found(users):
    with pytest.raises(NotFound):
        services.work_item_transition(actor=users["supervisor"], item_id=999_999, to_status="done")
    with pytest.raises(NotFound):
        services.work_item_assign(actor=users["supervisor"], item_id=999_999, assignee=None)


# --- the kinds registry -------------------------------------------------------------------


def _kind(**overrides) -> kinds.WorkItemKind:
    fields = {
        "code": "review",
        "label": "Review",
        "statuses": {"new": "New", "checked": "Checked", "filed": "Filed"},
        "initial": "new",
        "transitions": {"new": ("checked",), "checked": ("filed", "new")},
        "closed": frozenset({"filed"}),
    }
    return kinds.WorkItemKind(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"transitions": {"new": ("approved",)}}, "undeclared"),
        ({"transitions": {"limbo": ("new",)}}, "undeclared"),
        ({"initial": "draft"}, "initial status"),
        ({"closed": frozenset({"archived"})}, "closed statuses"),
    ],
)
def test_a_kind_using_an_undeclared_status_is_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        _kind(**overrides)


def test_a_registered_kind_drives_its_own_workflow(users, queues, monkeypatch):
    monkeypatch.setattr(kinds, "_registry", dict(kinds._registry))
    review = kinds.register(_kind())
    assert kinds.register(_kind()) is not None  # the same declaration again is fine
    with pytest.raises(ValueError, match="already registered"):
        kinds.register(_kind(label="Another review"))

    item = services.work_item_create(
        actor=None, kind=review.code, title="Review a file", queue=queues["coverage"]
    )
    assert item.status == "new"
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    with pytest.raises(Conflict):
        services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="filed")
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="checked")
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="filed")
    item.refresh_from_db()
    assert (item.status, item.is_open) == ("filed", False)


def test_creating_an_item_of_an_unknown_kind_is_invalid(users, queues):
    with pytest.raises(InvalidInput) as refused:
        services.work_item_create(
            actor=users["rep"], kind="séance", title="x", queue=queues["coverage"]
        )
    assert refused.value.field == "kind"
    assert not WorkItem.objects.exists()


def test_notes_are_kept_trimmed_and_empty_or_overlong_ones_refused(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    note = services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="  Faxed. ")
    assert note.body == "Faxed."
    assert item.timeline.filter(event="note_added").count() == 1
    for body, message in (("   ", "empty"), ("x" * 10_001, "10,000")):
        with pytest.raises(InvalidInput) as refused:
            services.work_item_note_add(actor=users["rep"], item_id=item.pk, body=body)
        assert refused.value.field == "body"
        assert message in refused.value.message
    assert item.notes.count() == 1

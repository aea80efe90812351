"""The doors by which a domain moves its work item that the kind's transitions do not
offer people: another status and/or queue (routing), a due time from the domain's own
clock (rescheduling), and an event of its own on the timeline (recording)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from payerdesk.core import kinds, services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role

Event = TimelineEvent.Event

# Like prior authorization: no transitions, so only its module moves its items.
ROUTED = kinds.WorkItemKind(
    code="test_routed",
    label="Routed test item",
    statuses={"intake": "Intake", "review": "In review", "waiting": "Waiting", "done": "Done"},
    initial="intake",
    transitions={},
    closed=frozenset({"done"}),
)


@pytest.fixture
def item(make_item) -> WorkItem:
    kinds.register(ROUTED)
    return make_item(kind=ROUTED.code)


def last_events(item: WorkItem, count: int = 1) -> list[TimelineEvent]:
    return list(item.timeline.order_by("-id"))[:count][::-1]


def unchanged(item: WorkItem) -> tuple[object, ...]:
    item.refresh_from_db()
    return (item.status, item.queue_id, item.assignee_id, item.due_at, item.timeline.count())


# --- route -------------------------------------------------------------------------------


def test_the_system_routes_to_a_status_the_kind_offers_nobody(item):
    routed = services.work_item_route(
        actor=None, item_id=item.pk, to_status="review", reason=" criteria not met "
    )
    item.refresh_from_db()
    assert routed.status == item.status == "review" and item.closed_at is None
    [event] = last_events(item)
    assert event.event == Event.STATUS_CHANGED and event.actor is None
    assert event.summary == "Intake → In review (system)"
    assert event.data == {"previous": "intake", "status": "review", "reason": "criteria not met"}


def test_a_queue_move_names_both_queues_and_releases_the_item(item, users, queues):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    routed = services.work_item_route(
        actor=None,
        item_id=item.pk,
        to_status="review",
        queue="pharmacist-review",
        reason="referred",
    )
    item.refresh_from_db()
    assert routed.queue == item.queue == queues["pharmacist"]
    assert item.status == "review" and item.assignee is None and item.claimed_at is None
    status, moved = last_events(item, 2)
    assert status.event == Event.STATUS_CHANGED and status.summary == "Intake → In review (system)"
    assert moved.event == Event.QUEUE_CHANGED and moved.actor is None
    assert moved.summary == "Moved from Coverage Review to Pharmacist Review (system)"
    assert moved.data == {
        "previous_queue": "coverage-review",
        "queue": "pharmacist-review",
        "released": "rep",
        "reason": "referred",
    }
    # The pharmacists claim it now.
    services.work_item_claim(actor=users["pharmacist"], item_id=item.pk)


def test_a_person_who_routes_is_the_events_actor(item, users):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_route(actor=users["rep"], item_id=item.pk, to_status="waiting")
    [event] = last_events(item)
    assert event.actor == users["rep"] and event.summary == "Intake → Waiting"


def test_a_queue_alone_moves_and_where_it_already_is_nothing_happens(item, queues):
    before = unchanged(item)
    services.work_item_route(actor=None, item_id=item.pk, to_status="intake")
    services.work_item_route(actor=None, item_id=item.pk, queue="coverage-review")
    assert unchanged(item) == before
    services.work_item_route(actor=None, item_id=item.pk, queue="pharmacist-review")
    item.refresh_from_db()
    assert item.queue == queues["pharmacist"] and item.status == "intake"
    assert [e.event for e in last_events(item, 2)] == [Event.CREATED, Event.QUEUE_CHANGED]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"to_status": "nonsense"}, "status"),
        ({"queue": "no-such-queue"}, "queue"),
        ({"to_status": "review", "queue": "no-such-queue"}, "queue"),
        ({"to_status": "done"}, "status"),  # closing is the decision's: work_item_close
    ],
)
def test_an_unknown_status_or_queue_or_a_closing_status_is_refused(item, change, field):
    before = unchanged(item)
    with pytest.raises(InvalidInput) as refused:
        services.work_item_route(actor=None, item_id=item.pk, **change)
    assert refused.value.field == field
    assert unchanged(item) == before


def test_a_closed_item_is_not_routed(item):
    services.work_item_close(actor=None, item_id=item.pk, status="done")
    before = unchanged(item)
    with pytest.raises(Conflict) as refused:
        services.work_item_route(actor=None, item_id=item.pk, to_status="review")
    assert refused.value.code == ErrorCode.ITEM_CLOSED
    assert unchanged(item) == before


def test_an_item_out_of_sight_is_not_found_and_a_supervisor_may_route_a_held_one(item, users):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    before = unchanged(item)
    with pytest.raises(NotFound):
        services.work_item_route(actor=users["pharmacist"], item_id=item.pk, to_status="review")
    assert unchanged(item) == before
    services.work_item_route(actor=users["supervisor"], item_id=item.pk, to_status="review")
    item.refresh_from_db()
    assert item.status == "review" and item.assignee == users["rep"]


def test_another_worker_of_the_queue_may_not_route_what_one_holds(item, users, make_user):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    colleague = make_user("rep-two", Role.REP)
    before = unchanged(item)
    with pytest.raises(Conflict) as refused:
        services.work_item_route(actor=colleague, item_id=item.pk, to_status="review")
    assert refused.value.code == ErrorCode.ALREADY_CLAIMED and "held by rep" in str(refused.value)
    assert unchanged(item) == before


# --- reschedule --------------------------------------------------------------------------


def test_the_domains_clock_sets_the_due_time_and_a_new_escalation(item):
    services.work_items_escalate(now=item.escalate_at + timedelta(minutes=1))
    item.refresh_from_db()
    assert item.escalated_at is not None
    due = timezone.now().replace(microsecond=0) + timedelta(hours=24)
    services.work_item_reschedule(
        actor=None,
        item_id=item.pk,
        due_at=due,
        escalate_at=due - timedelta(hours=4),
        reason="statement received",
    )
    previous = item.due_at
    item.refresh_from_db()
    assert item.due_at == due and item.escalate_at == due - timedelta(hours=4)
    assert item.escalated_at is None  # the new due time is escalated on its own
    [event] = last_events(item)
    assert event.event == Event.RESCHEDULED and event.actor is None
    assert event.summary == f"Due {timezone.localtime(due):%Y-%m-%d %H:%M %Z} (system)"
    assert event.data == {
        "previous_due_at": previous.isoformat(),
        "due_at": due.isoformat(),
        "escalate_at": (due - timedelta(hours=4)).isoformat(),
        "reason": "statement received",
    }
    # The same times again change nothing.
    events = item.timeline.count()
    services.work_item_reschedule(
        actor=None, item_id=item.pk, due_at=due, escalate_at=due - timedelta(hours=4)
    )
    assert item.timeline.count() == events


def test_a_person_who_reschedules_is_the_events_actor(item, users):
    due = timezone.now() + timedelta(days=2)
    services.work_item_reschedule(actor=users["rep"], item_id=item.pk, due_at=due, escalate_at=due)
    [event] = last_events(item)
    assert event.actor == users["rep"] and "(system)" not in event.summary


@pytest.mark.parametrize(
    ("due", "escalate", "field"),
    [
        (datetime(2030, 1, 2, 12), timezone.now(), "due_at"),  # noqa: DTZ001
        (timezone.now() + timedelta(hours=2), timezone.now() + timedelta(hours=3), "escalate_at"),
    ],
)
def test_a_time_without_a_zone_or_an_escalation_after_the_due_time_is_refused(
    item, due, escalate, field
):
    before = unchanged(item)
    with pytest.raises(InvalidInput) as refused:
        services.work_item_reschedule(actor=None, item_id=item.pk, due_at=due, escalate_at=escalate)
    assert refused.value.field == field
    assert unchanged(item) == before


def test_a_held_or_closed_item_is_not_rescheduled(item, users, make_user):
    due = timezone.now() + timedelta(days=2)
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    before = unchanged(item)
    with pytest.raises(Conflict) as held:
        services.work_item_reschedule(
            actor=make_user("rep-two", Role.REP), item_id=item.pk, due_at=due, escalate_at=due
        )
    assert held.value.code == ErrorCode.ALREADY_CLAIMED
    assert unchanged(item) == before
    services.work_item_close(actor=None, item_id=item.pk, status="done")
    before = unchanged(item)
    with pytest.raises(Conflict) as refused:
        services.work_item_reschedule(actor=None, item_id=item.pk, due_at=due, escalate_at=due)
    assert refused.value.code == ErrorCode.ITEM_CLOSED
    assert unchanged(item) == before


# --- record ------------------------------------------------------------------------------


def test_a_domain_records_what_happened_with_its_data(item, users):
    event = services.work_item_record(
        actor=users["rep"],
        item_id=item.pk,
        summary=" More information received by rep (a note) ",
        data={"answers_changed": [], "attachment": None},
    )
    assert event.pk is not None and event.work_item_id == item.pk
    assert event.event == Event.NOTE_ADDED and event.actor == users["rep"]
    assert event.summary == "More information received by rep (a note)"
    assert event.data == {"answers_changed": [], "attachment": None}


def test_recording_needs_sight_of_the_item_unless_its_module_checked(item, users):
    events = item.timeline.count()
    with pytest.raises(NotFound):
        services.work_item_record(actor=users["provider"], item_id=item.pk, summary="Sent")
    assert item.timeline.count() == events
    services.work_item_record(
        actor=users["provider"], item_id=item.pk, summary="Statement sent", module_checked=True
    )
    assert last_events(item)[0].actor == users["provider"]


def test_a_record_moves_nothing_so_a_held_or_closed_item_takes_it(item, users):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_record(actor=users["supervisor"], item_id=item.pk, summary="Called")
    services.work_item_close(actor=None, item_id=item.pk, status="done")
    services.work_item_record(actor=None, item_id=item.pk, summary="Letter sent")
    assert [e.summary for e in last_events(item, 3)] == [
        "Called", "Intake → Done (system)", "Letter sent",
    ]  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        services.work_item_record(actor=None, item_id=item.pk, summary="  ")
    assert refused.value.field == "summary"


# --- unsaved events for work_item_create(then=...) ---------------------------------------


def test_an_item_opened_already_moved_says_so_as_the_services_would(queues):
    kinds.register(ROUTED)
    item = services.work_item_create(
        actor=None,
        kind=ROUTED.code,
        title="Decided at once",
        queue=queues["coverage"],
        status="done",
        then=[
            services.status_change_event(
                ROUTED, actor=None, previous="intake", status="done", reason="rule passed"
            ),
            services.recorded_event(actor=None, summary="Letter due"),
        ],
    )
    assert [(e.event, e.summary) for e in item.timeline.all()] == [
        (Event.CREATED, "Routed test item opened in Coverage Review"),
        (Event.STATUS_CHANGED, "Intake → Done (system)"),
        (Event.NOTE_ADDED, "Letter due"),
    ]
    assert item.timeline.all()[1].data["reason"] == "rule passed"

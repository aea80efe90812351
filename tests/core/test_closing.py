"""The doors by which a domain record's decision moves its work item: closing it with
a decided status, and following the record along the kind's transitions; a job acts
as the system (actor None), recorded on the timeline."""

import pytest

from payerdesk.core import kinds, services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import TimelineEvent, WorkItem

Event = TimelineEvent.Event

DECIDED = kinds.WorkItemKind(
    code="test_decided",
    label="Decided test item",
    statuses={"open": "Open", "waiting": "Waiting", "approved": "Approved", "declined": "No"},
    initial="open",
    # The decided statuses are not transitions: only the deciding service reaches them.
    transitions={"open": ("waiting",), "waiting": ("open",)},
    closed=frozenset({"approved", "declined"}),
)


@pytest.fixture
def item(make_item) -> WorkItem:
    kinds.register(DECIDED)
    return make_item(kind=DECIDED.code)


def test_closing_by_a_job_is_recorded_as_the_system(item):
    closed = services.work_item_close(
        actor=None, item_id=item.pk, status="approved", reason="  rule passed "
    )
    item.refresh_from_db()
    assert closed.status == item.status == "approved" and item.closed_at is not None
    event = item.timeline.order_by("-id").first()
    assert event is not None and event.event == Event.STATUS_CHANGED and event.actor is None
    assert event.summary == "Open → Approved (system)"
    assert event.data == {"previous": "open", "status": "approved", "reason": "rule passed"}


def test_closing_by_a_person_names_them(item, users):
    services.work_item_close(actor=users["rep"], item_id=item.pk, status="declined")
    event = item.timeline.order_by("-id").first()
    assert event is not None and event.actor == users["rep"] and "(system)" not in event.summary


def test_an_already_closed_item_is_not_closed_again(item):
    services.work_item_close(actor=None, item_id=item.pk, status="approved")
    events = item.timeline.count()
    with pytest.raises(Conflict) as refused:
        services.work_item_close(actor=None, item_id=item.pk, status="declined")
    assert refused.value.code == ErrorCode.ITEM_CLOSED
    item.refresh_from_db()
    assert item.status == "approved" and item.timeline.count() == events


def test_only_a_closed_status_closes(item):
    with pytest.raises(InvalidInput, match="approved, declined") as refused:
        services.work_item_close(actor=None, item_id=item.pk, status="waiting")
    assert refused.value.field == "status"
    item.refresh_from_db()
    assert item.status == "open" and item.closed_at is None


def test_an_item_held_by_another_is_theirs_unless_a_supervisor_acts(item, users):
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    other = users["pharmacist"]
    with pytest.raises((Conflict, NotFound)):
        services.work_item_close(actor=other, item_id=item.pk, status="approved")
    item.refresh_from_db()
    assert item.closed_at is None
    services.work_item_close(actor=users["supervisor"], item_id=item.pk, status="approved")
    item.refresh_from_db()
    assert item.status == "approved"


def test_following_the_record_keeps_to_the_kinds_transitions(item):
    services.work_item_follow(actor=None, item_id=item.pk, to_status="waiting", reason="asked")
    item.refresh_from_db()
    assert item.status == "waiting" and item.closed_at is None
    event = item.timeline.order_by("-id").first()
    assert event is not None and event.actor is None and event.data["reason"] == "asked"
    # The same status again is no change and no event.
    events = item.timeline.count()
    services.work_item_follow(actor=None, item_id=item.pk, to_status="waiting")
    assert item.timeline.count() == events
    with pytest.raises(Conflict) as refused:
        services.work_item_follow(actor=None, item_id=item.pk, to_status="approved")
    assert refused.value.code == ErrorCode.TRANSITION_NOT_ALLOWED
    with pytest.raises(InvalidInput):
        services.work_item_follow(actor=None, item_id=item.pk, to_status="nonsense")
    item.refresh_from_db()
    assert item.status == "waiting" and item.timeline.count() == events


def test_a_missing_item_is_not_found(db):
    with pytest.raises(NotFound):
        services.work_item_close(actor=None, item_id=987654, status="approved")

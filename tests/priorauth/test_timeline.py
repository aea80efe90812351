"""A request's work item moves only through core's services: what its timeline says after
each action (referral, pend, information received, statement and clock, approval, denial)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

import payerdesk.priorauth
from payerdesk.core import services as core_services
from payerdesk.core.errors import Conflict, ErrorCode
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role
from payerdesk.priorauth.models import PriorAuthRequest, Status
from payerdesk.priorauth.services.prescribers import provider_link
from payerdesk.priorauth.services.requests import (
    prior_auth_approve,
    prior_auth_deny,
    prior_auth_information_receive,
    prior_auth_pend,
    prior_auth_statement_add,
)
from tests.priorauth.conftest import BRAND_X, FALLS_SHORT, NPI
from tests.priorauth.test_review import REASON

Event = TimelineEvent.Event
REFERRAL = "Referred to pharmacist review: A1c below 7%; Metformin tried for fewer than 90 days"


def timeline(pa: PriorAuthRequest) -> list[tuple[str, str | None, str]]:
    events = TimelineEvent.objects.filter(work_item_id=pa.work_item_id).select_related("actor")
    return [(e.event, e.actor.username if e.actor else None, e.summary) for e in events]


def last(pa: PriorAuthRequest) -> TimelineEvent:
    event = TimelineEvent.objects.filter(work_item_id=pa.work_item_id).order_by("-id").first()
    assert event is not None
    return event


def test_a_referred_request_opens_in_pharmacist_review_saying_why(submit):
    pa = submit(FALLS_SHORT)
    item = WorkItem.objects.get(pk=pa.work_item_id)
    assert item.queue.slug == "pharmacist-review" and item.status == "in_review"
    assert timeline(pa) == [
        (Event.CREATED, None, "Prior authorization opened in Pharmacist Review"),
        (Event.NOTE_ADDED, None, REFERRAL),
    ]


def test_an_approval_at_once_opens_closed_in_intake(submit):
    pa = submit()
    assert pa.work_item.queue.slug == "coverage-review" and pa.work_item.status == "approved"
    assert timeline(pa) == [
        (Event.CREATED, None, "Prior authorization opened in Coverage Review"),
        (Event.STATUS_CHANGED, None, "Opened as Approved (system)"),
    ]
    assert last(pa).data["reason"] == (
        f"approved automatically: the answers meet the criteria, through {pa.approval_end}"
    )


def test_pend_information_and_approval_each_move_the_item_once(submit, users):
    pa = submit(FALLS_SHORT)
    pharmacist = users["pharmacist"]
    prior_auth_pend(actor=pharmacist, request_id=pa.pk, information="Send the labs.")
    prior_auth_information_receive(actor=users["rep"], request_id=pa.pk, note="Labs.")
    pa = prior_auth_approve(actor=pharmacist, request_id=pa.pk, approval_days=30)
    assert timeline(pa)[2:] == [
        (Event.STATUS_CHANGED, "pharmacist", "Pharmacist review → Pended for more information"),
        (Event.NOTE_ADDED, "rep", "More information received by rep (a note)"),
        (
            Event.STATUS_CHANGED,
            None,
            "Pended for more information → Pharmacist review (system)",
        ),
        (Event.STATUS_CHANGED, "pharmacist", "Pharmacist review → Approved"),
    ]
    reasons = [
        e.data.get("reason") for e in TimelineEvent.objects.filter(work_item_id=pa.work_item_id)
    ]
    assert reasons[2:] == [
        "more information requested by pharmacist",
        None,
        REFERRAL,
        f"approved by pharmacist, through {pa.approval_end}",
    ]
    item = WorkItem.objects.get(pk=pa.work_item_id)
    assert item.status == "approved" and item.closed_at is not None
    assert pa.work_item.closed_at is not None  # the request holds the item core saved


def test_a_denial_closes_the_item(submit, users):
    pa = submit(FALLS_SHORT)
    pa = prior_auth_deny(actor=users["pharmacist"], request_id=pa.pk, reason=REASON)
    assert timeline(pa)[-1] == (Event.STATUS_CHANGED, "pharmacist", "Pharmacist review → Denied")
    assert last(pa).data["reason"] == "denied by pharmacist"
    assert WorkItem.objects.get(pk=pa.work_item_id).closed_at is not None


def test_a_statement_starts_the_clock_and_sends_the_item_to_the_pharmacists(submit, users):
    provider_link(actor=None, user=users["provider"], npi=NPI)
    pa = submit({}, drug=BRAND_X)
    assert timeline(pa) == [(Event.CREATED, None, "Prior authorization opened in Coverage Review")]
    core_services.work_item_claim(actor=users["rep"], item_id=pa.work_item_id)
    pa = prior_auth_statement_add(
        actor=users["provider"], request_id=pa.pk, statement="Generic failed: rash."
    )
    assert pa.status == Status.IN_REVIEW and pa.due_at is not None
    due = f"Due {timezone.localtime(pa.due_at):%Y-%m-%d %H:%M %Z} (system)"
    assert timeline(pa)[1:] == [
        (Event.CLAIMED, "rep", "Claimed by rep"),
        (Event.NOTE_ADDED, "provider", "Supporting statement received"),
        (Event.RESCHEDULED, None, due),
        (Event.STATUS_CHANGED, None, "Awaiting prescriber statement → Pharmacist review (system)"),
        (Event.QUEUE_CHANGED, None, "Moved from Coverage Review to Pharmacist Review (system)"),
    ]
    assert last(pa).data["released"] == "rep"
    item = WorkItem.objects.get(pk=pa.work_item_id)
    assert item.queue.slug == "pharmacist-review" and item.assignee is None
    assert item.due_at == pa.due_at and item.escalate_at < item.due_at


def test_a_request_another_pharmacist_holds_is_theirs_to_decide(submit, users, make_user):
    pa = submit(FALLS_SHORT)
    core_services.work_item_claim(actor=users["pharmacist"], item_id=pa.work_item_id)
    colleague = make_user("pharmacist-two", Role.PHARMACIST)
    with pytest.raises(Conflict) as refused:
        prior_auth_approve(actor=colleague, request_id=pa.pk)
    assert refused.value.code == ErrorCode.ALREADY_CLAIMED
    pa.refresh_from_db()
    assert pa.status == Status.IN_REVIEW and pa.decided_at is None and not pa.letters.exists()
    prior_auth_approve(actor=users["pharmacist"], request_id=pa.pk)


def test_the_request_page_shows_why_the_item_moved(submit, users, client_for):
    pa = submit(FALLS_SHORT)
    prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information="Labs?")
    page = client_for(users["pharmacist"]).get(reverse("priorauth:request-detail", args=[pa.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert REFERRAL in text
    assert (
        "Pharmacist review → Pended for more information: more information requested by pharmacist"
    ) in text


def test_prior_authorization_writes_no_work_item_or_timeline_row_itself():
    """Every move goes through core's services (the doors above): no model writes here."""
    writes = re.compile(
        r"\b(WorkItem|TimelineEvent)(\.objects|\()|work_item\.(save|delete)\(|\bitem\.save\("
    )
    package = Path(payerdesk.priorauth.__file__).parent
    found = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert found == []

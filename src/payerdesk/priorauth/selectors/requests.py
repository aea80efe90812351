"""Request reads: who sees which requests, their history, duplicates, letters due, counts."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from payerdesk.core.errors import ErrorCode, NotFound
from payerdesk.core.models import TimelineEvent, User
from payerdesk.core.roles import Role, has_role, is_staff_member
from payerdesk.priorauth.models import (
    OPEN_STATUSES,
    InformationReceipt,
    Letter,
    Prescriber,
    PriorAuthRequest,
)
from payerdesk.priorauth.work import PRIOR_AUTH


def is_provider(user: User) -> bool:
    return has_role(user, Role.PROVIDER)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    summary: str


def provider_history(pa: PriorAuthRequest, viewer: User) -> list[HistoryLine]:
    """What a provider sees of a request's timeline: when it came in, each status it moved
    to, and what they did themselves. The plan's inside work (claims, reassignments,
    escalations, notes, staff names and their reasons) stays with the plan's staff."""
    events = pa.work_item.timeline.filter(
        Q(event__in=[TimelineEvent.Event.CREATED, TimelineEvent.Event.STATUS_CHANGED])
        | Q(actor=viewer)
    ).order_by("at", "id")
    lines = []
    for event in events:
        if event.actor_id == viewer.pk:
            summary = event.summary
        elif event.event == TimelineEvent.Event.CREATED:
            summary = f"{pa.get_request_type_display()} received"
        else:
            summary = PRIOR_AUTH.status_label(event.data.get("status", ""))
        lines.append(HistoryLine(event.at, summary))
    return lines


def acts_for(user: User, prescriber: Prescriber) -> bool:
    """Whether a provider user is linked to the prescriber's NPI."""
    return prescriber.portal_users.filter(pk=user.pk).exists()


SEND_INFORMATION = "priorauth.send_information"


def information_source(user: User, prescriber: Prescriber) -> str | None:
    """How `user` may bring in the information asked for on a pended request of this
    prescriber: intake staff record what the office sent (`staff`), a provider sends it
    for an NPI they act for (`provider_portal`); None when they may not."""
    if is_staff_member(user) and user.has_perm("priorauth.change_priorauthrequest"):
        return InformationReceipt.Source.STAFF
    if user.has_perm(SEND_INFORMATION) and acts_for(user, prescriber):
        return InformationReceipt.Source.PROVIDER_PORTAL
    return None


def requests_visible_to(user: User) -> QuerySet[PriorAuthRequest]:
    """Staff who may read requests see all (one national queue); a provider sees only
    the requests of the NPIs they act for."""
    rows = PriorAuthRequest.objects.select_related(
        "member__group", "prescriber", "drug", "work_item__queue", "work_item__assignee"
    )
    if not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.has_perm("priorauth.view_priorauthrequest"):
        return rows
    if is_provider(user):
        return rows.filter(prescriber__portal_users=user)
    return rows.none()


def request_get(*, user: User, request_id: int) -> PriorAuthRequest:
    found = requests_visible_to(user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Request PA-{request_id} does not exist.")
    return found


def open_duplicate_id(*, member_id: int, drug_id: int) -> int | None:
    """The oldest open request for this member and drug, if any: a new one repeats it."""
    return (
        PriorAuthRequest.objects.filter(
            member_id=member_id, drug_id=drug_id, status__in=OPEN_STATUSES
        )
        .order_by("received_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def letters_due() -> list[int]:
    """Ids of the letters decided but not yet made and sent, oldest first."""
    return list(
        Letter.objects.filter(issued_at__isnull=True).order_by("id").values_list("id", flat=True)
    )


def open_counts_by_status(user: User) -> dict[str, int]:
    """How many requests the user sees wait in each open status (every one, zero or not)."""
    rows = (
        requests_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .values("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    found = {row["status"]: row["count"] for row in rows}
    return {str(status): found.get(status, 0) for status in OPEN_STATUSES}

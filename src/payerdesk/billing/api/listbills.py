"""Premium billing over REST: schedules, list bills, aging and delinquencies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from payerdesk.billing.api.schemas import (
    AgingOut,
    AgingQuery,
    BillDetailOut,
    BillFilter,
    BillOut,
    DelinquencyOut,
    GeneratedOut,
    GenerateIn,
    LineOut,
    Paging,
    ScheduleIn,
    ScheduleOut,
)
from payerdesk.billing.models import Delinquency
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import delinquency as delinquency_services
from payerdesk.billing.services import listbills
from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.errors import ErrorCode, NotFound, NotPermitted
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.groups.selectors import groups_visible_to

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

router = Router(tags=["premium billing"])


def _billing_user(request: HttpRequest, perm: str) -> User:
    user = staff_user(request)
    if not user.has_perm(perm):
        raise NotPermitted("Your role does not do premium billing.")
    return user


def _group(user: User, group_number: str) -> EmployerGroup:
    group = groups_visible_to(user).filter(group_number=group_number.strip().upper()).first()
    if group is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No group {group_number!r} found.")
    return group


@router.put(
    "/billing/groups/{group_number}/schedule",
    response=ScheduleOut,
    summary="Set a group's billing schedule",
)
def schedule_set(request: HttpRequest, group_number: str, payload: ScheduleIn) -> ScheduleOut:
    user = _billing_user(request, "billing.change_billingschedule")
    group = _group(user, group_number)
    schedule = listbills.billing_schedule_set(actor=user, group=group, **payload.dict())
    return ScheduleOut(
        group=group.group_number, mode=schedule.mode,
        first_period_start=schedule.first_period_start, bill_day=schedule.bill_day,
        lead_days=schedule.lead_days, tolerance=schedule.tolerance,
        refund_routing_number=schedule.refund_routing_number,
        refund_account_number=schedule.refund_account_number,
        refund_account_type=schedule.refund_account_type,
    )  # fmt: skip


@router.post(
    "/list-bills",
    response={200: GeneratedOut, 201: GeneratedOut},
    summary="Generate a group's list bill for a period (once)",
)
def list_bill_generate(request: HttpRequest, payload: GenerateIn) -> Status[GeneratedOut]:
    """201 with the new bill, or 200 with the one that already exists for that period."""
    user = _billing_user(request, "billing.add_listbill")
    result = listbills.list_bill_generate(
        actor=user, group=_group(user, payload.group), period_start=payload.period
    )
    body = GeneratedOut(created=result.created, bill=BillOut.of(result.bill))
    return Status(201 if result.created else 200, body)


@router.get("/list-bills", response=list[BillOut], summary="List bills you may see")
def list_bills(request: HttpRequest, filters: Query[BillFilter]) -> list[BillOut]:
    user = _billing_user(request, "billing.view_listbill")
    bills = listbill_selectors.list_bills_visible_to(user).order_by("-period_start", "group")
    if filters.group:
        bills = bills.filter(group__group_number=filters.group.strip().upper())
    if filters.status:
        bills = bills.filter(status=filters.status)
    return [BillOut.of(bill) for bill in bills[:500]]


@router.get("/list-bills/{bill_id}", response=BillDetailOut, summary="A list bill and its lines")
def list_bill_detail(request: HttpRequest, bill_id: int, paging: Query[Paging]) -> BillDetailOut:
    user = _billing_user(request, "billing.view_listbill")
    bill = listbill_selectors.list_bills_visible_to(user).filter(pk=bill_id).first()
    if bill is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"List bill {bill_id} does not exist.")
    log_record_view(
        request, user, record_type="list_bill", record_id=str(bill.pk),
        channel=AccessLogEntry.Channel.API,
    )  # fmt: skip
    limit = max(1, min(paging.limit, 5000))
    rows = bill.lines.select_related("member", "coverage__plan__product").order_by(
        "member__subscriber_id", "member__member_id", "period_start", "id"
    )[max(paging.offset, 0) : max(paging.offset, 0) + limit]
    lines = [
        LineOut(
            member_id=line.member.member_id,
            product=line.coverage.plan.product.name,
            tier=line.coverage.tier,
            period_start=line.period_start,
            period_end=line.period_end,
            kind=line.kind,
            amount=line.amount,
            note=line.note,
        )
        for line in rows
    ]
    return BillDetailOut(**BillOut.of(bill).dict(), lines=lines, line_count=bill.lines.count())


@router.get("/billing/aging", response=list[AgingOut], summary="Aging and delinquent groups")
def aging(request: HttpRequest, query: Query[AgingQuery]) -> list[AgingOut]:
    """Outstanding premium per group by days past due; `delinquent_only` gives the
    delinquent group report (past due only)."""
    user = _billing_user(request, "billing.view_journalentry")
    today = query.as_of or timezone.localdate()
    market = query.market.strip().upper() if query.market else None
    finder = (
        listbill_selectors.delinquent_groups if query.delinquent_only else listbill_selectors.aging
    )
    return [
        AgingOut(
            group=row.group.group_number,
            market=row.group.market.code,
            status=row.group.status,
            current=row.buckets["current"],
            days_30=row.buckets["30"],
            days_60=row.buckets["60"],
            days_90_plus=row.buckets["90+"],
            total=row.total,
            oldest_due=row.oldest_due,
        )
        for row in finder(user=user, today=today, market=market)
    ]


@router.get(
    "/billing/delinquencies", response=list[DelinquencyOut], summary="Lapsed and cancelled groups"
)
def delinquencies(request: HttpRequest) -> list[DelinquencyOut]:
    user = _billing_user(request, "billing.view_delinquency")
    cases = Delinquency.objects.filter(group__in=groups_visible_to(user)).select_related("group")
    return [DelinquencyOut.of(case) for case in cases[:500]]


def _case(user: User, delinquency_id: int) -> int:
    if not Delinquency.objects.filter(
        group__in=groups_visible_to(user), pk=delinquency_id
    ).exists():
        raise NotFound(ErrorCode.NOT_FOUND, f"No delinquency {delinquency_id}.")
    return delinquency_id


@router.post(
    "/billing/delinquencies/{delinquency_id}/cancel",
    response=DelinquencyOut,
    summary="Cancel a lapsed group for non-payment now",
)
def delinquency_cancel(request: HttpRequest, delinquency_id: int) -> DelinquencyOut:
    user = _billing_user(request, "billing.change_delinquency")
    case = delinquency_services.delinquency_cancel(
        actor=user, delinquency_id=_case(user, delinquency_id)
    )
    return DelinquencyOut.of(case)


@router.post(
    "/billing/delinquencies/{delinquency_id}/reinstate",
    response=DelinquencyOut,
    summary="Reinstate a group whose back premium is paid",
)
def delinquency_reinstate(request: HttpRequest, delinquency_id: int) -> DelinquencyOut:
    user = _billing_user(request, "billing.change_delinquency")
    case = delinquency_services.delinquency_reinstate(
        actor=user, delinquency_id=_case(user, delinquency_id)
    )
    return DelinquencyOut.of(case)

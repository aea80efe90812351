"""Remittances, suspense, refunds and reversals over REST (assembled by `billing.api`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from payerdesk.billing.api.schemas import (
    DecisionIn,
    ExportQuery,
    PaymentIn,
    PeriodOut,
    RefundOut,
    RemittanceOut,
    RemittanceResultOut,
    ResolveIn,
    ReversalIn,
    ReversalOut,
    VarianceOut,
)
from payerdesk.billing.models import ListBill
from payerdesk.billing.selectors import remittances as remittance_selectors
from payerdesk.billing.services import refunds, suspense
from payerdesk.billing.services.remittances import (
    payment_record,
    remittance_file_receive,
)
from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

router = Router(tags=["premium remittances"])


def _require(user: User, perm: str) -> None:
    if not user.has_perm(perm):
        raise NotPermitted("Your role does not work premium remittances.")


def _group(user: User, group_number: str | None) -> EmployerGroup | None:
    if not group_number:
        return None
    try:
        return remittance_selectors.group_get(user=user, group_number=group_number)
    except NotFound:
        raise InvalidInput(
            ErrorCode.INVALID, f"No group {group_number!r}.", field="group"
        ) from None


@router.post(
    "/remittances/files", response=RemittanceResultOut, summary="Receive an 820, CSV or Excel"
)
def upload_remittance(
    request: HttpRequest,
    file: File[UploadedFile],
    group: Form[str | None] = None,
    period: Form[date | None] = None,
) -> RemittanceResultOut:
    """Store, reconcile and post the file whole, or refuse it with the place of the error.
    `group` (group number) is needed when the 820's REF*38 does not name it; `period`
    (the bill's first day) when sheet lines have no period."""
    user = staff_user(request)
    _require(user, "billing.add_remittance")
    result = remittance_file_receive(
        actor=user, name=file.name or "remittance", content=file.read(),
        group=_group(user, group), period=period,
    )  # fmt: skip
    return RemittanceResultOut.of(result)


@router.post("/remittances/payments", response=RemittanceResultOut, summary="Key a payment")
def key_payment(request: HttpRequest, payload: PaymentIn) -> RemittanceResultOut:
    user = staff_user(request)
    _require(user, "billing.add_remittance")
    group = _group(user, payload.group)
    assert group is not None
    bill = None
    if payload.bill_period is not None:
        bill = ListBill.objects.filter(group=group, period_start=payload.bill_period).first()
        if bill is None:
            raise InvalidInput(
                ErrorCode.INVALID, f"No bill for {payload.bill_period}.", field="bill_period"
            )
    result = payment_record(
        actor=user, group=group, amount=payload.amount, payment_date=payload.payment_date,
        method=payload.method, reference=payload.reference, bill=bill,
    )  # fmt: skip
    return RemittanceResultOut.of(result)


@router.get("/remittances/{remittance_id}", response=RemittanceOut, summary="A remittance")
def get_remittance(request: HttpRequest, remittance_id: int) -> RemittanceOut:
    """Its variances name members by id: the read is access-logged."""
    user = staff_user(request)
    _require(user, "billing.view_remittance")
    remittance = remittance_selectors.remittance_get(user=user, remittance_id=remittance_id)
    log_record_view(
        request, user, record_type="billing.remittance", record_id=str(remittance.pk),
        channel=AccessLogEntry.Channel.API,
    )  # fmt: skip
    return RemittanceOut(
        id=remittance.pk, group=remittance.group.group_number, source=remittance.source,
        total=remittance.total, payment_date=remittance.payment_date,
        reference=remittance.reference, lines=remittance.lines.count(),
        variances=[VarianceOut.of(v) for v in remittance_selectors.variance_list(remittance)],
    )  # fmt: skip


@router.post("/variances/{variance_id}/resolve", response=VarianceOut, summary="Clear suspense")
def resolve_variance(request: HttpRequest, variance_id: int, payload: ResolveIn) -> VarianceOut:
    """Apply the held amount to a member and period, refund it, or write it off."""
    user = staff_user(request)
    _require(user, suspense.PERMISSION)
    variance = remittance_selectors.variance_get(user=user, variance_id=variance_id)
    if payload.action == "apply":
        if payload.period_start is None:
            raise InvalidInput(ErrorCode.INVALID, "Say which period.", field="period_start")
        suspense.variance_apply(
            actor=user, variance_id=variance.pk, member_id=payload.member,
            period_start=payload.period_start,
        )  # fmt: skip
    elif payload.action == "refund":
        suspense.variance_refund(actor=user, variance_id=variance.pk, reason=payload.reason)
    else:
        suspense.variance_write_off(actor=user, variance_id=variance.pk, reason=payload.reason)
    variance.refresh_from_db()
    return VarianceOut.of(variance)


@router.get("/refunds", response=list[RefundOut], summary="Refunds")
def list_refunds(request: HttpRequest, status: str | None = None) -> list[RefundOut]:
    user = staff_user(request)
    _require(user, "billing.view_refund")
    found = remittance_selectors.refunds_visible_to(user)
    if status:
        found = found.filter(status=status)
    return [RefundOut.of(refund) for refund in found[:500]]


@router.post("/refunds/{refund_id}/decision", response=RefundOut, summary="Approve a refund")
def decide_refund(request: HttpRequest, refund_id: int, payload: DecisionIn) -> RefundOut:
    """A second person (not the requester) approves or rejects a refund above the limit."""
    user = staff_user(request)
    _require(user, refunds.PERMISSION)
    if not remittance_selectors.refunds_visible_to(user).filter(pk=refund_id).exists():
        raise NotFound(ErrorCode.NOT_FOUND, f"Refund {refund_id} does not exist.")
    return RefundOut.of(
        refunds.refund_decide(actor=user, refund_id=refund_id, approve=payload.approve)
    )


@router.post(
    "/refunds/export",
    summary="Approved refunds as a payment instruction: CSV, or a NACHA (ACH) file",
)
def export_refunds(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponse:
    user = staff_user(request)
    _require(user, refunds.PERMISSION)
    if query.format == "nacha":
        content, count = refunds.refunds_export_ach(
            actor=user, effective_date=query.effective_date or timezone.localdate(),
            sec_code=query.sec_code,
        )  # fmt: skip
        response = HttpResponse(content, content_type="text/plain")
        response["Content-Disposition"] = 'attachment; filename="refunds.ach"'
    else:
        content, count = refunds.refunds_export(actor=user)
        response = HttpResponse(content, content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="refunds.csv"'
    response["X-Refunds"] = str(count)
    return response


@router.post("/reversals", response=ReversalOut, summary="Reverse premium since a date")
def reverse_premium(request: HttpRequest, payload: ReversalIn) -> ReversalOut:
    """After a retroactive termination (or, with `new_premium`, a decrease)."""
    user = staff_user(request)
    _require(user, refunds.PERMISSION)
    member = group_selectors.member_find(
        user=user, member_id=payload.member, group_number=payload.group
    )
    total, refund = refunds.premium_reverse(
        actor=user, member=member, since=payload.since, reason=payload.reason,
        new_premium=payload.new_premium,
    )  # fmt: skip
    return ReversalOut(reversed=total, refund=RefundOut.of(refund) if refund else None)


@router.get("/reconciliation/{group_number}", response=list[PeriodOut], summary="Billed vs paid")
def reconciliation(request: HttpRequest, group_number: str) -> list[PeriodOut]:
    user = staff_user(request)
    _require(user, "billing.view_remittance")
    group = remittance_selectors.group_get(user=user, group_number=group_number)
    rows = remittance_selectors.reconciliation_summary(group)
    return [PeriodOut(**row.__dict__) for row in rows]

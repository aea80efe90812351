"""The request and response shapes of billing's API, for every feature's router."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from payerdesk.billing.models import Delinquency, ListBill, Refund, Variance
from payerdesk.billing.services.remittances import RemittanceResult
from payerdesk.core.money import ZERO


class ScheduleIn(Schema):
    mode: str
    first_period_start: date
    bill_day: int = 1
    lead_days: int = 15
    tolerance: Decimal = ZERO
    refund_routing_number: str = Field("", description="ABA routing number for ACH refunds")
    refund_account_number: str = ""
    refund_account_type: str = "checking"


class ScheduleOut(ScheduleIn):
    group: str


class BillOut(Schema):
    id: int
    group: str
    period_start: date
    period_end: date
    bill_date: date
    due_date: date
    status: str
    total: Decimal

    @staticmethod
    def of(bill: ListBill) -> BillOut:
        return BillOut(
            id=bill.pk, group=bill.group.group_number, period_start=bill.period_start,
            period_end=bill.period_end, bill_date=bill.bill_date, due_date=bill.due_date,
            status=bill.status, total=bill.total,
        )  # fmt: skip


class GenerateIn(Schema):
    group: str
    period: date


class GeneratedOut(Schema):
    created: bool
    bill: BillOut


class BillFilter(Schema):
    group: str | None = None
    status: str | None = None


class LineOut(Schema):
    member_id: str
    product: str
    tier: str
    period_start: date
    period_end: date
    kind: str
    amount: Decimal
    note: str


class BillDetailOut(BillOut):
    lines: list[LineOut]
    line_count: int


class Paging(Schema):
    offset: int = 0
    limit: int = 1000


class AgingOut(Schema):
    group: str
    market: str
    status: str
    current: Decimal
    days_30: Decimal
    days_60: Decimal
    days_90_plus: Decimal
    total: Decimal
    oldest_due: date | None


class AgingQuery(Schema):
    market: str | None = None
    as_of: date | None = None
    delinquent_only: bool = False


class DelinquencyOut(Schema):
    id: int
    group: str
    stage: str
    amount_due: Decimal
    lapsed_on: date
    cancel_on: date
    paid_through: date
    cancelled_on: date | None
    reinstated_on: date | None
    work_item: int

    @staticmethod
    def of(case: Delinquency) -> DelinquencyOut:
        return DelinquencyOut(
            id=case.pk, group=case.group.group_number, stage=case.stage,
            amount_due=case.amount_due, lapsed_on=case.lapsed_on, cancel_on=case.cancel_on,
            paid_through=case.paid_through, cancelled_on=case.cancelled_on,
            reinstated_on=case.reinstated_on, work_item=case.work_item_id,
        )  # fmt: skip


class RemittanceResultOut(Schema):
    remittance: int
    already_received: bool
    total: Decimal
    lines: int
    applied: Decimal
    written_off: Decimal
    held: Decimal
    variances: dict[str, int]
    work_item: int | None
    summary: str

    @staticmethod
    def of(result: RemittanceResult) -> RemittanceResultOut:
        return RemittanceResultOut(
            remittance=result.remittance.pk, already_received=result.already_received,
            total=result.remittance.total, lines=result.lines, applied=result.applied,
            written_off=result.written_off, held=result.held, variances=dict(result.by_kind),
            work_item=result.work_item_id, summary=result.summary(),
        )  # fmt: skip


class PaymentIn(Schema):
    group: str
    amount: Decimal
    payment_date: date
    method: Literal["check", "ach"]
    reference: str
    bill_period: date | None = None


class VarianceOut(Schema):
    id: int
    kind: str
    status: str
    member: str
    period_start: date | None
    billed: Decimal
    paid: Decimal
    held: Decimal
    reason: str

    @staticmethod
    def of(variance: Variance) -> VarianceOut:
        return VarianceOut(
            id=variance.pk, kind=variance.kind, status=variance.status,
            member=variance.member_ref, period_start=variance.period_start,
            billed=variance.billed, paid=variance.paid, held=variance.held,
            reason=variance.reason,
        )  # fmt: skip


class RemittanceOut(Schema):
    id: int
    group: str
    source: str
    total: Decimal
    payment_date: date
    reference: str
    lines: int
    variances: list[VarianceOut]


class ResolveIn(Schema):
    action: Literal["apply", "refund", "write_off"]
    member: str = ""
    period_start: date | None = None
    reason: str = ""


class RefundOut(Schema):
    id: int
    group: str
    amount: Decimal
    reason: str
    status: str
    requested_by: str
    decided_by: str

    @staticmethod
    def of(refund: Refund) -> RefundOut:
        return RefundOut(
            id=refund.pk, group=refund.group.group_number, amount=refund.amount,
            reason=refund.reason, status=refund.status,
            requested_by=str(refund.requested_by or ""), decided_by=str(refund.decided_by or ""),
        )  # fmt: skip


class DecisionIn(Schema):
    approve: bool


class ExportQuery(Schema):
    format: Literal["csv", "nacha"] = "csv"
    effective_date: date | None = Field(None, description="NACHA: the settlement date wanted")
    sec_code: Literal["CCD", "PPD"] = "CCD"


class ReversalIn(Schema):
    member: str
    group: str
    since: date
    reason: str
    new_premium: Decimal | None = None


class ReversalOut(Schema):
    reversed: Decimal
    refund: RefundOut | None


class PeriodOut(Schema):
    period_start: date
    billed: Decimal
    paid: Decimal
    open: Decimal
    status: str
    variances: int
    unsettled: int

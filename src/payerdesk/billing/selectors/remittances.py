"""Reads for remittances, variances, refunds and the reconciliation summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from payerdesk.billing.models import (
    Account,
    JournalLine,
    ListBill,
    ListBillStatus,
    Refund,
    Remittance,
    Variance,
    VarianceStatus,
)
from payerdesk.core.errors import ErrorCode, NotFound
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, to_cents
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

_MONEY = DecimalField(max_digits=16, decimal_places=2)
PAYMENT_SOURCES = ("remittance", "suspense_apply")
BILLING_SOURCES = ("list_bill", "reversal")  # credits from these take premium back


def remittances_visible_to(user: User) -> QuerySet[Remittance]:
    groups = group_selectors.groups_visible_to(user)
    return Remittance.objects.filter(group__in=groups).select_related("group")


def remittance_get(*, user: User, remittance_id: int) -> Remittance:
    found = remittances_visible_to(user).filter(pk=remittance_id).first()
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Remittance {remittance_id} does not exist.")
    return found


def variance_list(remittance: Remittance) -> QuerySet[Variance]:
    return remittance.variances.select_related("member").order_by("status", "kind", "id")


def variance_get(*, user: User, variance_id: int) -> Variance:
    groups = group_selectors.groups_visible_to(user)
    found = Variance.objects.filter(pk=variance_id, group__in=groups).first()
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Variance {variance_id} does not exist.")
    return found


def refunds_visible_to(user: User) -> QuerySet[Refund]:
    groups = group_selectors.groups_visible_to(user)
    return Refund.objects.filter(group__in=groups).select_related(
        "group", "requested_by", "decided_by"
    )


def group_get(*, user: User, group_number: str) -> EmployerGroup:
    found = (
        group_selectors.groups_visible_to(user).filter(group_number__iexact=group_number).first()
    )
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Group {group_number} does not exist.")
    return found


@dataclass(frozen=True)
class PeriodSummary:
    period_start: date
    billed: Decimal
    paid: Decimal
    open: Decimal
    status: str
    variances: int
    unsettled: int

    @property
    def status_label(self) -> str:
        """The bill's state as people say it ("" when the period has no bill)."""
        return ListBillStatus(self.status).label if self.status else ""


def _money(expression: Sum) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=_MONEY)


def reconciliation_summary(group: EmployerGroup) -> list[PeriodSummary]:
    """Per period, oldest first: billed (receivable debits), paid (receivable credits
    from payments and applied suspense), still open, the bill's state, its variances."""
    rows = (
        JournalLine.objects.filter(
            group=group, account=Account.PREMIUM_RECEIVABLE, period_start__isnull=False
        )
        .values_list("period_start")
        .annotate(
            billed=_money(Sum("debit", filter=Q(entry__source="list_bill")))
            - _money(Sum("credit", filter=Q(entry__source__in=BILLING_SOURCES))),
            paid=_money(Sum("credit", filter=Q(entry__source__in=PAYMENT_SOURCES))),
            open=_money(Sum("debit")) - _money(Sum("credit")),
        )
        .order_by("period_start")
    )
    statuses = dict(ListBill.objects.filter(group=group).values_list("period_start", "status"))
    counts = {
        period: (total, unsettled)
        for period, total, unsettled in Variance.objects.filter(group=group)
        .values_list("period_start")
        .annotate(
            total=Count("id"),
            unsettled=Count(
                "id", filter=Q(status__in=(VarianceStatus.OPEN, VarianceStatus.SUSPENSE))
            ),
        )
    }
    return [
        PeriodSummary(
            period,
            to_cents(billed),
            to_cents(paid),
            to_cents(open_),
            statuses.get(period, ""),
            *counts.get(period, (0, 0)),
        )
        for period, billed, paid, open_ in rows
    ]


@dataclass(frozen=True)
class ChartBar:
    label: str
    billed: Decimal
    paid: Decimal
    x: float
    billed_h: float
    paid_h: float

    @property
    def billed_y(self) -> float:
        return CHART_HEIGHT - self.billed_h

    @property
    def paid_y(self) -> float:
        return CHART_HEIGHT - self.paid_h


@dataclass(frozen=True)
class BilledPaidChart:
    bars: list[ChartBar]
    width: int
    height: int


CHART_HEIGHT = 160
BAR_PITCH = 56


def billed_vs_paid_chart(rows: list[PeriodSummary]) -> BilledPaidChart:
    """Two bars per period, scaled to the largest amount: billed, then paid."""
    peak = max((max(row.billed, row.paid) for row in rows), default=ZERO) or Decimal(1)
    scale = Decimal(CHART_HEIGHT) / peak
    bars = [
        ChartBar(
            label=f"{row.period_start:%b %Y}", billed=row.billed, paid=row.paid,
            x=index * BAR_PITCH, billed_h=float(row.billed * scale),
            paid_h=float(row.paid * scale),
        )
        for index, row in enumerate(rows)
    ]  # fmt: skip
    return BilledPaidChart(bars, max(len(bars), 1) * BAR_PITCH, CHART_HEIGHT)


def suspense_total(user: User) -> Decimal:
    """Money held in suspense for the groups the user sees."""
    groups = group_selectors.groups_visible_to(user)
    held = Variance.objects.filter(group__in=groups, status=VarianceStatus.SUSPENSE)
    total: Decimal = held.aggregate(total=_money(Sum("held")))["total"]
    return total

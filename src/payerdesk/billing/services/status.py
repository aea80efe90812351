"""A list bill's state, derived from the ledger: open, partially paid, paid, reconciled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum

from payerdesk.billing.models import (
    Account,
    JournalLine,
    ListBill,
    ListBillStatus,
    Variance,
    VarianceStatus,
)

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

UNSETTLED = (VarianceStatus.OPEN, VarianceStatus.SUSPENSE)


def bill_status(total: Decimal, open_amount: Decimal, unsettled: bool) -> str:
    if total > 0 and open_amount >= total:
        return ListBillStatus.OPEN
    if open_amount > 0:
        return ListBillStatus.PARTIALLY_PAID
    return ListBillStatus.PAID if unsettled else ListBillStatus.RECONCILED


def list_bills_refresh(*, group: EmployerGroup, periods: Iterable[date]) -> None:
    """Set the state of the group's bills for `periods` from what is still receivable
    and whether any variance of the period is unsettled. Three queries per call."""
    starts = set(periods)
    if not starts:
        return
    open_by_period = dict(
        JournalLine.objects.filter(
            account=Account.PREMIUM_RECEIVABLE, group=group, period_start__in=starts
        )
        .values_list("period_start")
        .annotate(open=Sum("debit") - Sum("credit"))
    )
    unsettled = set(
        Variance.objects.filter(group=group, period_start__in=starts, status__in=UNSETTLED)
        .values_list("period_start", flat=True)
        .distinct()
    )
    for bill in ListBill.objects.filter(group=group, period_start__in=starts):
        status = bill_status(
            bill.total, open_by_period.get(bill.period_start) or Decimal(0),
            bill.period_start in unsettled,
        )  # fmt: skip
        if status != bill.status:
            ListBill.objects.filter(pk=bill.pk).update(status=status)

"""Read queries for billing. Balances are sums of journal lines, never stored."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from payerdesk.billing.models import ZERO, Account, JournalLine, ListBill
from payerdesk.core.models import User
from payerdesk.groups import selectors as group_selectors
from payerdesk.groups.models import EmployerGroup, Member

# Accounts whose balance is debits minus credits; the others are credits minus debits.
DEBIT_NORMAL = {Account.PREMIUM_RECEIVABLE, Account.CASH, Account.WRITE_OFF}
_MONEY = DecimalField(max_digits=16, decimal_places=2)
CENT = Decimal("0.01")


def _sum(field: str) -> Coalesce:
    return Coalesce(Sum(field), Value(ZERO), output_field=_MONEY)


def cents(amount: Decimal) -> Decimal:
    """SQLite sums decimals as floats; every sum read back is put to the cent."""
    return amount.quantize(CENT)


def balance(
    account: str,
    group: EmployerGroup | None = None,
    member: Member | None = None,
    period: date | None = None,
) -> Decimal:
    """An account's balance on its normal side (receivable: owed to us; suspense,
    refunds payable, income: held or earned), optionally for one group, member or
    period (the period's start date)."""
    lines = JournalLine.objects.filter(account=account)
    if group is not None:
        lines = lines.filter(group=group)
    if member is not None:
        lines = lines.filter(member=member)
    if period is not None:
        lines = lines.filter(period_start=period)
    sums = lines.aggregate(debit=_sum("debit"), credit=_sum("credit"))
    net = cents(sums["debit"] - sums["credit"])
    return net if account in DEBIT_NORMAL else -net


def member_balances(group: EmployerGroup) -> dict[int, Decimal]:
    """Premium receivable per member id (billed minus applied), members with lines only."""
    rows = (
        JournalLine.objects.filter(
            account=Account.PREMIUM_RECEIVABLE, group=group, member__isnull=False
        )
        .values_list("member_id")
        .annotate(debit=_sum("debit"), credit=_sum("credit"))
    )
    return {member_id: cents(debit - credit) for member_id, debit, credit in rows}


def member_period_balances(group: EmployerGroup) -> dict[tuple[int, date], Decimal]:
    """Premium receivable per (member id, period start)."""
    rows = (
        JournalLine.objects.filter(
            account=Account.PREMIUM_RECEIVABLE, group=group, member__isnull=False
        )
        .values_list("member_id", "period_start")
        .annotate(debit=_sum("debit"), credit=_sum("credit"))
    )
    return {(m, start): cents(debit - credit) for m, start, debit, credit in rows}


def list_bills_visible_to(user: User) -> QuerySet[ListBill]:
    """Bills of the groups the user may see: staff by market, employers their own."""
    groups = group_selectors.groups_visible_to(user)
    return ListBill.objects.filter(group__in=groups).select_related("group", "group__market")


@dataclass(frozen=True)
class TrialBalanceRow:
    account: str
    debit: Decimal
    credit: Decimal


def trial_balance(group: EmployerGroup | None = None) -> list[TrialBalanceRow]:
    lines = JournalLine.objects.all()
    if group is not None:
        lines = lines.filter(group=group)
    rows = lines.values_list("account").annotate(debit=_sum("debit"), credit=_sum("credit"))
    return [TrialBalanceRow(a, cents(d), cents(c)) for a, d, c in rows.order_by("account")]

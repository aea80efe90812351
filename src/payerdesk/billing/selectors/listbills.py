"""Read queries for billing. Balances are sums of journal lines, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import DecimalField, Exists, ForeignKey, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from payerdesk.billing.models import (
    Account,
    JournalLine,
    ListBill,
    ListBillLine,
    ListBillStatus,
)
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, to_cents
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup, Member

# Accounts whose balance is debits minus credits; the others are credits minus debits.
DEBIT_NORMAL = {Account.PREMIUM_RECEIVABLE, Account.CASH, Account.WRITE_OFF}
# SQLite sums decimals as floats: every sum read back is put to the cent (`to_cents`).
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(field: str) -> Coalesce:
    return Coalesce(Sum(field), Value(ZERO), output_field=_MONEY)


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
    net = to_cents(sums["debit"] - sums["credit"])
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
    return {member_id: to_cents(debit - credit) for member_id, debit, credit in rows}


def member_period_balances(group: EmployerGroup) -> dict[tuple[int, date], Decimal]:
    """Premium receivable per (member id, period start)."""
    rows = (
        JournalLine.objects.filter(
            account=Account.PREMIUM_RECEIVABLE, group=group, member__isnull=False
        )
        .values_list("member_id", "period_start")
        .annotate(debit=_sum("debit"), credit=_sum("credit"))
    )
    return {(m, start): to_cents(debit - credit) for m, start, debit, credit in rows}


def receivable_credited(*, group: EmployerGroup, period: date, sources: tuple[str, ...]) -> bool:
    """Whether any entry from `sources` credited the group's receivable for a period."""
    return JournalLine.objects.filter(
        account=Account.PREMIUM_RECEIVABLE, group=group, period_start=period, credit__gt=0,
        entry__source__in=sources,
    ).exists()  # fmt: skip


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
    return [TrialBalanceRow(a, to_cents(d), to_cents(c)) for a, d, c in rows.order_by("account")]


@dataclass(frozen=True)
class BillOutstanding:
    bill: ListBill
    billed: Decimal  # what the bill put on receivable (net of any reversal of it)
    outstanding: Decimal  # left after the group's payments, oldest bill first


def bills_outstanding(group: EmployerGroup) -> list[BillOutstanding]:
    """Each bill of the group with what is left to pay on it.

    Payments and credits are not tied to a bill: everything the group has paid or
    been credited goes to its oldest bills first (first in, first out), the way
    premium is applied to the earliest unpaid period.
    """
    receivable = JournalLine.objects.filter(account=Account.PREMIUM_RECEIVABLE, group=group)
    by_bill = {
        int(source_id): to_cents(debit - credit)
        for source_id, debit, credit in receivable.filter(entry__source="list_bill")
        .values_list("entry__source_id")
        .annotate(debit=_sum("debit"), credit=_sum("credit"))
    }
    others = receivable.exclude(entry__source="list_bill").aggregate(
        debit=_sum("debit"), credit=_sum("credit")
    )
    pool = to_cents(others["credit"] - others["debit"])
    bills = list(ListBill.objects.filter(group=group).order_by("due_date", "period_start"))
    pool += sum((-by_bill.get(b.pk, ZERO) for b in bills if by_bill.get(b.pk, ZERO) < 0), ZERO)
    found = []
    for bill in bills:
        billed = by_bill.get(bill.pk, ZERO)
        applied = min(max(billed, ZERO), max(pool, ZERO))
        pool -= applied
        found.append(BillOutstanding(bill, billed, max(billed, ZERO) - applied))
    return found


@dataclass(frozen=True)
class AgingRow:
    group: EmployerGroup
    buckets: dict[str, Decimal]  # current, 30, 60, 90+
    total: Decimal
    oldest_due: date | None


def aging(*, user: User, today: date, market: str | None = None) -> list[AgingRow]:
    """Outstanding premium per group by days past the bill's due date, for the groups
    the user may see (market-scoped staff: their markets)."""
    from payerdesk.billing.rules import AGING_BUCKETS, aging_bucket

    groups = group_selectors.groups_visible_to(user).filter(list_bills__isnull=False).distinct()
    if market:
        groups = groups.filter(market__code=market)
    rows = []
    for group in groups.order_by("group_number"):
        buckets = {name: ZERO for name, _ in AGING_BUCKETS}
        oldest = None
        for item in bills_outstanding(group):
            if item.outstanding <= 0:
                continue
            days = (today - item.bill.due_date).days
            buckets[aging_bucket(days)] += item.outstanding
            oldest = oldest or item.bill.due_date
        total = sum(buckets.values(), ZERO)
        if total > 0:
            rows.append(AgingRow(group, buckets, total, oldest))
    return rows


def delinquent_groups(*, user: User, today: date, market: str | None = None) -> list[AgingRow]:
    """Groups with premium unpaid past its due date (any bucket past current)."""
    return [
        row
        for row in aging(user=user, today=today, market=market)
        if row.oldest_due is not None and row.oldest_due < today
    ]


def open_bills(user: User) -> QuerySet[ListBill]:
    """The bills the user sees that are not paid in full yet."""
    return list_bills_visible_to(user).filter(
        status__in=(ListBillStatus.OPEN, ListBillStatus.PARTIALLY_PAID)
    )


def list_bill_line_orphans() -> QuerySet[ListBillLine]:
    """List bill lines whose member or coverage row is gone. The lines carry no database
    constraint (a large bill would lock every member and coverage it names at commit),
    so this is how a deletion behind Django's PROTECT shows up."""
    references = [
        ~Exists(field.related_model._default_manager.filter(pk=OuterRef(field.attname)))
        for field in (ListBillLine._meta.get_field(name) for name in ("member", "coverage"))
        if isinstance(field, ForeignKey)
    ]
    return ListBillLine.objects.filter(reduce(or_, (Q(ref) for ref in references))).order_by("pk")

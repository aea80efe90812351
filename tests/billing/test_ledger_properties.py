"""Property: any sequence of bills, payments and reversals keeps every entry balanced and
each member's receivable equal to billed minus applied.

The `remit` work extends `OPERATIONS` with applications, refunds and write-offs.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payerdesk.billing.models import Account, JournalEntry
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.ledger import Line, journal_post, journal_reverse

R = Account.PREMIUM_RECEIVABLE
PERIODS = [date(2026, month, 1) for month in (1, 2, 3)]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
bills = st.tuples(st.just("bill"), st.integers(0, 2), st.integers(0, 2), amounts)
payments = st.tuples(st.just("pay"), st.integers(0, 2), st.integers(0, 2), amounts)
reversals = st.tuples(st.just("reverse"), st.integers(0, 30), st.just(0), st.just(Decimal(0)))
OPERATIONS = st.lists(st.one_of(bills, payments, reversals), max_size=25)


def _post(group, kind, member_id, period, amount):
    receivable = (
        Line(R, debit=amount, member_id=member_id, period_start=period)
        if kind == "bill"
        else Line(R, credit=amount, member_id=member_id, period_start=period)
    )
    other = (
        Line(Account.PREMIUM_INCOME, credit=amount)
        if kind == "bill"
        else Line(Account.CASH, debit=amount)
    )
    return journal_post(
        group=group, lines=[receivable, other], memo=kind, source=kind, source_id="p"
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_the_ledger_stays_balanced(group, make_member, operations):
    with transaction.atomic():
        members = [make_member(f"P{n}") for n in range(3)]
        expected: dict[int, Decimal] = defaultdict(Decimal)
        posted: list[tuple[JournalEntry, int, Decimal]] = []  # entry, member, receivable delta
        reversed_ids: set[int] = set()
        for kind, who, when, amount in operations:
            if kind == "reverse":
                open_entries = [p for p in posted if p[0].pk not in reversed_ids]
                if not open_entries:
                    continue
                entry, member_id, delta = open_entries[who % len(open_entries)]
                journal_reverse(entry=entry, memo="reverse")
                reversed_ids.add(entry.pk)
                expected[member_id] -= delta
                continue
            member_id = members[who].pk
            entry = _post(group, kind, member_id, PERIODS[when], amount)
            delta = amount if kind == "bill" else -amount
            posted.append((entry, member_id, delta))
            expected[member_id] += delta
        for entry in JournalEntry.objects.filter(group=group):
            sums = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
            assert sums["debit"] == sums["credit"]
        balances = listbill_selectors.member_balances(group)
        for member in members:
            assert balances.get(member.pk, Decimal(0)) == expected[member.pk]
            assert listbill_selectors.balance(R, group=group, member=member) == expected[member.pk]
        assert listbill_selectors.balance(R, group=group) == sum(expected.values(), Decimal(0))
        transaction.set_rollback(True)

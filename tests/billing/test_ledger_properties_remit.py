"""Property: any sequence of bills, 820 payments (matching or not), suspense applications,
write-offs, refunds (approved, rejected, exported) and premium reversals, run through the
real services, keeps every entry balanced, each member's receivable equal to what was
billed less what was applied, and each account equal to what the records say it holds.

The companion of `test_ledger_properties.py`, which posts raw entries.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payerdesk.billing.models import (
    Account,
    JournalEntry,
    JournalLine,
    ListBillLine,
    Refund,
    Remittance,
    Variance,
)
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.refunds import premium_reverse, refund_decide, refunds_export
from payerdesk.billing.services.remittances import remittance_file_receive
from payerdesk.billing.services.suspense import variance_apply, variance_refund, variance_write_off
from payerdesk.core.errors import ServiceError
from payerdesk.groups.models import Coverage
from tests.billing.support import bill, x820

PERIODS = [date(2026, 1, 1), date(2026, 2, 1)]
REFS = ["PA", "PB", "PC", "UNKNOWN"]
D = Decimal
amounts = st.decimals(min_value=D("-50.00"), max_value=D("300.00"), places=2)
pay_line = st.tuples(st.integers(0, 3), st.integers(0, 1), amounts)
pays = st.tuples(st.just("pay"), st.lists(pay_line, min_size=1, max_size=4))
resolves = st.tuples(
    st.sampled_from(["apply", "write_off", "refund"]), st.integers(0, 20), st.integers(0, 2)
)
decisions = st.tuples(st.sampled_from(["approve", "reject", "export"]), st.integers(0, 5))
reversals = st.tuples(st.just("reverse"), st.integers(0, 2), st.integers(0, 1))
OPERATIONS = st.lists(st.one_of(pays, resolves, decisions, reversals), max_size=10)


def _run(users, members, operation, counter):
    kind = operation[0]
    admin, second = users["groupadmin"], users["supervisor"]
    if kind == "pay":
        counter[0] += 1
        lines = [
            (REFS[who], f"{amount:.2f}", f"{PERIODS[when]:%Y%m%d}")
            for who, when, amount in operation[1]
        ]
        if sum(D(a) for _, a, _ in lines) < 0:
            return  # the reader refuses a negative BPR02; tested elsewhere
        remittance_file_receive(actor=admin, name="p.820", content=x820(lines, f"{counter[0]:09d}"))
    elif kind in {"apply", "write_off", "refund"}:
        held = list(Variance.objects.filter(status="suspense").order_by("pk"))
        if not held:
            return
        variance = held[operation[1] % len(held)]
        if kind == "apply":
            variance_apply(
                actor=admin, variance_id=variance.pk, member_id=REFS[operation[2]],
                period_start=PERIODS[operation[2] % 2],
            )  # fmt: skip
        elif kind == "write_off":
            variance_write_off(actor=admin, variance_id=variance.pk, reason="property")
        else:
            variance_refund(actor=admin, variance_id=variance.pk, reason="property")
    elif kind in {"approve", "reject"}:
        pending = list(Refund.objects.filter(status="requested").order_by("pk"))
        if pending:
            refund = pending[operation[1] % len(pending)]
            refund_decide(actor=second, refund_id=refund.pk, approve=kind == "approve")
    elif kind == "export":
        refunds_export(actor=second)
    else:
        member, since = members[operation[1]], PERIODS[operation[2]]
        # A retroactive termination: the coverage history first, then the premium.
        Coverage.objects.filter(member=member).update(
            start_date=date(2025, 12, 1), end_date=since - timedelta(days=1)
        )
        premium_reverse(actor=admin, member=member, since=since, reason="retro term")


def _amount(queryset, field="amount"):
    # SQLite sums decimals as floats: back to the cent.
    return (queryset.aggregate(total=Sum(field))["total"] or D(0)).quantize(D("0.01"))


def _check(group, members):
    for entry in JournalEntry.objects.filter(group=group):
        sums = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        assert sums["debit"] == sums["credit"]
    refunds = Refund.objects.filter(group=group)
    exported = _amount(refunds.filter(status="exported"))
    cash = _amount(Remittance.objects.filter(group=group), "total") - exported
    assert listbill_selectors.balance(Account.CASH, group=group) == cash
    pending_refund = refunds.filter(status="requested", variance__isnull=False)
    held = _amount(Variance.objects.filter(group=group, status="suspense"), "held") + _amount(
        pending_refund
    )
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == held
    approved = _amount(refunds.filter(status="approved"))
    assert listbill_selectors.balance(Account.REFUNDS_PAYABLE, group=group) == approved
    receivable = JournalLine.objects.filter(account=Account.PREMIUM_RECEIVABLE, group=group)
    for member in members:
        billed = _amount(ListBillLine.objects.filter(member=member))
        lines = receivable.filter(member=member)
        applied = _amount(lines.exclude(entry__source__in=["list_bill", "reversal"]), "credit")
        given_back = _amount(lines.exclude(entry__source__in=["list_bill", "reversal"]), "debit")
        # Billed includes the adjustment lines a reversal writes on the list bill.
        expected = billed - applied + given_back
        assert (
            listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=member)
            == expected
        )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_the_ledger_stays_balanced_through_the_services(
    group, make_member, cover, accident, users, queues, operations
):
    with transaction.atomic():
        members = [make_member(ref) for ref in REFS[:3]]
        for member in members:
            cover(member, accident)
        for period in PERIODS:
            bill(group, period, {member: "100.00" for member in members})
        counter = [0]
        for operation in operations:
            try:
                with transaction.atomic():
                    _run(users, members, operation, counter)
            except ServiceError:
                pass  # a refused action changes nothing; the invariants say so
            _check(group, members)
        transaction.set_rollback(True)

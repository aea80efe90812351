"""The billing demo on the full demo: the list bills of the demo groups, whose families
are covered as the groups demo covers them (each dependent's own $0 row on a tier-rated
plan, a spouse's own premium on per-unit spouse cover), total to what is in force, once,
and list no $0 dependent rows."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from payerdesk.billing.models import Account, JournalEntry, ListBill
from payerdesk.core.demo import demo_load
from payerdesk.groups import selectors
from payerdesk.groups.models import Coverage, Member

TODAY = date(2026, 6, 10)


@pytest.mark.usefixtures("empty_database")
def test_the_demo_list_bills_total_the_families_premium_once(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    demo_load()
    bills = list(
        ListBill.objects.select_related("group").order_by("group__group_number", "period_start")
    )
    # Three months back to the bill generated before the next period starts.
    assert {(b.group.group_number, b.period_start) for b in bills} == {
        *(("G10001", date(2026, m, 1)) for m in (3, 4, 5, 6)),
        *(("G10002", date(2026, m, 1)) for m in (3, 4, 5, 6)),
        *(("G10003", date(2026, m, 1)) for m in (3, 4, 5, 6)),
    }
    unlisted = 0
    for bill in bills:
        in_force = [
            row
            for member in Member.objects.filter(group=bill.group)
            for row in selectors.coverage_as_of(member=member, on=bill.period_start)
        ]
        lines = {line.coverage_id: line.amount for line in bill.lines.all()}
        # One line per coverage in force at its monthly premium; a dependent's $0 row on a
        # tier-rated plan is not listed (the employee's line carries the family's tier).
        assert lines == {r.pk: r.monthly_premium for r in in_force if r.monthly_premium}, bill
        unlisted += sum(1 for r in in_force if not r.monthly_premium)
        assert bill.total == sum(lines.values()) == sum(r.monthly_premium for r in in_force)
        # The ledger posts the bill: premium receivable debited by the total, balanced.
        entry = JournalEntry.objects.get(source="list_bill", source_id=str(bill.pk))
        sums = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        assert Decimal(sums["debit"]).quantize(Decimal("0.01")) == bill.total
        assert Decimal(sums["credit"]).quantize(Decimal("0.01")) == bill.total
        receivable = entry.lines.filter(account=Account.PREMIUM_RECEIVABLE)
        assert not receivable.filter(debit=0, credit=0).exists()  # a $0 dependent posts nothing
    assert unlisted > 0  # the demo's dependents are in force, and not billed on their own
    june = {b.group.group_number: b for b in bills if b.period_start == date(2026, 6, 1)}
    assert june["G10001"].total == Decimal("701.40")
    # The Hudson Valley family on employee and spouse: dental once, the spouse's own life.
    family: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in june["G10001"].lines.select_related("coverage__plan__product", "member"):
        if line.member.subscriber_id == "100200010":
            family[(line.member.member_id, line.coverage.plan.product.code)] += line.amount
    assert family[("100200010", "dental")] == Decimal("63.10")  # the ESP rate
    assert ("10020001001", "dental") not in family  # covered at ESP for $0: no line
    assert family[("10020001001", "term-life")] == Decimal("9.50")
    assert family[("10020001001", "critical-illness")] == Decimal("23.40")
    assert Coverage.objects.filter(member__member_id="10020001001").count() == 4

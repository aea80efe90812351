"""List bills: a line per member per coverage, adjustments for retroactive changes,
generated once per group and period, posted to the ledger."""

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.billing.models import Account, JournalEntry, ListBill, ListBillLine
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import listbills
from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.core.roles import Role
from payerdesk.groups.models import Coverage, Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as group_services

R = Account.PREMIUM_RECEIVABLE
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def schedule(users, group):
    return listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=JAN,
        lead_days=15, bill_day=1,
    )  # fmt: skip


@pytest.fixture
def enrolled(make_member, cover, accident, dental):
    one, two = make_member("M1"), make_member("M2")
    cover(one, accident)
    cover(one, dental)
    cover(two, accident, tier="FAM")
    return one, two


def generate(users, group, start):
    return listbills.list_bill_generate(actor=users["groupadmin"], group=group, period_start=start)


def amounts(bill: ListBill) -> list[tuple[str, str, date, Decimal]]:
    return sorted(
        (line.member.member_id, line.kind, line.period_start, line.amount)
        for line in bill.lines.select_related("member")
    )


def test_a_bill_has_a_line_per_member_per_coverage_and_posts_receivable(
    users, group, schedule, enrolled
):
    one, two = enrolled
    result = generate(users, group, JAN)
    bill = result.bill
    assert result.created
    assert amounts(bill) == [
        ("M1", "premium", JAN, Decimal("12.40")),
        ("M1", "premium", JAN, Decimal("30.00")),
        ("M2", "premium", JAN, Decimal("33.65")),
    ]
    assert bill.total == Decimal("76.05")
    assert (bill.bill_date, bill.due_date, bill.period_end) == (
        date(2025, 12, 17), JAN, date(2026, 1, 31)
    )  # fmt: skip
    assert listbill_selectors.balance(R, group=group) == Decimal("76.05")
    assert listbill_selectors.balance(Account.PREMIUM_INCOME, group=group) == Decimal("76.05")
    assert listbill_selectors.member_balances(group) == {
        one.pk: Decimal("42.40"),
        two.pk: Decimal("33.65"),
    }


def test_the_same_period_twice_changes_nothing(users, group, schedule, enrolled):
    first = generate(users, group, JAN)
    again = generate(users, group, date(2026, 1, 20))  # any day of the period finds it
    assert not again.created and again.bill == first.bill
    assert ListBillLine.objects.count() == 3 and JournalEntry.objects.count() == 1


def test_retroactive_adds_terminations_and_rate_changes_become_adjustments(
    users, group, schedule, enrolled, make_member, cover, accident, dental
):
    one, two = enrolled
    generate(users, group, JAN)
    generate(users, group, FEB)
    # After February was billed: a new hire covered from January 1, the second member's
    # coverage ended January 31, and the first member's dental moved to family in February.
    three = make_member("M3")
    cover(three, accident, start=JAN)
    Coverage.objects.filter(member=two).update(end_date=date(2026, 1, 31), status="terminated")
    Coverage.objects.filter(member=one, plan=dental).update(
        end_date=date(2026, 1, 31), status="terminated"
    )
    cover(one, dental, tier="FAM", start=FEB)
    march = generate(users, group, MAR).bill
    assert amounts(march) == [
        ("M1", "adjustment", FEB, Decimal("55.50")),
        ("M1", "premium", MAR, Decimal("12.40")),
        ("M1", "premium", MAR, Decimal("85.50")),
        ("M2", "adjustment", FEB, Decimal("-33.65")),
        ("M3", "adjustment", JAN, Decimal("12.40")),
        ("M3", "adjustment", FEB, Decimal("12.40")),
        ("M3", "premium", MAR, Decimal("12.40")),
    ]
    notes = {line.note.split(":")[0] for line in march.lines.exclude(note="")}
    assert notes == {"Retroactive add", "Retroactive termination", "Rate change"}
    assert march.total == Decimal("156.95")
    # Billed minus nothing applied: each member owes what their coverage history says.
    assert listbill_selectors.balance(R, group=group, member=two) == Decimal(
        "33.65"
    )  # January only
    assert listbill_selectors.balance(R, group=group, member=three) == Decimal("37.20")
    assert listbill_selectors.balance(R, group=group, member=one, period=FEB) == Decimal("97.90")
    # Nothing left to carry: April has no adjustments.
    april = generate(users, group, date(2026, 4, 1)).bill
    assert not april.lines.filter(kind="adjustment").exists()


def test_weekly_bills_put_the_leftover_pennies_on_the_last_week(users, group, enrolled):
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="weekly", first_period_start=JAN
    )
    first = generate(users, group, JAN).bill
    last = generate(users, group, date(2026, 12, 31)).bill
    assert (last.period_start, last.period_end) == (date(2026, 12, 24), date(2026, 12, 31))
    accident_amounts = [
        b.lines.get(member__member_id="M1", coverage__plan__product__code="accident").amount
        for b in (first, last)
    ]
    assert accident_amounts == [Decimal("2.86"), Decimal("2.94")]


def test_the_scheduled_job_generates_due_bills_once(users, group, schedule, enrolled):
    assert listbills.list_bills_generate_due(today=date(2025, 12, 16)) == []
    made = listbills.list_bills_generate_due(today=date(2025, 12, 17))
    assert [(g.bill.period_start, g.created) for g in made] == [(JAN, True)]
    again = listbills.list_bills_generate_due(today=date(2025, 12, 18))
    assert [(g.bill.period_start, g.created) for g in again] == [(JAN, False)]
    assert ListBill.objects.count() == 1


def _bills():
    return list(ListBill.objects.order_by("period_start").values_list(
        "period_start", "bill_date", "due_date", "total"
    ))  # fmt: skip


def test_a_late_job_bills_every_missed_period_with_its_own_dates(users, group, schedule, enrolled):
    listbills.list_bills_generate_due(today=date(2025, 12, 17))
    # The job did not run from 12/18 to 04/20: February to May are billed (May's bill
    # date, 04/16, has come), each dated and due as on time; June's has not come.
    made = listbills.list_bills_generate_due(today=date(2026, 4, 20))
    apr, may = date(2026, 4, 1), date(2026, 5, 1)
    assert [(g.bill.period_start, g.created) for g in made] == [
        (JAN, False), (FEB, True), (MAR, True), (apr, True), (may, True)
    ]  # fmt: skip
    on_time = [
        (JAN, date(2025, 12, 17), JAN), (FEB, date(2026, 1, 17), FEB),
        (MAR, date(2026, 2, 14), MAR), (apr, date(2026, 3, 17), apr),
        (may, date(2026, 4, 16), may),
    ]  # fmt: skip
    assert [(*dates, Decimal("76.05")) for dates in on_time] == _bills()
    assert not any(g.created for g in listbills.list_bills_generate_due(today=date(2026, 4, 20)))
    assert len(_bills()) == 5


def test_a_lapsed_group_is_billed_until_its_cancellation_date(users, group, schedule, enrolled):
    from payerdesk.billing.services.delinquency import delinquency_review

    listbills.list_bills_generate_due(today=date(2026, 1, 17))  # January and February
    # Nothing paid: January's grace ends 02/01, the group lapses 02/02 (cancellation
    # 03/04). The bill job then misses a month: its late run bills March (dated 02/14),
    # not April (dated 03/17, after the cancellation date).
    assert delinquency_review(today=date(2026, 2, 2)).lapsed == ["G2001"]
    made = listbills.list_bills_generate_due(today=date(2026, 3, 20))
    assert [(g.bill.period_start, g.created) for g in made] == [(FEB, False), (MAR, True)]
    assert delinquency_review(today=date(2026, 3, 20)).cancelled == ["G2001"]
    assert listbills.list_bills_generate_due(today=date(2026, 3, 21)) == []


def test_refusals_change_nothing(users, group, enrolled, make_user, markets):
    with pytest.raises(InvalidInput, match="no billing schedule") as refused:
        generate(users, group, JAN)
    assert refused.value.field == "group"
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=JAN
    )
    with pytest.raises(InvalidInput, match="starts 2026-01-01") as refused:
        generate(users, group, date(2025, 12, 1))
    assert refused.value.field == "period"
    with pytest.raises(NotPermitted):
        listbills.list_bill_generate(actor=users["rep"], group=group, period_start=JAN)
    texas = make_user("texas-admin", Role.GROUP_ADMIN, ("TX",))
    with pytest.raises(NotPermitted, match="Tri-State"):
        listbills.list_bill_generate(actor=texas, group=group, period_start=JAN)
    group.status = "cancelled"
    group.save()
    with pytest.raises(Conflict, match="cancelled"):
        generate(users, group, JAN)
    assert not ListBill.objects.exists() and not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "daily"}, "mode"),
        ({"first_period_start": date(2026, 1, 31)}, "first_period_start"),
        ({"bill_day": 29}, "bill_day"),
        ({"lead_days": 91}, "lead_days"),
        (
            {"refund_routing_number": "011000016", "refund_account_number": "9"},
            "refund_routing_number",
        ),
        (
            {"refund_routing_number": "011000015", "refund_account_number": "12 34!"},
            "refund_account_number",
        ),
        ({"refund_account_type": "brokerage"}, "refund_account_type"),
        ({"tolerance": Decimal("-0.01")}, "tolerance"),
    ],
)
def test_a_bad_schedule_is_refused_with_its_field(users, group, changes, field):
    values = {"mode": "monthly", "first_period_start": JAN, **changes}
    with pytest.raises(InvalidInput) as refused:
        listbills.billing_schedule_set(actor=users["groupadmin"], group=group, **values)
    assert refused.value.field == field


def test_a_billed_member_or_coverage_cannot_be_deleted(users, group, schedule, enrolled):
    from django.db.models import ProtectedError

    one, _ = enrolled
    generate(users, group, JAN)
    with pytest.raises(ProtectedError):
        Coverage.objects.filter(member=one).delete()
    with pytest.raises(ProtectedError):
        one.delete()


@pytest.fixture
def family(group, enrolled, cover, accident):
    """M2's family accident tier covers a child (a $0.00 row at M2's tier) and a spouse
    on a per-unit spouse life plan, rated on their own (5.00)."""
    _, two = enrolled
    product = Product.objects.create(code="spouse-life", name="Spouse life", insurance_line="LIF")
    life = PlanDesign.objects.create(
        group=group, product=product, name="Spouse life", effective_date=JAN, tiers=["EMP"],
        rate_basis="per_unit", unit_amount=Decimal("1000"), min_benefit=Decimal("5000"),
        max_benefit=Decimal("50000"), guaranteed_issue=Decimal("50000"),
    )  # fmt: skip
    RateRow.objects.create(plan=life, age_min=0, age_max=120, tobacco=False, rate="0.500")
    kids_first = (("M2-02", "19", date(2015, 5, 1)), ("M2-01", "01", date(1985, 1, 1)))
    child, spouse = (
        Member.objects.create(
            group=group,
            employee=two,
            subscriber_id="M2",
            member_id=ref,
            relationship=code,
            first_name="Kai",
            last_name="Rivera",
            birth_date=born,
            sex="M",
        )
        for ref, code, born in kids_first
    )
    cover(child, accident, tier="")
    group_services.coverage_add(actor=None, member=spouse, plan=life, tier="EMP",
                                benefit_amount=Decimal("10000"), start_date=JAN)  # fmt: skip
    return two, child, spouse


def test_a_dependent_owing_nothing_gets_no_line_and_no_adjustment(
    users, group, schedule, family, cover, accident
):
    two, child, _ = family
    assert Coverage.objects.get(member=child).monthly_premium == Decimal("0.00")
    jan = generate(users, group, JAN).bill
    assert amounts(jan) == [
        ("M1", "premium", JAN, Decimal("12.40")),
        ("M1", "premium", JAN, Decimal("30.00")),
        ("M2", "premium", JAN, Decimal("33.65")),
        ("M2-01", "premium", JAN, Decimal("5.00")),  # per-unit: the spouse's own premium
    ]
    assert jan.total == Decimal("81.05") == listbill_selectors.balance(R, group=group)
    assert child.pk not in listbill_selectors.member_balances(group)
    # A second child covered back to January, and the first one's coverage ended in
    # January: neither owes anything, so no adjustment either.
    second = Member.objects.create(
        group=group, employee=two, subscriber_id="M2", member_id="M2-03", relationship="19",
        first_name="Ari", last_name="Rivera", birth_date=date(2017, 2, 1), sex="F",
    )  # fmt: skip
    cover(second, accident, tier="", start=JAN)
    Coverage.objects.filter(member=child).update(end_date=date(2026, 1, 31), status="terminated")
    feb = generate(users, group, FEB).bill
    assert [line for line in amounts(feb) if line[0].startswith("M2-0")] == [
        ("M2-01", "premium", FEB, Decimal("5.00"))
    ]
    assert feb.total == Decimal("81.05")
    assert not ListBillLine.objects.filter(amount=0).exists()

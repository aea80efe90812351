"""Terminations and reinstatements: dates, reason codes, history kept, re-rated."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    Coverage,
    Member,
    PlanDesign,
    PolicyEvent,
    PremiumChange,
    Product,
    RateRow,
)
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.terminations import (
    coverage_reinstate,
    coverage_terminate,
    group_reinstate,
    group_terminate,
    member_reinstate,
    member_terminate,
)

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def family(users, employee, term_life, accident):
    """The employee with term life ($30,000: 2.55) and family accident (33.65); a child
    covered under accident too (at the family's tier, for nothing)."""
    child = Member.objects.create(
        group=employee.group,
        employee=employee,
        subscriber_id=employee.subscriber_id,
        member_id="100200300-02",
        relationship="19",
        first_name="Kai",
        last_name="Rivera",
        birth_date=date(2015, 5, 1),
        sex="M",
    )
    add = services.coverage_add
    admin = users["groupadmin"]
    add(
        actor=admin,
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("30000"),
        start_date=date(2026, 1, 1),
    )
    add(
        actor=admin,
        member=employee,
        plan=accident,
        tier="FAM",
        benefit_amount=None,
        start_date=date(2026, 1, 1),
    )
    add(
        actor=admin,
        member=child,
        plan=accident,
        tier="FAM",
        benefit_amount=None,
        start_date=date(2026, 1, 1),
    )
    return employee, child


def covered_on(member, on):
    return sorted(row.plan.product.code for row in selectors.coverage_as_of(member=member, on=on))


def test_terminating_one_product(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    outcome = coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 8, 31),
        reason="voluntary",
    )
    row.refresh_from_db()
    assert (row.status, row.end_date) == ("terminated", date(2026, 8, 31))
    assert outcome.ended == [row]
    assert covered_on(employee, date(2026, 8, 31)) == ["accident", "term-life"]
    assert covered_on(employee, date(2026, 9, 1)) == ["accident"]
    event = PolicyEvent.objects.get(event="coverage_terminated")
    assert (event.reason, event.effective_date, event.coverage) == (
        "voluntary",
        date(2026, 8, 31),
        row,
    )


def test_terminating_an_employee_ends_their_dependents_too(users, family):
    employee, child = family
    outcome = member_terminate(
        actor=users["groupadmin"],
        member=employee,
        termination_date=date(2026, 9, 30),
        reason="employment_ended",
    )
    assert len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 10, 1)) == [] == covered_on(child, date(2026, 10, 1))
    assert Coverage.objects.count() == 3  # ended, never deleted
    with pytest.raises(Conflict, match="no coverage in force"):
        member_terminate(
            actor=users["groupadmin"],
            member=employee,
            termination_date=date(2026, 9, 30),
            reason="voluntary",
        )


def test_a_past_termination_records_the_premium_given_back(users, family, term_life):
    employee, _ = family
    member_terminate(
        actor=users["groupadmin"],
        member=employee,
        plan=term_life,
        termination_date=date(2026, 5, 15),
        reason="death",
    )
    diffs = [
        (d.period, d.old_amount, d.new_amount, d.difference)
        for d in PremiumChange.objects.order_by("period")
    ]
    assert diffs == [
        # May 16-31: 16 of 31 days of 2.55 = 1.316... -> 1.32
        (date(2026, 5, 1), Decimal("1.32"), Decimal("0.00"), Decimal("-1.32")),
        (date(2026, 6, 1), Decimal("2.55"), Decimal("0.00"), Decimal("-2.55")),
    ]


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"termination_date": date(2025, 12, 31)}, "termination_date", "before the"),
        ({"reason": "bored"}, "reason", "not a reason code"),
    ],
)
def test_bad_terminations_are_refused(users, family, term_life, values, field, says):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    arguments = {"termination_date": date(2026, 8, 31), "reason": "voluntary"} | values
    with pytest.raises(InvalidInput, match=says) as refused:
        coverage_terminate(actor=users["groupadmin"], coverage=row, **arguments)
    assert refused.value.field == field
    row.refresh_from_db()
    assert row.end_date is None and not PolicyEvent.objects.exclude(event="coverage_added").exists()


def test_only_group_administration_terminates(users, family, term_life):
    employee, _ = family
    for role in ("auditor", "rep", "employer", "salesadmin"):
        with pytest.raises(NotPermitted):
            member_terminate(
                actor=users[role],
                member=employee,
                termination_date=date(2026, 8, 31),
                reason="voluntary",
            )


def test_reinstating_restores_from_the_day_after_and_re_rates(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 3, 31),
        reason="nonpayment",
    )
    employee.tobacco = True  # rated on what is true now
    employee.save()
    new = coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="payment_received")
    assert (new.start_date, new.end_date, new.status) == (date(2026, 4, 1), None, "active")
    assert new.monthly_premium == Decimal("5.10")  # 30 x 0.170 tobacco
    assert covered_on(employee, date(2026, 4, 1)) == ["accident", "term-life"]
    row.refresh_from_db()
    assert row.end_date == date(2026, 3, 31)  # the terminated row stays as history
    assert [
        d.difference for d in PremiumChange.objects.filter(coverage=new).order_by("period")
    ] == [
        Decimal("5.10"),
        Decimal("5.10"),
        Decimal("5.10"),  # April to June, billed back
    ]
    assert PolicyEvent.objects.filter(event="coverage_reinstated", coverage=new).exists()


def test_reinstatement_refusals(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    with pytest.raises(Conflict, match="in force") as conflict:
        coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="appeal")
    assert conflict.value.field == "coverage"
    coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 3, 31),
        reason="voluntary",
    )
    with pytest.raises(InvalidInput, match="after the coverage ended") as refused:
        coverage_reinstate(
            actor=users["groupadmin"],
            coverage=row,
            reason="appeal",
            reinstatement_date=date(2026, 3, 1),
        )
    assert refused.value.field == "reinstatement_date"
    with pytest.raises(InvalidInput) as refused:
        coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="because")
    assert refused.value.field == "reason"
    with pytest.raises(Conflict):
        member_reinstate(
            actor=users["groupadmin"],
            member=employee,
            reason="appeal",
            plan=employee.group.plans.exclude(pk=term_life.pk).get(),
        )


def test_member_reinstatement_brings_back_dependents_ended_with_the_employee(users, family):
    employee, child = family
    member_terminate(
        actor=users["groupadmin"],
        member=employee,
        termination_date=date(2026, 7, 31),
        reason="employment_ended",
    )
    outcome = member_reinstate(
        actor=users["groupadmin"],
        member=employee,
        reason="rehired",
        reinstatement_date=date(2026, 9, 1),
    )
    assert len(outcome.opened) == 3
    assert covered_on(employee, date(2026, 8, 15)) == []  # the gap stays a gap
    assert covered_on(child, date(2026, 9, 1)) == ["accident"]


def test_group_termination_for_nonpayment_and_reinstatement(users, family, group):
    employee, child = family
    outcome = group_terminate(
        actor=None, group=group, termination_date=date(2026, 4, 30), reason="nonpayment"
    )
    group.refresh_from_db()
    assert group.status == "cancelled" and len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 5, 1)) == []
    with pytest.raises(Conflict, match="already"):
        group_terminate(
            actor=None, group=group, termination_date=date(2026, 4, 30), reason="nonpayment"
        )
    with pytest.raises(Conflict, match="reinstate the group first"):
        member_reinstate(actor=users["groupadmin"], member=employee, reason="appeal")
    back = group_reinstate(actor=users["groupadmin"], group=group, reason="payment_received")
    group.refresh_from_db()
    assert group.status == "active" and len(back.opened) == 3
    assert {row.start_date for row in back.opened} == {date(2026, 5, 1)}
    assert covered_on(child, date(2026, 5, 1)) == ["accident"]
    events = list(PolicyEvent.objects.filter(member__isnull=True).values_list("event", flat=True))
    assert events == ["group_terminated", "group_reinstated"]
    with pytest.raises(Conflict, match="in force"):
        group_reinstate(actor=users["groupadmin"], group=group, reason="appeal")


def test_a_group_termination_before_its_effective_date_is_refused(users, family, group):
    with pytest.raises(InvalidInput) as refused:
        group_terminate(
            actor=users["groupadmin"],
            group=group,
            termination_date=date(2025, 12, 31),
            reason="group_ended",
        )
    assert refused.value.field == "termination_date"
    group.refresh_from_db()
    assert group.status == "active"


def test_changes_after_the_termination_date_are_cancelled(users, family, term_life):
    """A future-dated row that had not started by the termination date never was."""
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    row.end_date, row.status = date(2026, 8, 31), "terminated"
    row.save()
    later = Coverage.objects.create(
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("40000"),
        start_date=date(2026, 9, 1),
        monthly_premium=Decimal("3.40"),
        rated_age=39,
        rated_tobacco=False,
    )
    outcome = coverage_terminate(
        actor=users["groupadmin"],
        coverage=later,
        termination_date=date(2026, 7, 31),
        reason="voluntary",
    )
    later.refresh_from_db()
    row.refresh_from_db()
    assert later.status == "cancelled" and outcome.cancelled == [later]
    assert row.end_date == date(2026, 7, 31)


def history(member, plan):
    return [
        (row.start_date, row.end_date, row.status, row.tier, row.benefit_amount,
         row.monthly_premium)
        for row in Coverage.objects.filter(member=member, plan=plan)
        .exclude(status="cancelled")
        .order_by("start_date", "pk")
    ]  # fmt: skip


def test_a_reinstated_family_pays_the_tier_premium_once(users, family, accident):
    """The child's reinstated accident row is at the employee's tier, for nothing."""
    employee, child = family
    member_terminate(
        actor=users["groupadmin"], member=employee, termination_date=date(2026, 3, 31),
        reason="nonpayment",
    )  # fmt: skip
    outcome = member_reinstate(
        actor=users["groupadmin"], member=employee, reason="payment_received"
    )
    assert len(outcome.opened) == 3
    assert history(employee, accident)[-1] == (
        date(2026, 4, 1), None, "active", "FAM", None, Decimal("33.65")
    )  # fmt: skip
    assert history(child, accident)[-1] == (
        date(2026, 4, 1), None, "active", "FAM", None, Decimal("0.00")
    )  # fmt: skip
    assert not PremiumChange.objects.filter(coverage__member=child, difference__gt=0).exists()


def test_a_reinstated_group_covers_dependents_at_the_employees_tier(users, group, employee,
                                                                    accident):  # fmt: skip
    """The dependent's row was written before the employee's (a lower id): the
    employee's is reinstated first all the same, so the child finds the tier."""
    child = Member.objects.create(
        group=group, employee=employee, subscriber_id=employee.subscriber_id,
        member_id="100200300-02", relationship="19", first_name="Kai", last_name="Rivera",
        birth_date=date(2015, 5, 1), sex="M",
    )  # fmt: skip
    for member, premium in ((child, "0.00"), (employee, "33.65")):
        Coverage.objects.create(
            member=member, plan=accident, tier="FAM", start_date=date(2026, 1, 1),
            monthly_premium=Decimal(premium), rated_age=30, rated_tobacco=False,
        )  # fmt: skip
    group_terminate(actor=None, group=group, termination_date=date(2026, 4, 30),
                    reason="nonpayment")  # fmt: skip
    back = group_reinstate(actor=None, group=group, reason="payment_received")
    assert [row.member for row in back.opened] == [employee, child]
    assert history(child, accident)[-1] == (
        date(2026, 5, 1), None, "active", "FAM", None, Decimal("0.00")
    )  # fmt: skip
    assert history(employee, accident)[-1][-1] == Decimal("33.65")


@pytest.fixture
def increase_in_september(family, term_life):
    """The employee's term life goes from $30,000 (2.55) to $40,000 (3.40) on 09/01."""
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    row.end_date, row.status = date(2026, 8, 31), "terminated"
    row.save()
    Coverage.objects.create(
        member=employee, plan=term_life, tier="EMP", benefit_amount=Decimal("40000"),
        start_date=date(2026, 9, 1), monthly_premium=Decimal("3.40"), rated_age=39,
        rated_tobacco=False,
    )  # fmt: skip
    return employee


RESTORED = [
    (date(2026, 1, 1), date(2026, 3, 31), "terminated", "EMP", Decimal("30000.00"),
     Decimal("2.55")),
    (date(2026, 4, 1), date(2026, 8, 31), "terminated", "EMP", Decimal("30000.00"),
     Decimal("2.55")),
    (date(2026, 9, 1), None, "active", "EMP", Decimal("40000.00"), Decimal("3.40")),
]  # fmt: skip


@pytest.mark.parametrize("how", ["coverage", "member", "group"])
def test_reinstatement_brings_back_a_future_change_from_its_own_date(
    users, group, term_life, increase_in_september, how
):
    employee = increase_in_september
    if how == "group":
        group_terminate(actor=None, group=group, termination_date=date(2026, 3, 31),
                        reason="nonpayment")  # fmt: skip
        group_reinstate(actor=users["groupadmin"], group=group, reason="payment_received")
    elif how == "member":
        member_terminate(
            actor=users["groupadmin"], member=employee, termination_date=date(2026, 3, 31),
            reason="nonpayment",
        )  # fmt: skip
        member_reinstate(actor=users["groupadmin"], member=employee, reason="payment_received")
    else:
        first = Coverage.objects.filter(member=employee, plan=term_life).earliest("start_date")
        coverage_terminate(actor=users["groupadmin"], coverage=first,
                           termination_date=date(2026, 3, 31), reason="voluntary")  # fmt: skip
        new = coverage_reinstate(actor=users["groupadmin"], coverage=first, reason="appeal")
        assert new.start_date == date(2026, 4, 1)
    assert history(employee, term_life) == RESTORED
    assert covered_on(employee, date(2026, 9, 1)) == ["accident", "term-life"]
    # Billed back from April (today is in June); the September change is not yet due.
    restored = Coverage.objects.get(member=employee, plan=term_life, start_date=date(2026, 4, 1))
    assert [c.difference for c in PremiumChange.objects.filter(coverage=restored)] == [
        Decimal("2.55")
    ] * 3


def test_a_reinstatement_dated_after_the_change_starts_from_the_change(
    users, term_life, increase_in_september
):
    employee = increase_in_september
    member_terminate(
        actor=users["groupadmin"], member=employee, termination_date=date(2026, 3, 31),
        reason="voluntary",
    )  # fmt: skip
    member_reinstate(
        actor=users["groupadmin"], member=employee, reason="rehired", plan=term_life,
        reinstatement_date=date(2026, 10, 1),
    )  # fmt: skip
    assert history(employee, term_life)[1:] == [
        (date(2026, 10, 1), None, "active", "EMP", Decimal("40000.00"), Decimal("3.40"))
    ]


@pytest.mark.parametrize("how", ["member", "group"])
def test_coverage_not_yet_started_comes_back_as_planned(users, group, family, accident, how):
    """Cancelled for non-payment before it started (dental from 07/01, a tier change on
    10/01): reinstatement restores both rows, from their own dates."""
    employee, _ = family
    dental_product = Product.objects.create(code="dental", name="Dental", insurance_line="DEN")
    dental = PlanDesign.objects.create(
        group=group, product=dental_product, name="Dental", effective_date=date(2026, 1, 1),
        tiers=["EMP", "FAM"], rate_basis="tier",
    )  # fmt: skip
    for tier, premium in (("EMP", "30.00"), ("FAM", "85.50")):
        RateRow.objects.create(plan=dental, tier=tier, rate=premium)
    for start, end, tier, premium in ((date(2026, 7, 1), date(2026, 9, 30), "EMP", "30.00"),
                                      (date(2026, 10, 1), None, "FAM", "85.50")):  # fmt: skip
        Coverage.objects.create(
            member=employee, plan=dental, tier=tier, start_date=start, end_date=end,
            status="terminated" if end else "active", monthly_premium=Decimal(premium),
            rated_age=40, rated_tobacco=False,
        )  # fmt: skip
    if how == "group":
        group_terminate(actor=None, group=group, termination_date=date(2026, 5, 31),
                        reason="nonpayment")  # fmt: skip
        group_reinstate(actor=None, group=group, reason="payment_received")
    else:
        member_terminate(actor=None, member=employee, termination_date=date(2026, 5, 31),
                         reason="nonpayment")  # fmt: skip
        assert history(employee, dental) == []
        member_reinstate(actor=None, member=employee, reason="payment_received")
    assert history(employee, dental) == [
        (date(2026, 7, 1), date(2026, 9, 30), "terminated", "EMP", None, Decimal("30.00")),
        (date(2026, 10, 1), None, "active", "FAM", None, Decimal("85.50")),
    ]


# --- a termination already scheduled -------------------------------------------------------


@pytest.fixture
def leaving_in_september(users, family):
    """The employee's coverage (and the child's with it) is set to end on 09/30."""
    employee, child = family
    member_terminate(
        actor=users["groupadmin"], member=employee, termination_date=date(2026, 9, 30),
        reason="employment_ended",
    )  # fmt: skip
    return employee, child


def test_a_scheduled_termination_can_be_moved_earlier(users, leaving_in_september, term_life):
    employee, child = leaving_in_september
    outcome = member_terminate(
        actor=users["groupadmin"], member=employee, termination_date=date(2026, 7, 31),
        reason="employment_ended",
    )  # fmt: skip
    assert len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 7, 31)) == ["accident", "term-life"]
    assert covered_on(employee, date(2026, 8, 1)) == [] == covered_on(child, date(2026, 8, 1))
    # August and September are not billed yet (today is in June): nothing to give back.
    row = Coverage.objects.get(member=employee, plan=term_life)
    assert not PremiumChange.objects.filter(coverage=row).exists()
    # Not later, and not on the same day: the coverage ends then already.
    for day in (date(2026, 9, 30), date(2026, 10, 31)):
        with pytest.raises(
            Conflict, match=r"coverage in force after .* to terminate \(it ends 2026-07-31\)"
        ):
            member_terminate(
                actor=users["groupadmin"], member=employee, plan=term_life,
                termination_date=day, reason="voluntary",
            )  # fmt: skip


def test_a_group_cancelled_for_nonpayment_ends_coverage_scheduled_to_end_later(
    users, group, leaving_in_september, term_life
):
    employee, child = leaving_in_september
    outcome = group_terminate(
        actor=None, group=group, termination_date=date(2026, 4, 30), reason="nonpayment"
    )
    assert len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 5, 1)) == [] == covered_on(child, date(2026, 5, 1))
    # Paid after all: the coverage comes back as it was, still ending on 09/30.
    back = group_reinstate(actor=users["groupadmin"], group=group, reason="payment_received")
    assert {(row.start_date, row.end_date, row.status) for row in back.opened} == {
        (date(2026, 5, 1), date(2026, 9, 30), "terminated")
    }
    assert covered_on(child, date(2026, 9, 30)) == ["accident"]
    assert covered_on(employee, date(2026, 10, 1)) == []


def test_a_member_reinstated_after_an_earlier_termination_keeps_the_scheduled_end(
    users, leaving_in_september, term_life
):
    employee, _ = leaving_in_september
    member_terminate(
        actor=users["groupadmin"], member=employee, termination_date=date(2026, 5, 31),
        reason="nonpayment",
    )  # fmt: skip
    member_reinstate(actor=users["groupadmin"], member=employee, reason="payment_received")
    assert history(employee, term_life)[-1][:3] == (
        date(2026, 6, 1),
        date(2026, 9, 30),
        "terminated",
    )
    assert covered_on(employee, date(2026, 10, 1)) == []

"""Premiums from the rate table, and coverage answerable as of any date."""

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.core.errors import InvalidInput
from payerdesk.groups import selectors
from payerdesk.groups.models import Coverage, PolicyEvent
from payerdesk.groups.rules import rating
from payerdesk.groups.services import groups as services


def add(users, member, plan, tier, benefit, start):
    return services.coverage_add(
        actor=users["groupadmin"], member=member, plan=plan, tier=tier,
        benefit_amount=Decimal(benefit) if benefit else None, start_date=start,
    )  # fmt: skip


def test_per_unit_premium_uses_the_age_on_the_plans_rule_date(users, employee, term_life):
    # Born 1986-03-15: 39 on January 1, 2026 (the plan's rule date), 40 by March.
    coverage = add(users, employee, term_life, "EMP", "50000", date(2026, 6, 1))
    assert coverage.rated_age == 39
    assert coverage.monthly_premium == Decimal("4.25")  # 50 units x 0.085


def test_adding_a_coverage_records_who_added_it(users, employee, term_life):
    coverage = add(users, employee, term_life, "EMP", "50000", date(2026, 6, 1))
    event = PolicyEvent.objects.get(coverage=coverage)
    assert event.event == PolicyEvent.Event.COVERAGE_ADDED
    assert event.actor == users["groupadmin"]
    assert event.effective_date == date(2026, 6, 1)
    assert event.data["monthly_premium"] == "4.25"


def test_a_refused_coverage_records_nothing(users, employee, term_life):
    add(users, employee, term_life, "EMP", "50000", date(2026, 6, 1))
    with pytest.raises(InvalidInput):
        add(users, employee, term_life, "EMP", "50000", date(2026, 6, 1))
    assert PolicyEvent.objects.filter(member=employee).count() == 1
    assert Coverage.objects.filter(member=employee).count() == 1


def test_tobacco_users_are_rated_on_the_tobacco_column(users, employee, term_life):
    employee.tobacco = True
    employee.save()
    coverage = add(users, employee, term_life, "EMP", "25000", date(2026, 1, 1))
    assert coverage.monthly_premium == Decimal("4.25")  # 25 x 0.170


def test_tier_premium_and_half_up_rounding(users, employee, accident, term_life):
    assert add(users, employee, accident, "FAM", None, date(2026, 2, 1)).monthly_premium == (
        Decimal("33.65")
    )
    rated = rating.rate(
        accident, tier="ESP", benefit=None, birth_date=date(1990, 1, 1), tobacco=False,
        start=date(2026, 1, 1),
    )  # fmt: skip
    assert rated.monthly_premium == Decimal("21.95")
    per_unit = rating.rate(
        term_life, tier="EMP", benefit=Decimal("13000"), birth_date=date(1970, 1, 2),
        tobacco=True, start=date(2026, 1, 1),
    )  # fmt: skip
    assert per_unit.monthly_premium == Decimal("10.47")  # 13 x 0.805 = 10.465, half-up


def test_plan_anniversary_age_rule(term_life):
    term_life.age_rule = "plan_anniversary"
    term_life.effective_date = date(2025, 7, 1)
    assert rating.rule_date(term_life, date(2026, 3, 1)) == date(2025, 7, 1)
    assert rating.rule_date(term_life, date(2026, 8, 1)) == date(2026, 7, 1)
    assert rating.age_on(date(1986, 3, 15), date(2026, 3, 14)) == 39
    assert rating.age_on(date(1986, 3, 15), date(2026, 3, 15)) == 40


@pytest.mark.parametrize(
    ("tier", "benefit", "start", "field", "says"),
    [
        ("FAM", "50000", date(2026, 1, 1), "tier", "does not offer tier FAM"),
        ("EMP", "5000", date(2026, 1, 1), "benefit", "below the plan minimum"),
        ("EMP", "200000", date(2026, 1, 1), "benefit", "above the plan maximum"),
        ("EMP", "12500", date(2026, 1, 1), "benefit", "whole number"),
        ("EMP", None, date(2026, 1, 1), "benefit", "needs a benefit"),
        ("EMP", "50000", date(2025, 12, 1), "start_date", "cannot start"),
    ],
)
def test_coverage_the_plan_design_contradicts_is_refused(
    users, employee, term_life, tier, benefit, start, field, says
):
    with pytest.raises(InvalidInput) as refused:
        add(users, employee, term_life, tier, benefit, start)
    assert refused.value.field == field and says in refused.value.message
    assert not Coverage.objects.exists()


def test_a_rate_table_without_a_matching_row_is_named(users, employee, term_life):
    term_life.rates.filter(age_min=0).delete()
    with pytest.raises(InvalidInput, match="no rate for age 39, non-tobacco, tier EMP"):
        add(users, employee, term_life, "EMP", "50000", date(2026, 1, 1))


def test_coverage_history_answers_any_date(users, employee, term_life, accident):
    life = add(users, employee, term_life, "EMP", "50000", date(2026, 1, 1))
    add(users, employee, accident, "EMP", None, date(2026, 3, 1))
    # A later change ends the first row and starts another (as policy changes will).
    life.end_date = date(2026, 4, 30)
    life.save()
    add(users, employee, term_life, "EMP", "100000", date(2026, 5, 1))

    def on(day):
        return sorted(
            (c.plan.product.code, c.benefit_amount)
            for c in selectors.coverage_as_of(member=employee, on=day)
        )

    assert on(date(2025, 12, 31)) == []
    assert on(date(2026, 2, 1)) == [("term-life", Decimal("50000.00"))]
    assert on(date(2026, 4, 30)) == [("accident", None), ("term-life", Decimal("50000.00"))]
    assert on(date(2026, 5, 1)) == [("accident", None), ("term-life", Decimal("100000.00"))]
    with pytest.raises(InvalidInput, match="already covered"):
        add(users, employee, term_life, "EMP", "10000", date(2026, 6, 1))

"""Premium from a plan design's rate table: age on the plan's rule date, tobacco, tier.

Money is Decimal and rounds half-up to the cent, once, at the end.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from payerdesk.groups.models import AgeRule, PlanDesign, RateBasis, RateRow

CENT = Decimal("0.01")


class RatingError(ValueError):
    """The plan's rate table has no rate for this member, or the benefit is not rateable."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Rated:
    monthly_premium: Decimal
    age: int
    tobacco: bool


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def rule_date(plan: PlanDesign, coverage_start: date) -> date:
    """The date the plan says to take the member's age on."""
    if plan.age_rule == AgeRule.JANUARY_FIRST:
        return date(coverage_start.year, 1, 1)
    if plan.age_rule == AgeRule.PLAN_ANNIVERSARY:
        anniversary = _same_day(plan.effective_date, coverage_start.year)
        if anniversary > coverage_start:
            anniversary = _same_day(plan.effective_date, coverage_start.year - 1)
        return max(anniversary, plan.effective_date)
    return coverage_start


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def _rate_for(plan: PlanDesign, tier: str, age: int, tobacco: bool) -> Decimal:
    rows: list[RateRow] = list(plan.rates.all())
    for row in rows:
        if (
            row.age_min <= age <= row.age_max
            and (row.tobacco is None or row.tobacco == tobacco)
            and (not row.tier or row.tier == tier)
        ):
            return row.rate
    status = "tobacco" if tobacco else "non-tobacco"
    raise RatingError(
        f"{plan.name} has no rate for age {age}, {status}, tier {tier}", field="rate_table"
    )


def rate(
    plan: PlanDesign, *, tier: str, benefit: Decimal | None, birth_date: date, tobacco: bool,
    start: date,
) -> Rated:  # fmt: skip
    """The monthly premium of one coverage, as the rate table prices it on `start`."""
    if tier not in plan.tiers:
        offered = ", ".join(plan.tiers) or "none"
        raise RatingError(f"{plan.name} does not offer tier {tier} (offers {offered})", "tier")
    age = age_on(birth_date, rule_date(plan, start))
    per = _rate_for(plan, tier, age, tobacco)
    if plan.rate_basis == RateBasis.TIER:
        return Rated(per.quantize(CENT, ROUND_HALF_UP), age, tobacco)
    if benefit is None or plan.unit_amount is None:
        raise RatingError(f"{plan.name} is rated per unit: give a benefit amount", "benefit")
    units = benefit / plan.unit_amount
    if units != units.to_integral_value():
        raise RatingError(
            f"the benefit {benefit} is not a whole number of {plan.unit_amount} units", "benefit"
        )
    return Rated((units * per).quantize(CENT, ROUND_HALF_UP), age, tobacco)


def check_benefit(plan: PlanDesign, benefit: Decimal | None) -> None:
    if plan.rate_basis == RateBasis.TIER and benefit is None:
        return
    if benefit is None:
        raise RatingError(f"{plan.name} needs a benefit amount", "benefit")
    if plan.min_benefit is not None and benefit < plan.min_benefit:
        raise RatingError(f"the benefit {benefit} is below the plan minimum {plan.min_benefit}",
                          "benefit")  # fmt: skip
    if plan.max_benefit is not None and benefit > plan.max_benefit:
        raise RatingError(f"the benefit {benefit} is above the plan maximum {plan.max_benefit}",
                          "benefit")  # fmt: skip

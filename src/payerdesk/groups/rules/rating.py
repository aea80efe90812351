"""Premium from a plan design's rate table: age on the plan's rule date, tobacco, tier.

Money is Decimal and rounds half-up to the cent, once, at the end.

Who pays (`rate_dependent`): a tier-rated plan prices the family once, on the
employee's coverage at the family's tier (employee and spouse, family, ...). A
dependent covered under it has a coverage row of their own, so eligibility answers for
them, at the employee's tier and for no premium; a list bill summing the rows bills the
tier premium once. A per-unit plan (spouse term life per $1,000) rates each covered
person on their own age, tobacco status and benefit.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from payerdesk.core.money import ZERO, to_cents
from payerdesk.groups.models import (
    AgeRule,
    Member,
    PlanDesign,
    RateBasis,
    RateRow,
    Relationship,
    Tier,
)
from payerdesk.groups.selectors import coverage_as_of

# Which tiers cover a dependent of each relationship (X12 INS02).
TIERS_COVERING: dict[str, frozenset[str]] = {
    Relationship.SPOUSE: frozenset({Tier.EMPLOYEE_SPOUSE, Tier.FAMILY}),
    Relationship.DOMESTIC_PARTNER: frozenset({Tier.EMPLOYEE_SPOUSE, Tier.FAMILY}),
    Relationship.CHILD: frozenset({Tier.EMPLOYEE_CHILDREN, Tier.FAMILY}),
}
# 834 INS02 codes of other children a child tier covers: adopted, foster, ward, stepchild.
CHILD_LIKE = frozenset({"09", "10", "15", "17"})


def tiers_covering(relationship: str) -> frozenset[str]:
    """The tiers that cover a dependent of this relationship (X12 INS02 code)."""
    if relationship in CHILD_LIKE:
        return TIERS_COVERING[Relationship.CHILD]
    return TIERS_COVERING.get(relationship, frozenset())


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
    tier: str = ""


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
        return Rated(to_cents(per), age, tobacco, tier)
    if benefit is None or plan.unit_amount is None:
        raise RatingError(f"{plan.name} is rated per unit: give a benefit amount", "benefit")
    units = benefit / plan.unit_amount
    if units != units.to_integral_value():
        raise RatingError(
            f"the benefit {benefit} is not a whole number of {plan.unit_amount} units", "benefit"
        )
    return Rated(to_cents(units * per), age, tobacco, tier)


def priced_on_employee(plan: PlanDesign) -> bool:
    """A tier-rated plan's premium is the family's, on the employee's coverage."""
    return plan.rate_basis == RateBasis.TIER


def rate_dependent(
    plan: PlanDesign, *, relationship: str, tier: str, employee_tier: str | None,
    benefit: Decimal | None, birth_date: date, tobacco: bool, start: date,
) -> Rated:  # fmt: skip
    """A dependent's coverage from `start`. `employee_tier` is the tier of the employee's
    coverage under the plan on `start` (None: the employee is not covered under it).

    Tier-rated plan: the dependent is covered at the employee's tier (a `tier` given
    must be that one, and it must cover the relationship) for no premium. Per-unit
    plan: rated on their own, as `rate` does."""
    if not priced_on_employee(plan):
        return rate(
            plan, tier=tier, benefit=benefit, birth_date=birth_date, tobacco=tobacco, start=start
        )
    if employee_tier is None:
        raise RatingError(
            f"{plan.name} is rated by tier: a dependent is covered through the employee's "
            f"{plan.name} coverage, and the employee has none on {start}",
            "plan",
        )
    if tier and tier != employee_tier:
        raise RatingError(
            f"{plan.name} is rated by tier: the family is covered at the employee's tier "
            f"{employee_tier}, not {tier}",
            "tier",
        )
    if employee_tier not in tiers_covering(relationship):
        labels = dict(Relationship.choices)
        who = str(labels.get(relationship, f"dependent (relationship {relationship})")).lower()
        tier_label = dict(Tier.choices).get(employee_tier, employee_tier)
        raise RatingError(
            f"the employee's {plan.name} tier {employee_tier} ({tier_label}) "
            f"does not cover a {who}: change the employee's tier first",
            "tier",
        )
    return Rated(ZERO, age_on(birth_date, rule_date(plan, start)), tobacco, employee_tier)


def check_waiting_period(plan: PlanDesign, hire_date: date | None, start: date) -> None:
    """An employee hired `hire_date` is covered no sooner than the plan's waiting period
    after it (no hire date on file, or no waiting period: nothing to check)."""
    if hire_date is None or not plan.waiting_period_days:
        return
    earliest = hire_date + timedelta(days=plan.waiting_period_days)
    if start < earliest:
        raise RatingError(
            f"{plan.name} has a {plan.waiting_period_days}-day waiting period: an employee "
            f"hired {hire_date} is covered from {earliest}, not {start}",
            "start_date",
        )


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


def employee_tier_on(member: Member, plan: PlanDesign, on: date) -> str | None:
    """The tier of the employee's coverage under `plan` on `on`, for their dependent
    `member` (None: the employee is not covered under it then)."""
    employee = member.employee
    if employee is None:
        return None
    rows = coverage_as_of(member=employee, on=on, plan=plan)
    return rows[-1].tier if rows else None


def rate_member(
    member: Member, plan: PlanDesign, *, tier: str, benefit: Decimal | None, start: date,
    tobacco: bool | None = None,
) -> Rated:  # fmt: skip
    """The premium of a member's coverage from `start` (rated as a tobacco user or not
    as `tobacco` says, else as the member is): an employee's from the rate table; a
    dependent's as `rating.rate_dependent` says (nothing on a tier-rated plan, where the
    employee's tier premium covers the family)."""
    smoker = member.tobacco if tobacco is None else tobacco
    if member.employee_id is None:
        return rate(
            plan, tier=tier, benefit=benefit, birth_date=member.birth_date, tobacco=smoker,
            start=start,
        )  # fmt: skip
    return rate_dependent(
        plan, relationship=member.relationship, tier=tier,
        employee_tier=employee_tier_on(member, plan, start), benefit=benefit,
        birth_date=member.birth_date, tobacco=smoker, start=start,
    )  # fmt: skip

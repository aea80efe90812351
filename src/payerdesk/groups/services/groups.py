"""Group and worksite administration actions: case set-up, members, coverages.

With `selectors`, the `services` package is the groups API of the other apps: billing
locks groups through this module and terminates and reinstates through
`services.terminations`.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email, validate_slug
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import Market, Priority, Queue, User
from payerdesk.core.roles import Role, has_role
from payerdesk.core.services import work_item_create
from payerdesk.core.sla import add_business_days
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    AgeRule,
    Coverage,
    EmployerGroup,
    Member,
    PlanDesign,
    PolicyEvent,
    Product,
    RateBasis,
    RateRow,
    Relationship,
    SetupStep,
    Tier,
)
from payerdesk.groups.models.groups import state_code
from payerdesk.groups.rules import rating
from payerdesk.groups.work import WELCOME_CALL

GROUP_QUEUE = "group-administration"
WELCOME_CALL_BUSINESS_DAYS = 2
SETUP_CHECKLIST = (
    "Products and plan designs chosen",
    "Rate tables loaded",
    "Billing contact confirmed",
    "Welcome call made",
    "Members enrolled (834 or census)",
    "Group contract generated and approved",
)


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field)


def group_lock(group: EmployerGroup | int) -> EmployerGroup:
    """The group's row, locked until the caller's transaction ends: one process at a
    time changes its status or what is billed and paid for it (call inside
    `transaction.atomic()`)."""
    pk = group if isinstance(group, int) else group.pk
    return EmployerGroup.objects.select_for_update().get(pk=pk)


def group_create(
    *,
    actor: User,
    group_number: str,
    legal_name: str,
    situs_state: str,
    market: Market,
    effective_date: date,
    billing_contact_name: str,
    billing_contact_email: str,
    billing_contact_phone: str = "",
) -> EmployerGroup:
    """Install a group: the record, its set-up checklist and a welcome call work item
    due in two business days."""
    permissions.require_market_permission(actor, "groups.add_employergroup", market)
    number = group_number.strip().upper()
    if not number:
        raise _invalid("A group needs a group number.", "group_number")
    if EmployerGroup.objects.filter(group_number=number).exists():
        raise _invalid(f"Group number {number} is already in use.", "group_number")
    if not legal_name.strip():
        raise _invalid("A group needs its legal name.", "legal_name")
    try:
        state_code(situs_state)
        validate_email(billing_contact_email)
    except ValidationError as error:
        field = "situs_state" if error.message == state_code.message else "billing_contact_email"
        raise _invalid(" ".join(error.messages), field) from None
    queue = Queue.objects.filter(slug=GROUP_QUEUE).first()
    if queue is None:
        raise _invalid(f"No {GROUP_QUEUE!r} queue is configured for welcome calls.", "queue")
    with transaction.atomic():
        group = EmployerGroup.objects.create(
            group_number=number,
            legal_name=legal_name.strip(),
            situs_state=situs_state,
            market=market,
            effective_date=effective_date,
            billing_contact_name=billing_contact_name.strip(),
            billing_contact_email=billing_contact_email,
            billing_contact_phone=billing_contact_phone.strip(),
            created_by=actor,
        )
        SetupStep.objects.bulk_create(
            SetupStep(group=group, position=n, label=label)
            for n, label in enumerate(SETUP_CHECKLIST, start=1)
        )
        group.welcome_call = work_item_create(
            actor=None,
            kind=WELCOME_CALL.code,
            title=f"Welcome call: group {group.group_number}, {group.legal_name}",
            queue=queue,
            market=market,
            priority=Priority.HIGH,
            due_at=add_business_days(timezone.now(), WELCOME_CALL_BUSINESS_DAYS),
        )
        group.save(update_fields=["welcome_call"])
    return group


def coverage_add(
    *,
    actor: User | None,
    member: Member,
    plan: PlanDesign,
    tier: str,
    benefit_amount: Decimal | None,
    start_date: date,
) -> Coverage:
    """Cover a member under a plan from `start_date`, priced from the rate table (a
    dependent on a tier-rated plan: at the employee's tier, for nothing; `tier` may then
    be left empty).

    `actor` is None for a trusted batch (an 834 applied from the command line).
    """
    if actor is not None:
        permissions.require_market_permission(actor, "groups.add_coverage", member.group.market)
    if plan.group_id != member.group_id:
        raise _invalid(f"{plan.name} belongs to another group.", "plan")
    if start_date < plan.effective_date:
        raise _invalid(
            f"{plan.name} starts {plan.effective_date}; coverage cannot start {start_date}.",
            "start_date",
        )
    with transaction.atomic():
        # The member's row is the lock: two adds for one plan and date cannot both pass.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if selectors.coverage_as_of(member=member, on=start_date, plan=plan):
            raise _invalid(
                f"The member is already covered under {plan.name} on {start_date}.",
                "start_date",
            )
        try:
            rating.check_benefit(plan, benefit_amount)
            rating.check_waiting_period(plan, member.hire_date, start_date)
            rated = rating.rate_member(
                member, plan, tier=tier, benefit=benefit_amount, start=start_date
            )
        except rating.RatingError as error:
            raise _invalid(error.message, error.field) from None
        coverage = Coverage.objects.create(
            member=member,
            plan=plan,
            tier=rated.tier,
            benefit_amount=benefit_amount,
            start_date=start_date,
            monthly_premium=rated.monthly_premium,
            rated_age=rated.age,
            rated_tobacco=rated.tobacco,
        )
        PolicyEvent.objects.create(
            group_id=member.group_id,
            member=member,
            coverage=coverage,
            event=PolicyEvent.Event.COVERAGE_ADDED,
            effective_date=start_date,
            actor=actor,
            data={
                "plan": plan.name,
                "tier": coverage.tier,
                "monthly_premium": str(coverage.monthly_premium),
            },
        )
    return coverage


# --- Case set-up pages: checklist, plan designs, rate tables, members -------------------


def setup_step_mark(*, actor: User, step: SetupStep, done: bool) -> SetupStep:
    """Tick (or untick) one checklist line, recording who and when."""
    permissions.require_market_permission(actor, "groups.change_employergroup", step.group.market)
    with transaction.atomic():
        step = SetupStep.objects.select_for_update().get(pk=step.pk)
        step.done_at = timezone.now() if done else None
        step.done_by = actor if done else None
        step.save(update_fields=["done_at", "done_by"])
    return step


MARKET_CHANGE_REASON_MAX = 300


def group_market_change(
    *, actor: User, group: EmployerGroup, market: Market, reason: str
) -> EmployerGroup:
    """Move a group to another market. The actor must serve both markets; the move is
    kept in the group's audit trail with the reason given."""
    permissions.require_market_permission(actor, "groups.change_employergroup", group.market)
    permissions.require_market_permission(actor, "groups.change_employergroup", market)
    why = reason.strip()
    if not why:
        raise _invalid("Say why the group moves to another market.", "reason")
    if len(why) > MARKET_CHANGE_REASON_MAX:
        raise _invalid(f"The reason is at most {MARKET_CHANGE_REASON_MAX} characters.", "reason")
    with transaction.atomic():
        group = EmployerGroup.objects.select_for_update().get(pk=group.pk)
        if group.market_id == market.pk:
            raise _invalid(f"Group {group.group_number} is in {market} already.", "market")
        before = group.market
        group.market = market
        group.save(update_fields=["market"])
        PolicyEvent.objects.create(
            group=group,
            event=PolicyEvent.Event.GROUP_MARKET_CHANGED,
            effective_date=timezone.localdate(),
            actor=actor,
            data={"from": before.code, "to": market.code, "note": why},
        )
    return group


def portal_user_grant(*, actor: User, group: EmployerGroup, user: User) -> None:
    """Give an employer group administrator (outside role) the group's portal."""
    permissions.require_market_permission(actor, "groups.change_employergroup", group.market)
    if not has_role(user, Role.EMPLOYER):
        raise _invalid(f"{user.get_username()} is not an employer group administrator.", "user")
    group.portal_users.add(user)


def portal_user_revoke(*, actor: User, group: EmployerGroup, user: User) -> None:
    """Take an employer group administrator off the group's portal."""
    permissions.require_market_permission(actor, "groups.change_employergroup", group.market)
    group.portal_users.remove(user)


INSURANCE_LINE = RegexValidator(r"^[A-Z]{2,3}$", "Use the X12 HD03 code: 2 or 3 capitals.")


def product_check(
    *,
    code: str,
    name: str,
    insurance_line: str,
    x12_plan_description: str = "",
    product: Product | None = None,
) -> dict[str, str]:
    """The product's fields, cleaned, or InvalidInput naming the field at fault. The code
    names the product in census files and 834 matching: it stays once plans use it."""
    values = {
        "code": code.strip(), "name": name.strip(),
        "insurance_line": insurance_line.strip().upper(),
        "x12_plan_description": x12_plan_description.strip(),
    }  # fmt: skip
    for field, check in (("code", validate_slug), ("insurance_line", INSURANCE_LINE)):
        try:
            check(values[field])
        except ValidationError as error:
            raise _invalid(" ".join(error.messages), field) from None
    if not values["name"]:
        raise _invalid("A product needs a name.", "name")
    clash = Product.objects.filter(code=values["code"])
    if product is not None:
        clash = clash.exclude(pk=product.pk)
        if values["code"] != product.code and PlanDesign.objects.filter(product=product).exists():
            raise _invalid("Plans use this product: its code stays as it is.", "code")
    if clash.exists():
        raise _invalid(f"Product code {values['code']} is already in use.", "code")
    return values


def product_save(
    *,
    actor: User,
    code: str,
    name: str,
    insurance_line: str,
    x12_plan_description: str = "",
    product: Product | None = None,
) -> Product:
    """Add a product to the catalogue, or edit `product`."""
    perm = "groups.change_product" if product else "groups.add_product"
    if not actor.has_perm(perm):
        raise NotPermitted("Your role does not keep the product catalogue.")
    with transaction.atomic():
        if product is not None:
            product = Product.objects.select_for_update().get(pk=product.pk)
        values = product_check(
            code=code, name=name, insurance_line=insurance_line,
            x12_plan_description=x12_plan_description, product=product,
        )  # fmt: skip
        if product is None:
            return Product.objects.create(**values)
        for field, value in values.items():
            setattr(product, field, value)
        product.save()
    return product


def _check_plan(
    group: EmployerGroup, plan: PlanDesign | None, product: Product, values: dict[str, Any]
) -> list[str]:
    """Validate a plan design's fields; the tiers as clean codes."""
    tiers = list(dict.fromkeys(values["tiers"]))
    if not tiers:
        raise _invalid("Offer at least one coverage tier.", "tiers")
    unknown = [tier for tier in tiers if tier not in Tier.values]
    if unknown:
        raise _invalid(f"Unknown coverage tier {', '.join(unknown)}.", "tiers")
    others = PlanDesign.objects.filter(group=group, product=product)
    if plan is not None:
        others = others.exclude(pk=plan.pk)
    if others.exists():
        raise _invalid(f"Group {group.group_number} already has a {product} plan.", "product")
    if values["effective_date"] < group.effective_date:
        raise _invalid(
            f"The group is effective {group.effective_date}: a plan cannot start earlier.",
            "effective_date",
        )
    if values["rate_basis"] not in RateBasis.values:
        raise _invalid(f"Unknown rate basis {values['rate_basis']!r}.", "rate_basis")
    if values["age_rule"] not in AgeRule.values:
        raise _invalid(f"Unknown age rule {values['age_rule']!r}.", "age_rule")
    unit = values.get("unit_amount")
    if values["rate_basis"] == RateBasis.PER_UNIT and (unit is None or unit <= 0):
        raise _invalid("A per-unit plan needs a positive benefit per unit.", "unit_amount")
    for name in ("unit_amount", "min_benefit", "max_benefit", "guaranteed_issue"):
        if values.get(name) is not None and values[name] < 0:
            raise _invalid("Amounts cannot be negative.", name)
    low, high = values.get("min_benefit"), values.get("max_benefit")
    if low is not None and high is not None and low > high:
        raise _invalid(f"The maximum benefit {high} is below the minimum {low}.", "max_benefit")
    issue = values.get("guaranteed_issue")
    if issue is not None and high is not None and issue > high:
        raise _invalid(
            f"The guaranteed-issue amount {issue} is above the maximum benefit {high}.",
            "guaranteed_issue",
        )
    moved = plan is not None and (
        product.pk != plan.product_id or values["rate_basis"] != plan.rate_basis
    )
    if moved and plan is not None and plan.coverages.exists():
        raise _invalid(
            "Members are covered under this plan: its product and rate basis stay as they are.",
            "product" if product.pk != plan.product_id else "rate_basis",
        )
    if plan is not None:
        rated = set(plan.rates.exclude(tier="").values_list("tier", flat=True))
        dropped = sorted(rated - set(tiers))
        if dropped:
            raise _invalid(
                f"The rate table still prices tier {', '.join(dropped)}: remove those rates first.",
                "tiers",
            )
    return tiers


PLAN_FIELDS = (
    "name", "effective_date", "eligibility_class", "waiting_period_days", "grace_period_days",
    "rate_basis",
    "unit_amount", "min_benefit", "max_benefit", "guaranteed_issue", "age_rule",
)  # fmt: skip


def plan_design_save(
    *,
    actor: User,
    group: EmployerGroup,
    product: Product,
    name: str,
    effective_date: date,
    tiers: list[str],
    rate_basis: str,
    eligibility_class: str = "All full-time employees",
    waiting_period_days: int = 0,
    grace_period_days: int = 31,
    unit_amount: Decimal | None = None,
    min_benefit: Decimal | None = None,
    max_benefit: Decimal | None = None,
    guaranteed_issue: Decimal | None = None,
    age_rule: str = AgeRule.EFFECTIVE_DATE,
    plan: PlanDesign | None = None,
) -> PlanDesign:
    """Create a group's plan design for a product, or edit `plan`."""
    permissions.require_market_permission(
        actor, "groups.change_plandesign" if plan else "groups.add_plandesign", group.market
    )
    if plan is not None and plan.group_id != group.pk:
        raise _invalid(f"{plan.name} belongs to another group.", "plan")
    values: dict[str, Any] = {
        "name": name.strip(), "effective_date": effective_date, "tiers": tiers,
        "eligibility_class": eligibility_class.strip(), "rate_basis": rate_basis,
        "waiting_period_days": waiting_period_days, "grace_period_days": grace_period_days,
        "unit_amount": unit_amount,
        "min_benefit": min_benefit, "max_benefit": max_benefit,
        "guaranteed_issue": guaranteed_issue, "age_rule": age_rule,
    }  # fmt: skip
    if not values["name"]:
        raise _invalid("A plan design needs a name.", "name")
    if waiting_period_days < 0:
        raise _invalid("The waiting period cannot be negative.", "waiting_period_days")
    if not 0 <= grace_period_days <= 365:
        raise _invalid("The grace period is from 0 to 365 days.", "grace_period_days")
    values["tiers"] = _check_plan(group, plan, product, values)
    if rate_basis == RateBasis.TIER:
        values["unit_amount"] = None
    with transaction.atomic():
        if plan is None:
            return PlanDesign.objects.create(group=group, product=product, **values)
        plan = PlanDesign.objects.select_for_update().get(pk=plan.pk)
        plan.product = product
        for field, value in values.items():
            setattr(plan, field, value)
        plan.save()
    return plan


def _check_rate(plan: PlanDesign, row: RateRow | None, values: dict[str, Any]) -> None:
    if values["rate"] < 0:
        raise _invalid("A rate cannot be negative.", "rate")
    if values["age_min"] < 0 or values["age_max"] > 120:
        raise _invalid("Ages run from 0 to 120.", "age_min" if values["age_min"] < 0 else "age_max")
    if values["age_min"] > values["age_max"]:
        raise _invalid(
            f"The band ends at {values['age_max']}, before it starts at {values['age_min']}.",
            "age_max",
        )
    tier = values["tier"]
    if tier and tier not in plan.tiers:
        raise _invalid(
            f"{plan.name} does not offer tier {tier} (offers {', '.join(plan.tiers)}).", "tier"
        )
    if plan.rate_basis == RateBasis.TIER and not tier and len(plan.tiers) > 1:
        raise _invalid("A plan rated by tier needs the tier of each rate.", "tier")
    clash = _overlapping(plan, row, values)
    if clash is not None:
        raise _invalid(
            f"Ages {values['age_min']}-{values['age_max']} overlap the band "
            f"{clash.age_min}-{clash.age_max} already priced for the same tier and tobacco status.",
            "age_min",
        )


def _overlapping(plan: PlanDesign, row: RateRow | None, values: dict[str, Any]) -> RateRow | None:
    """A row of the plan that would price the same member (age, tobacco, tier)."""
    rows = plan.rates.filter(age_min__lte=values["age_max"], age_max__gte=values["age_min"])
    if row is not None:
        rows = rows.exclude(pk=row.pk)
    if values["tobacco"] is not None:
        rows = rows.filter(Q(tobacco__isnull=True) | Q(tobacco=values["tobacco"]))
    if values["tier"]:
        rows = rows.filter(tier__in=["", values["tier"]])
    return rows.first()


def rate_row_save(
    *,
    actor: User,
    plan: PlanDesign,
    rate: Decimal,
    age_min: int = 0,
    age_max: int = 120,
    tobacco: bool | None = None,
    tier: str = "",
    row: RateRow | None = None,
) -> RateRow:
    """Add a cell to a plan's rate table, or edit `row`; bands may not overlap."""
    permissions.require_market_permission(
        actor, "groups.change_raterow" if row else "groups.add_raterow", plan.group.market
    )
    if row is not None and row.plan_id != plan.pk:
        raise _invalid("That rate belongs to another plan.", "row")
    values: dict[str, Any] = {
        "rate": rate, "age_min": age_min, "age_max": age_max, "tobacco": tobacco, "tier": tier,
    }  # fmt: skip
    with transaction.atomic():
        # Lock the plan: two people adding bands at once cannot both slip past the check.
        plan = PlanDesign.objects.select_for_update().get(pk=plan.pk)
        _check_rate(plan, row, values)
        if row is None:
            return RateRow.objects.create(plan=plan, **values)
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
    return row


def _check_member(group: EmployerGroup, employee: Member | None, values: dict[str, Any]) -> None:
    for name in ("member_id", "first_name", "last_name"):
        if not values[name]:
            raise _invalid(f"A member needs a {name.replace('_', ' ')}.", name)
    if Member.objects.filter(group=group, member_id=values["member_id"]).exists():
        raise _invalid(
            f"Member id {values['member_id']} is already in group {group.group_number}.",
            "member_id",
        )
    if values["birth_date"] > timezone.localdate():
        raise _invalid("The date of birth is in the future.", "birth_date")
    hired = values.get("hire_date")
    if hired is not None and hired < values["birth_date"]:
        raise _invalid("The hire date is before the date of birth.", "hire_date")
    if values["sex"] not in ("F", "M", "U"):
        raise _invalid("Sex is F, M or U.", "sex")
    if values["state"]:
        try:
            state_code(values["state"])
        except ValidationError:
            raise _invalid(str(state_code.message), "state") from None
    relationship = values["relationship"]
    if relationship not in Relationship.values:
        raise _invalid(f"Unknown relationship {relationship!r}.", "relationship")
    if employee is None and relationship != Relationship.SELF:
        raise _invalid("A dependent needs the employee they are covered through.", "employee")
    if employee is not None:
        if relationship == Relationship.SELF:
            raise _invalid("A dependent's relationship cannot be Employee.", "relationship")
        if employee.group_id != group.pk or employee.employee_id is not None:
            raise _invalid("That is not an employee of this group.", "employee")


def member_add(
    *,
    actor: User,
    group: EmployerGroup,
    member_id: str,
    first_name: str,
    last_name: str,
    birth_date: date,
    sex: str,
    relationship: str = Relationship.SELF,
    employee: Member | None = None,
    address_line1: str = "",
    address_line2: str = "",
    city: str = "",
    state: str = "",
    postal_code: str = "",
    hire_date: date | None = None,
    employment_class: str = "",
    tobacco: bool = False,
) -> Member:
    """Enroll an employee, or a dependent of `employee`, in a group."""
    permissions.require_market_permission(actor, "groups.add_member", group.market)
    values: dict[str, Any] = {
        "member_id": member_id.strip(), "first_name": first_name.strip(),
        "last_name": last_name.strip(), "birth_date": birth_date, "sex": sex,
        "relationship": relationship, "address_line1": address_line1.strip(),
        "address_line2": address_line2.strip(), "city": city.strip(),
        "state": state.strip().upper(), "postal_code": postal_code.strip(),
        "hire_date": hire_date, "employment_class": employment_class.strip(),
        "tobacco": tobacco,
    }  # fmt: skip
    with transaction.atomic():
        _check_member(group, employee, values)
        subscriber = employee.member_id if employee else values["member_id"]
        return Member.objects.create(
            group=group, employee=employee, subscriber_id=subscriber, **values
        )

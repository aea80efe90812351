"""Demo groups for `payerdesk demo`: products, four employer groups in the group
administrator's markets (Tri-State, Mid-Atlantic), plan designs with their rate tables,
employees with dependents and coverages, all through the services. A family on a
tier-rated plan (dental at employee and spouse, ...) pays the tier premium once, on the
employee's coverage; each dependent has a coverage row of their own at that tier for
nothing, so eligibility answers for them. A spouse also buys spouse term life and
critical illness, rated on the spouse's own age.

`policy_changes_load` then requests two policy changes on these coverages.

Other modules' demos (prior authorization, billing) use these members and coverages.
Names and ids are made up; the generator is seeded, so every demo is the same.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from payerdesk.core.errors import ServiceError
from payerdesk.core.models import Market, User
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    Member,
    PlanDesign,
    Product,
    RateBasis,
    Relationship,
    Tier,
)
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.policy_changes import ChangeRequest, policy_change_request

PRODUCTS = [
    ("term-life", "Term life", "LIF"),
    ("accident", "Accident", "AH"),
    ("critical-illness", "Critical illness", "AH"),
    ("hospital-indemnity", "Hospital indemnity", "AH"),
    ("short-term-disability", "Short-term disability", "STD"),
    ("dental", "Group dental", "DEN"),
    ("vision", "Group vision", "VIS"),
]
ALL_TIERS = [tier.value for tier in Tier]
# Age bands for per-unit products, with non-tobacco and tobacco rates per unit.
TERM_LIFE_BANDS = [
    (0, 29, "0.060", "0.115"), (30, 39, "0.080", "0.165"), (40, 49, "0.150", "0.330"),
    (50, 59, "0.380", "0.805"), (60, 120, "0.720", "1.540"),
]  # fmt: skip
CRITICAL_ILLNESS_BANDS = [
    (0, 29, "0.210", "0.390"), (30, 39, "0.340", "0.650"), (40, 49, "0.720", "1.480"),
    (50, 59, "1.560", "3.120"), (60, 120, "2.900", "5.640"),
]  # fmt: skip
# Short-term disability: the rate per $10 of weekly benefit, by age band.
DISABILITY_BANDS = [(0, 39, "0.520"), (40, 49, "0.610"), (50, 120, "0.780")]
TIER_RATES = {
    "accident": ("12.40", "21.95", "24.10", "33.65"),
    "hospital-indemnity": ("18.75", "39.20", "31.60", "52.05"),
    "dental": ("31.80", "63.10", "71.45", "102.90"),
    "vision": ("6.90", "13.25", "14.10", "20.60"),
}

# A spouse buys half the employee's per-unit benefit, in whole $5,000, up to these caps.
SPOUSE_STEP = Decimal("5000")
SPOUSE_CAP = {"term-life": Decimal("25000"), "critical-illness": Decimal("15000")}


@dataclass(frozen=True)
class GroupSpec:
    number: str
    name: str
    state: str
    market: str
    effective: date
    contact: tuple[str, str, str]
    products: tuple[str, ...]
    employees: int


GROUPS = [
    GroupSpec("G10001", "Hudson Valley Tool & Die Inc", "NY", "TRI", date(2026, 1, 1),
              ("Maria Esposito", "benefits@hvtooldie.example", "845-555-0142"),
              ("term-life", "accident", "critical-illness", "dental", "vision"), 5),
    GroupSpec("G10002", "Garden State Logistics LLC", "NJ", "TRI", date(2026, 3, 1),
              ("Devon Marsh", "payroll@gslogistics.example", "732-555-0190"),
              ("accident", "hospital-indemnity", "short-term-disability", "dental"), 5),
    GroupSpec("G10003", "Chesapeake Schools Credit Union", "MD", "MAT", date(2026, 1, 1),
              ("Alicia Boyd", "hr@chesapeakecu.example", "410-555-0117"),
              ("term-life", "critical-illness", "dental", "vision"), 5),
    GroupSpec("G10004", "Keystone Family Grocers", "PA", "MAT", date(2026, 7, 1),
              ("Tom Kowalczyk", "office@keystonegrocers.example", "717-555-0163"),
              ("accident", "hospital-indemnity", "term-life"), 3),
]  # fmt: skip
FIRST = ["James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer",
         "William", "Elizabeth", "Carlos", "Aisha", "Wei", "Fatima", "Daniel", "Grace",
         "Anthony", "Sofia", "Kevin", "Nia", "Brian", "Hannah", "Luis", "Megan", "Omar",
         "Rachel", "Tyrone", "Yuki"]  # fmt: skip
LAST = ["Anderson", "Bianchi", "Chen", "Delgado", "Evans", "Fitzgerald", "Garcia", "Haddad",
        "Iverson", "Jackson", "Kim", "Lopez", "Murphy", "Nguyen", "Okonkwo", "Patel",
        "Quinn", "Russo", "Schmidt", "Thompson", "Underwood", "Vargas", "Walsh",
        "Young"]  # fmt: skip
CHILDREN = ["Ava", "Liam", "Mia", "Noah", "Zoe", "Eli", "Lily", "Sam"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Church St", "Ridge Rd", "Mill Ln"]
CITIES = {"NY": ("Kingston", "12401"), "NJ": ("Edison", "08817"),
          "MD": ("Annapolis", "21401"), "PA": ("Lancaster", "17601")}  # fmt: skip


def load(*, actor: User, employer: User | None) -> list[EmployerGroup]:
    """Create the demo groups; `actor` is the group administrator who installs them."""
    products = {
        code: Product.objects.create(code=code, name=name, insurance_line=line)
        for code, name, line in PRODUCTS
    }
    rng = random.Random(4)  # noqa: S311 - made-up demo data, the same every time
    groups = []
    for index, spec in enumerate(GROUPS):
        group = _install(actor, spec)
        plans = {code: _plan(actor, group, products[code]) for code in spec.products}
        _enroll(actor, group, plans, spec, rng, first_id=100_200_000 + index * 1_000)
        groups.append(group)
    if employer is not None:
        services.portal_user_grant(actor=actor, group=groups[0], user=employer)
    for step in groups[0].setup_steps.all()[:3]:
        services.setup_step_mark(actor=actor, step=step, done=True)
    return groups


def _install(actor: User, spec: GroupSpec) -> EmployerGroup:
    name, email, phone = spec.contact
    return services.group_create(
        actor=actor, group_number=spec.number, legal_name=spec.name,
        situs_state=spec.state, market=Market.objects.get(code=spec.market),
        effective_date=spec.effective, billing_contact_name=name,
        billing_contact_email=email, billing_contact_phone=phone,
    )  # fmt: skip


def _plan(actor: User, group: EmployerGroup, product: Product) -> PlanDesign:
    start = group.effective_date
    if product.code == "term-life":
        plan = services.plan_design_save(
            actor=actor, group=group, product=product, name="Voluntary term life $10K-$150K",
            effective_date=start, tiers=["EMP"], rate_basis="per_unit",
            unit_amount=Decimal("1000"), min_benefit=Decimal("10000"),
            max_benefit=Decimal("150000"), guaranteed_issue=Decimal("50000"),
            waiting_period_days=30, age_rule="january_first",
        )  # fmt: skip
        _banded(actor, plan, TERM_LIFE_BANDS)
    elif product.code == "critical-illness":
        plan = services.plan_design_save(
            actor=actor, group=group, product=product, name="Critical illness $10K-$30K",
            effective_date=start, tiers=["EMP"], rate_basis="per_unit",
            unit_amount=Decimal("1000"), min_benefit=Decimal("10000"),
            max_benefit=Decimal("30000"), guaranteed_issue=Decimal("20000"),
            age_rule="effective_date",
        )  # fmt: skip
        _banded(actor, plan, CRITICAL_ILLNESS_BANDS)
    elif product.code == "short-term-disability":
        plan = services.plan_design_save(
            actor=actor, group=group, product=product,
            name="Short-term disability, 60% to $1,000 a week", effective_date=start,
            tiers=["EMP"], rate_basis="per_unit", unit_amount=Decimal("10"),
            min_benefit=Decimal("200"), max_benefit=Decimal("1000"),
            guaranteed_issue=Decimal("600"), waiting_period_days=90,
            eligibility_class="Full-time employees, 30+ hours a week",
            age_rule="plan_anniversary",
        )  # fmt: skip
        for low, high, rate in DISABILITY_BANDS:
            services.rate_row_save(
                actor=actor, plan=plan, age_min=low, age_max=high, rate=Decimal(rate)
            )
    else:
        plan = services.plan_design_save(
            actor=actor, group=group, product=product, name=f"{product.name}, four tiers",
            effective_date=start, tiers=ALL_TIERS, rate_basis="tier",
        )  # fmt: skip
        for tier, rate in zip(ALL_TIERS, TIER_RATES[product.code], strict=True):
            services.rate_row_save(actor=actor, plan=plan, tier=tier, rate=Decimal(rate))
    return plan


def _banded(actor: User, plan: PlanDesign, bands: list[tuple[int, int, str, str]]) -> None:
    for low, high, plain, smoker in bands:
        for tobacco, rate in ((False, plain), (True, smoker)):
            services.rate_row_save(
                actor=actor, plan=plan, age_min=low, age_max=high, tobacco=tobacco,
                rate=Decimal(rate),
            )  # fmt: skip


def _enroll(
    actor: User,
    group: EmployerGroup,
    plans: dict[str, PlanDesign],
    spec: GroupSpec,
    rng: random.Random,
    first_id: int,
) -> None:
    city, postal = CITIES[spec.state]
    for n in range(spec.employees):
        employee = services.member_add(
            actor=actor, group=group, member_id=str(first_id + n * 10),
            first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
            birth_date=date(rng.randint(1962, 2000), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choice("FM"), address_line1=f"{rng.randint(10, 990)} {rng.choice(STREETS)}",
            city=city, state=spec.state, postal_code=postal,
            hire_date=date(rng.randint(2012, 2025), rng.randint(1, 12), 1),
            employment_class="Full-time hourly" if n % 3 else "Full-time salaried",
            tobacco=rng.random() < 0.2,
        )  # fmt: skip
        tier, dependents = _dependents(actor, group, employee, rng)
        # The last employee of each group joins late: coverage starts after the plans do.
        start = spec.effective + (timedelta(days=120) if n == spec.employees - 1 else timedelta())
        held = _cover(actor, employee, plans, tier, rng, start.replace(day=1))
        _cover_family(actor, held, dependents, start.replace(day=1))


def _dependents(
    actor: User, group: EmployerGroup, employee: Member, rng: random.Random
) -> tuple[str, list[Member]]:
    """Add a spouse and/or children; answer the coverage tier they make, and them."""
    spouse = rng.random() < 0.45
    children = rng.choice([0, 0, 1, 2]) if employee.birth_date.year > 1968 else 0
    suffix = 1
    added: list[Member] = []
    if spouse:
        added.append(services.member_add(
            actor=actor, group=group, employee=employee, relationship="01",
            member_id=f"{employee.member_id}{suffix:02d}", first_name=rng.choice(FIRST),
            last_name=employee.last_name, sex=rng.choice("FM"),
            birth_date=employee.birth_date + timedelta(days=rng.randint(-1500, 1500)),
        ))  # fmt: skip
        suffix += 1
    for _ in range(children):
        added.append(services.member_add(
            actor=actor, group=group, employee=employee, relationship="19",
            member_id=f"{employee.member_id}{suffix:02d}", first_name=rng.choice(CHILDREN),
            last_name=employee.last_name, sex=rng.choice("FM"),
            birth_date=date(rng.randint(2008, 2022), rng.randint(1, 12), rng.randint(1, 28)),
        ))  # fmt: skip
        suffix += 1
    if spouse and children:
        return Tier.FAMILY, added
    tier = Tier.EMPLOYEE_SPOUSE if spouse else Tier.EMPLOYEE_CHILDREN if children else Tier.EMPLOYEE
    return tier, added


def _cover(
    actor: User,
    employee: Member,
    plans: dict[str, PlanDesign],
    tier: str,
    rng: random.Random,
    start: date,
) -> list[Coverage]:
    """Cover the employee under the plans they buy; answer those coverages."""
    held: list[Coverage] = []
    for code, plan in plans.items():
        if code not in ("dental", "vision") and rng.random() < 0.25:
            continue  # worksite products are voluntary: not everyone buys each one
        benefit: Decimal | None = None
        if code == "term-life":
            benefit = Decimal(rng.choice([20, 25, 50, 75, 100]) * 1000)
        elif code == "critical-illness":
            benefit = Decimal(rng.choice([10, 20, 30]) * 1000)
        elif code == "short-term-disability":
            benefit = Decimal(rng.choice([30, 45, 60]) * 10)
        held.append(services.coverage_add(
            actor=actor, member=employee, plan=plan,
            tier=tier if len(plan.tiers) > 1 else "EMP", benefit_amount=benefit,
            start_date=start,
        ))  # fmt: skip
    return held


def _cover_family(actor: User, held: list[Coverage], dependents: list[Member], start: date) -> None:
    """Cover the employee's dependents as a family buys it: under each tier-rated plan
    the employee holds, at the employee's tier, for nothing (the tier premium on the
    employee's row is the family's); and the spouse on spouse term life and critical
    illness, each rated on the spouse's own age, at half the employee's benefit."""
    for coverage in held:
        plan = coverage.plan
        for dependent in dependents:
            if plan.rate_basis == RateBasis.TIER:
                services.coverage_add(
                    actor=actor, member=dependent, plan=plan, tier="", benefit_amount=None,
                    start_date=start,
                )  # fmt: skip
            elif dependent.relationship == Relationship.SPOUSE and plan.product.code in SPOUSE_CAP:
                services.coverage_add(
                    actor=actor, member=dependent, plan=plan, tier="EMP",
                    benefit_amount=spouse_benefit(plan, coverage.benefit_amount), start_date=start,
                )  # fmt: skip


def spouse_benefit(plan: PlanDesign, employee_benefit: Decimal | None) -> Decimal:
    """Half the employee's benefit, down to a whole $5,000, within the plan's minimum
    and the spouse cap for the product."""
    half = (employee_benefit or Decimal(0)) / 2
    rounded = (half // SPOUSE_STEP) * SPOUSE_STEP
    return min(max(rounded, plan.min_benefit or SPOUSE_STEP), SPOUSE_CAP[plan.product.code])


def policy_changes_load(*, actor: User) -> None:
    """Demo policy changes: one applied and one waiting in underwriting, made through the
    services so each has its rule outcome, premiums and work item."""
    rows = list(
        Coverage.objects.filter(
            plan__rate_basis=RateBasis.PER_UNIT,
            plan__guaranteed_issue__isnull=False,
            plan__max_benefit__isnull=False,
            member__relationship="18",
            status=CoverageStatus.ACTIVE,
            end_date__isnull=True,
        ).select_related("plan", "member")[:50]
    )
    effective = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    used: set[int] = set()
    # Up to guaranteed issue (allowed, applied); to the plan maximum (referred for EOI).
    for target in ("guaranteed_issue", "max_benefit"):
        for row in rows:
            amount: Decimal | None = getattr(row.plan, target)
            if row.member_id in used or amount is None or amount <= (row.benefit_amount or 0):
                continue
            try:
                policy_change_request(
                    actor=actor,
                    member=row.member,
                    request=ChangeRequest(
                        change_type="benefit_increase",
                        effective_date=effective,
                        plan=row.plan,
                        benefit_amount=amount,
                    ),
                )
            except ServiceError:
                continue  # demo data that does not fit a change is left as it is
            used.add(row.member_id)
            break

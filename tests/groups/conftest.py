from datetime import date
from decimal import Decimal

import pytest

from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as services


@pytest.fixture
def group(users, markets, queues):
    return services.group_create(
        actor=users["groupadmin"],
        group_number="g1001",
        legal_name="Acme Manufacturing LLC",
        situs_state="NY",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="Pat Payroll",
        billing_contact_email="payroll@acme.example",
    )


@pytest.fixture
def term_life(group) -> PlanDesign:
    """Per-unit term life: $1,000 units, age bands, tobacco rates, January 1 age rule."""
    product = Product.objects.create(code="term-life", name="Term life", insurance_line="LIF")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Term life 10-150K", effective_date=date(2026, 1, 1),
        tiers=["EMP"], rate_basis="per_unit", unit_amount=Decimal("1000"),
        min_benefit=Decimal("10000"), max_benefit=Decimal("150000"),
        guaranteed_issue=Decimal("50000"), age_rule="january_first",
    )  # fmt: skip
    for low, high, plain, smoker in ((0, 39, "0.085", "0.170"), (40, 49, "0.155", "0.330"),
                                     (50, 120, "0.390", "0.805")):  # fmt: skip
        RateRow.objects.create(plan=plan, age_min=low, age_max=high, tobacco=False, rate=plain)
        RateRow.objects.create(plan=plan, age_min=low, age_max=high, tobacco=True, rate=smoker)
    return plan


@pytest.fixture
def accident(group) -> PlanDesign:
    product = Product.objects.create(code="accident", name="Accident", insurance_line="AH")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Accident", effective_date=date(2026, 1, 1),
        tiers=["EMP", "ESP", "ECH", "FAM"], rate_basis="tier",
    )  # fmt: skip
    for tier, premium in (("EMP", "12.40"), ("ESP", "21.95"), ("ECH", "24.10"), ("FAM", "33.65")):
        RateRow.objects.create(plan=plan, tier=tier, rate=premium)
    return plan


@pytest.fixture
def employee(group) -> Member:
    return Member.objects.create(
        group=group, subscriber_id="100200300", member_id="100200300", relationship="18",
        first_name="Jordan", last_name="Rivera", birth_date=date(1986, 3, 15), sex="F",
    )  # fmt: skip

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.groups.models import EmployerGroup, Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as services


@pytest.fixture
def group(users, markets, queues) -> EmployerGroup:
    return services.group_create(
        actor=users["groupadmin"],
        group_number="g2001",
        legal_name="Acme Manufacturing LLC",
        situs_state="NY",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="Pat Payroll",
        billing_contact_email="payroll@acme.example",
    )


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
def dental(group) -> PlanDesign:
    product = Product.objects.create(code="dental", name="Dental", insurance_line="DEN")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Dental", effective_date=date(2026, 1, 1),
        tiers=["EMP", "FAM"], rate_basis="tier",
    )  # fmt: skip
    for tier, premium in (("EMP", "30.00"), ("FAM", "85.50")):
        RateRow.objects.create(plan=plan, tier=tier, rate=premium)
    return plan


@pytest.fixture
def make_member(group):
    def make(member_id: str) -> Member:
        return Member.objects.create(
            group=group, subscriber_id=member_id, member_id=member_id, relationship="18",
            first_name="Jordan", last_name="Rivera", birth_date=date(1986, 3, 15), sex="F",
        )  # fmt: skip

    return make


@pytest.fixture
def cover(users):
    def add(member, plan, tier="EMP", start=date(2026, 1, 1)):
        return services.coverage_add(
            actor=users["groupadmin"], member=member, plan=plan, tier=tier,
            benefit_amount=None, start_date=start,
        )  # fmt: skip

    return add


ZERO = Decimal("0.00")

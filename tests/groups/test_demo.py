"""The groups demo: products, groups in the group administrator's markets, members, and
families covered as a user's action covers them: on a tier-rated plan the tier premium
once, on the employee, and each dependent eligible at that tier for nothing; a spouse on
per-unit spouse term life and critical illness rated on the spouse's own age."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from payerdesk.core import services as core_services
from payerdesk.core.demo import demo_load
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    Coverage,
    EmployerGroup,
    Member,
    Product,
    RateBasis,
    Relationship,
)
from payerdesk.groups.rules import rating

MARCH = date(2026, 3, 15)

# The demo is loaded once for the module; each test reads it in its own savepoint.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_demo")]


def test_the_demo_installs_groups_members_and_coverages_through_the_services():
    assert Product.objects.count() == 7
    groups = list(EmployerGroup.objects.all())
    assert {g.market.code for g in groups} == {"TRI", "MAT"} and len(groups) == 4
    assert all(g.welcome_call is not None and g.setup_steps.count() == 6 for g in groups)
    members = Member.objects.count()
    assert 35 <= members <= 48
    assert Member.objects.filter(employee__isnull=False).count() >= 8  # dependents
    assert Coverage.objects.filter(monthly_premium__gt=0).count() >= 60
    employer = User.objects.get(username="employer")
    assert list(selectors.groups_visible_to(employer)) == [groups[0]]
    late = Member.objects.filter(group=groups[0], employee__isnull=True).last()
    assert late is not None
    assert not selectors.coverage_as_of(member=late, on=date(2026, 1, 15))
    assert selectors.coverage_as_of(member=late, on=date(2026, 6, 1))
    # The late joiner's family is covered from the day the employee is, not before.
    family = list(late.dependents.all())
    assert family and all(not selectors.coverage_as_of(member=d, on=date(2026, 4, 30))
                          for d in family)  # fmt: skip
    assert all(selectors.coverage_as_of(member=d, on=date(2026, 6, 1)) for d in family)
    # Running it again changes nothing.
    coverages = Coverage.objects.count()
    demo_load()
    assert Member.objects.count() == members and Coverage.objects.count() == coverages


def _in_force(member: Member, on: date) -> dict[str, Coverage]:
    return {row.plan.product.code: row for row in selectors.coverage_as_of(member=member, on=on)}


def test_every_demo_dependent_is_covered_at_the_family_tier_which_is_billed_once():
    dependents = Member.objects.filter(employee__isnull=False).select_related("employee")
    families = 0
    for dependent in dependents:
        assert dependent.employee is not None
        held = _in_force(dependent.employee, date(2026, 12, 1))
        theirs = _in_force(dependent, date(2026, 12, 1))
        assert theirs, f"demo dependent {dependent.member_id} has no coverage"
        for code, employee_row in held.items():
            if employee_row.plan.rate_basis != RateBasis.TIER:
                continue
            row = theirs[code]  # every tier-rated plan the employee holds covers the family
            assert (row.tier, row.monthly_premium) == (employee_row.tier, Decimal("0.00"))
            assert employee_row.tier != "EMP"
    # The family's dental premium, all its rows summed, is the tier's rate, once.
    for employee in Member.objects.filter(employee__isnull=True, dependents__isnull=False):
        dental = [
            row
            for member in (employee, *employee.dependents.all())
            for row in selectors.coverage_as_of(member=member, on=date(2026, 12, 1))
            if row.plan.product.code == "dental"
        ]
        if not dental:
            continue
        families += 1
        tier = dental[0].tier
        rate = dental[0].plan.rates.get(tier=tier).rate
        assert {row.tier for row in dental} == {tier}
        assert len(dental) == 1 + employee.dependents.count()
        assert sum(row.monthly_premium for row in dental) == rate
    assert families >= 8


def test_a_demo_spouse_is_eligible_rated_on_their_own_age_and_the_page_says_covered():
    spouse = Member.objects.get(member_id="10020001001")  # Hudson Valley Tool & Die
    employee = spouse.employee
    assert employee is not None and spouse.relationship == Relationship.SPOUSE
    rows = _in_force(spouse, MARCH)
    assert sorted((code, row.tier, row.monthly_premium) for code, row in rows.items()) == [
        ("critical-illness", "EMP", Decimal("23.40")),  # $15,000 at 54: 15 x 1.560
        ("dental", "ESP", Decimal("0.00")),
        ("term-life", "EMP", Decimal("9.50")),  # $25,000 at 54: 25 x 0.380
        ("vision", "ESP", Decimal("0.00")),
    ]
    life, own = rows["term-life"], _in_force(employee, MARCH)["term-life"]
    assert (life.benefit_amount, life.rated_age) == (Decimal("25000"), 54)
    assert (own.benefit_amount, own.rated_age) == (Decimal("50000"), 57)
    # The same premium the coverage service gives the spouse on their own.
    again = rating.rate_member(spouse, life.plan, tier="EMP", benefit=Decimal("25000"),
                                 start=life.start_date)  # fmt: skip
    assert again.monthly_premium == life.monthly_premium
    # Before the family's coverage starts the spouse is not covered.
    assert not selectors.coverage_as_of(member=spouse, on=date(2025, 12, 31))
    # The claims department's page and API say the same.
    web = Client()
    web.force_login(User.objects.get(username="groupadmin"))
    page = web.get("/groups/eligibility/", {"member": "10020001001", "date": "2026-03-15"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Member 10020001001, group G10001, on 03/15/2026: covered" in text
    assert "ESP (Employee and spouse)" in text and "not covered" not in text
    before = web.get("/groups/eligibility/", {"member": "10020001001", "date": "2025-12-31"})
    assert "on 12/31/2025: not covered" in before.content.decode()
    _, token = core_services.api_token_issue(
        actor=None, user=User.objects.get(username="groupadmin"), name="test"
    )
    answer = Client(headers={"Authorization": f"Bearer {token}"}).get(
        "/api/eligibility", {"member": "10020202001", "date": "2026-03-15"}
    )  # a child of a Chesapeake Schools family on employee and children
    assert answer.status_code == 200 and answer.json()["covered"] is True
    assert {(c["product"], c["tier"]) for c in answer.json()["coverages"]} == {
        ("Group dental", "ECH"),
        ("Group vision", "ECH"),
    }
    assert AccessLogEntry.objects.filter(record_type="member", record_id=str(spouse.pk)).exists()

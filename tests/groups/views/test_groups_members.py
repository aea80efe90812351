"""Members through the pages: add employees, dependents and coverage; the member page,
its as-of picker and the access log; the eligibility page."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.models import Coverage, Member, Product
from payerdesk.groups.services import groups as services

EMPLOYEE_FORM = {
    "member_id": "555000111", "first_name": "Casey", "last_name": "Nguyen",
    "birth_date": "1980-07-04", "sex": "M", "relationship": "18", "address_line1": "1 Elm St",
    "city": "Albany", "state": "NY", "postal_code": "12207", "hire_date": "2015-02-01",
    "employment_class": "Full-time", "tobacco": "on",
}  # fmt: skip


def test_an_employee_and_a_dependent_are_added(client_for, users, group):
    admin = client_for(users["groupadmin"])
    response = admin.post(reverse("groups:member-new", args=["G1001"]), EMPLOYEE_FORM)
    assert response.status_code == 302
    employee = Member.objects.get(member_id="555000111")
    assert (employee.subscriber_id, employee.tobacco, employee.employee) == (
        "555000111", True, None,
    )  # fmt: skip
    url = reverse("groups:member-new", args=["G1001"]) + f"?employee={employee.pk}"
    child = {"member_id": "55500011102", "first_name": "Ari", "last_name": "Nguyen",
             "birth_date": "2015-05-05", "sex": "F", "relationship": "19"}  # fmt: skip
    assert admin.post(url, child).status_code == 302
    dependent = Member.objects.get(member_id="55500011102")
    assert (dependent.employee, dependent.subscriber_id) == (employee, "555000111")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member_id": "100200300"}, "member_id"),  # already in the group
        ({"birth_date": "2099-01-01"}, "birth_date"),
        ({"birth_date": "1980-02-30"}, "birth_date"),
        ({"hire_date": "1970-01-01"}, "hire_date"),
        ({"state": "N1"}, "state"),
        ({"relationship": "19"}, "relationship"),  # an employee is "self"
        ({"first_name": " "}, "first_name"),
    ],
)
def test_bad_members_name_the_field_and_add_nothing(client_for, users, employee, change, field):
    before = Member.objects.count()
    response = client_for(users["groupadmin"]).post(
        reverse("groups:member-new", args=["G1001"]), {**EMPLOYEE_FORM, **change}
    )
    assert response.status_code in (400, 422)
    assert field in response.context["form"].errors, response.context["form"].errors
    assert Member.objects.count() == before


def _cover(client, member, plan, **values):
    form = {"plan": plan.pk, "tier": "EMP", "benefit_amount": "", "start_date": "2026-02-01"}
    return client.post(reverse("groups:coverage-new", args=[member.pk]), {**form, **values})


def test_coverage_added_on_the_page_is_priced_from_the_rate_table(
    client_for, users, employee, term_life
):
    response = _cover(client_for(users["groupadmin"]), employee, term_life, benefit_amount="50000")
    assert response.status_code == 302
    coverage = Coverage.objects.get(member=employee)
    # Born 1986-03-15, age 39 on January 1 2026 (the plan's age rule): 50 units x 0.085.
    assert (coverage.rated_age, coverage.monthly_premium) == (39, Decimal("4.25"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"benefit_amount": "50500"}, "benefit_amount"),  # not whole $1,000 units
        ({"benefit_amount": "500000"}, "benefit_amount"),  # above the plan maximum
        ({"benefit_amount": ""}, "benefit_amount"),
        ({"benefit_amount": "50000", "tier": "FAM"}, "tier"),
        ({"benefit_amount": "50000", "start_date": "2025-12-01"}, "start_date"),
        ({"benefit_amount": "50000", "start_date": "yesterday"}, "start_date"),
    ],
)
def test_bad_coverage_names_the_field_and_adds_nothing(
    client_for, users, employee, term_life, values, field
):
    response = _cover(client_for(users["groupadmin"]), employee, term_life, **values)
    assert response.status_code in (400, 422)
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Coverage.objects.exists()


def test_a_plan_of_another_group_is_not_offered(client_for, users, markets, employee):
    other = services.group_create(
        actor=users["supervisor"], group_number="G3003", legal_name="Gamma LLC",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Kim", billing_contact_email="kim@gamma.example",
    )  # fmt: skip
    plan = services.plan_design_save(
        actor=users["supervisor"], group=other,
        product=Product.objects.create(code="vision", name="Vision", insurance_line="VIS"),
        name="Vision", effective_date=date(2026, 1, 1), tiers=["EMP"], rate_basis="tier",
    )  # fmt: skip
    response = _cover(client_for(users["groupadmin"]), employee, plan)
    assert response.status_code == 400 and "plan" in response.context["form"].errors


def test_the_member_page_answers_as_of_a_date_and_logs_each_view(
    client_for, users, employee, accident, term_life
):
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=accident, tier="FAM",
        benefit_amount=None, start_date=date(2026, 2, 1),
    )  # fmt: skip
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=term_life, tier="EMP",
        benefit_amount=Decimal("20000"), start_date=date(2026, 3, 1),
    )  # fmt: skip
    admin = client_for(users["groupadmin"])
    url = reverse("groups:member", args=[employee.pk])
    january = admin.get(url, {"as_of": "2026-01-15"})
    assert january.context["in_force"] == [] and b"not covered" in january.content
    february = admin.get(url, {"as_of": "2026-02-15"})
    assert [c.plan for c in february.context["in_force"]] == [accident]
    march = admin.get(url, {"as_of": "2026-03-01"})
    assert march.context["in_force_premium"] == Decimal("33.65") + Decimal("1.70")
    assert b"Jordan" in march.content and b"Coverage history" in march.content
    assert admin.get(url, {"as_of": "2026-02-31"}).status_code == 400
    logged = AccessLogEntry.objects.filter(record_type="member", record_id=str(employee.pk))
    assert logged.count() == 4 and {e.channel for e in logged} == {"web"}


def test_member_pages_are_scoped(client_for, users, markets, employee):
    url = reverse("groups:member", args=[employee.pk])
    assert client_for(users["auditor"]).get(url).status_code == 200
    assert client_for(users["rep"]).get(url).status_code == 403
    assert client_for(users["employer"]).get(url).status_code == 403
    employee.group.market = markets["SE"]
    employee.group.save()
    assert client_for(users["groupadmin"]).get(url).status_code == 404
    add = reverse("groups:coverage-new", args=[employee.pk])
    assert client_for(users["groupadmin"]).get(add).status_code == 404
    assert client_for(users["auditor"]).get(add).status_code == 403
    assert not AccessLogEntry.objects.filter(username__in=["groupadmin", "rep"]).exists()


def test_the_eligibility_page_gives_the_api_answer(
    client_for, api_client, users, employee, accident
):
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=accident, tier="ESP",
        benefit_amount=None, start_date=date(2026, 2, 1),
    )  # fmt: skip
    page = client_for(users["supervisor"])
    url = reverse("groups:eligibility")
    assert page.get(url).status_code == 200
    answer = page.get(url, {"member": "100200300", "group": "g1001", "date": "2026-02-01"})
    api = api_client("supervisor").get("/api/eligibility?member=100200300&date=2026-02-01")
    rows = answer.context["coverages"]
    assert (
        [(c.plan.product.insurance_line, c.tier) for c in rows]
        == [(c["insurance_line"], c["tier"]) for c in api.json()["coverages"]]
        == [("AH", "ESP")]
    )
    assert b"covered" in answer.content
    before = page.get(url, {"member": "100200300", "date": "2026-01-31"})
    assert before.context["coverages"] == [] and b"not covered" in before.content
    logged = AccessLogEntry.objects.filter(record_type="member", record_id=str(employee.pk))
    assert sorted(logged.values_list("channel", flat=True)) == ["api", "web", "web"]


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ({"member": "100200300", "date": "31/01/2026"}, "date", 400),
        ({"date": "2026-01-31"}, "member", 400),
        ({"member": "999", "date": "2026-01-31"}, None, 404),
        ({"member": "100200300", "group": "G9999", "date": "2026-01-31"}, None, 404),
    ],
)
def test_bad_eligibility_questions_are_answered_plainly(
    client_for, users, employee, query, field, status
):
    response = client_for(users["groupadmin"]).get(reverse("groups:eligibility"), query)
    assert response.status_code == status
    errors = response.context["form"].errors
    assert (field in errors) if field else ("No member" in errors["__all__"][0])
    assert not AccessLogEntry.objects.exists()

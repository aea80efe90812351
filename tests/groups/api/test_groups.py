"""Groups, plan designs, rates, members and coverages over REST: good and bad calls."""

import pytest

from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.models import (
    Coverage,
    EmployerGroup,
    Member,
    PlanDesign,
    Product,
    RateRow,
)
from payerdesk.groups.services import groups as services

GROUP = {
    "group_number": "g2002", "legal_name": "Beta Foods Inc", "situs_state": "NY",
    "market": "TRI", "effective_date": "2026-01-01", "billing_contact_name": "Lee",
    "billing_contact_email": "lee@beta.example",
}  # fmt: skip


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_group_is_set_up_end_to_end_over_the_api(api_client, queues, users):
    client = api_client("groupadmin")
    created = _post(client, "/api/groups", GROUP)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["group_number"] == "G2002" and body["welcome_call"] is not None
    assert body["setup_steps"][0]["label"] == "Products and plan designs chosen"
    Product.objects.create(code="accident", name="Accident", insurance_line="AH")
    plan = _post(client, "/api/groups/G2002/plans", {
        "product": "accident", "name": "Accident", "effective_date": "2026-01-01",
        "tiers": ["EMP", "FAM"], "rate_basis": "tier",
    })  # fmt: skip
    assert plan.status_code == 201, plan.content
    plan_id = plan.json()["id"]
    for tier, rate in (("EMP", "12.40"), ("FAM", "33.65")):
        added = _post(client, f"/api/plans/{plan_id}/rates", {"tier": tier, "rate": rate})
        assert added.status_code == 201, added.content
    assert [r["tier"] for r in client.get(f"/api/plans/{plan_id}/rates").json()] == ["EMP", "FAM"]
    employee = _post(client, "/api/groups/G2002/members", {
        "member_id": "300400500", "first_name": "Ana", "last_name": "Silva",
        "birth_date": "1979-09-09", "sex": "F",
    })  # fmt: skip
    assert employee.status_code == 201, employee.content
    spouse = _post(client, "/api/groups/G2002/members", {
        "member_id": "30040050001", "first_name": "Rui", "last_name": "Silva",
        "birth_date": "1978-01-01", "sex": "M", "relationship": "01", "employee": "300400500",
    })  # fmt: skip
    assert spouse.status_code == 201 and spouse.json()["employee"] == "300400500"
    pk = employee.json()["id"]
    covered = _post(client, f"/api/members/{pk}/coverages", {
        "plan_id": plan_id, "tier": "FAM", "start_date": "2026-02-01",
    })  # fmt: skip
    assert covered.status_code == 201 and covered.json()["monthly_premium"] == "33.65"
    detail = client.get(f"/api/members/{pk}").json()
    assert detail["dependents"] == ["30040050001"] and len(detail["coverages"]) == 1
    assert client.get(f"/api/members/{pk}/coverages?as_of=2026-01-31").json() == []
    assert len(client.get(f"/api/members/{pk}/coverages?as_of=2026-02-01").json()) == 1
    names = [m["member_id"] for m in client.get("/api/groups/G2002/members").json()]
    assert sorted(names) == ["300400500", "30040050001"]
    assert [g["group_number"] for g in client.get("/api/groups?search=beta").json()] == ["G2002"]
    logged = AccessLogEntry.objects.filter(channel="api", username="groupadmin")
    assert sorted(logged.values_list("record_type", flat=True)) == [
        "group_members", "member", "member", "member",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"market": "XX"}, 422, "market"),
        ({"group_number": "G1001"}, 422, "group_number"),
        ({"situs_state": "New York"}, 422, "situs_state"),
        ({"billing_contact_email": "nope"}, 422, "billing_contact_email"),
        ({"effective_date": "2026-02-30"}, 422, "effective_date"),
        ({"market": "SE"}, 403, None),  # the group administrator does not serve Southeast
    ],
)
def test_bad_groups_are_refused_with_the_field(api_client, group, change, status, field):
    response = _post(api_client("groupadmin"), "/api/groups", {**GROUP, **change})
    assert response.status_code == status, response.content
    body = response.json()
    if field and "field" in body:
        assert body["field"] == field
    elif field:  # a schema error: ninja names the location
        assert field in str(body["detail"])
    assert EmployerGroup.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tiers": []}, "tiers"),
        ({"product": "nope"}, "product"),
        ({"product": "term-life"}, "product"),
        ({"rate_basis": "per_unit"}, "unit_amount"),
        ({"rate_basis": "weekly"}, "rate_basis"),
        ({"age_rule": "birthday"}, "age_rule"),
        ({"min_benefit": "9", "max_benefit": "1"}, "max_benefit"),
        ({"grace_period_days": 400}, "grace_period_days"),
        ({"grace_period_days": -1}, "grace_period_days"),
    ],
)
def test_bad_plans_are_refused_with_the_field(api_client, group, term_life, accident, body, field):
    before = PlanDesign.objects.count()
    plan = {"product": "dental", "name": "Dental", "effective_date": "2026-01-01",
            "tiers": ["EMP"], "rate_basis": "tier"}  # fmt: skip
    Product.objects.create(code="dental", name="Dental", insurance_line="DEN")
    response = _post(api_client("groupadmin"), "/api/groups/G1001/plans", {**plan, **body})
    assert response.status_code == 422 and response.json()["field"] == field
    assert PlanDesign.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate": "-1", "age_min": 121, "age_max": 121}, "rate"),
        ({"rate": "1", "age_min": 45, "age_max": 60, "tobacco": True}, "age_min"),
        ({"rate": "1", "age_min": 60, "age_max": 50}, "age_max"),
        ({"rate": "1", "tier": "FAM"}, "tier"),
    ],
)
def test_bad_rates_are_refused_with_the_field(api_client, term_life, body, field):
    before = RateRow.objects.count()
    response = _post(api_client("groupadmin"), f"/api/plans/{term_life.pk}/rates", body)
    assert response.status_code == 422 and response.json()["field"] == field
    assert RateRow.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"member_id": "100200300"}, "member_id"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"sex": "X"}, "sex"),
        ({"relationship": "19"}, "employee"),
        ({"relationship": "01", "employee": "404"}, "employee"),
        ({"relationship": "18", "employee": "100200300"}, "relationship"),
    ],
)
def test_bad_members_are_refused_with_the_field(api_client, employee, body, field):
    before = Member.objects.count()
    member = {"member_id": "600", "first_name": "A", "last_name": "B",
              "birth_date": "1990-01-01", "sex": "F"}  # fmt: skip
    response = _post(api_client("groupadmin"), "/api/groups/G1001/members", {**member, **body})
    assert response.status_code == 422 and response.json()["field"] == field, response.content
    assert Member.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"benefit_amount": "12500"}, "benefit_amount"),
        ({"benefit_amount": None}, "benefit_amount"),
        ({"benefit_amount": "20000", "tier": "FAM"}, "tier"),
        ({"benefit_amount": "20000", "start_date": "2025-01-01"}, "start_date"),
        ({"benefit_amount": "20000", "plan_id": 999999}, "plan_id"),
    ],
)
def test_bad_coverages_are_refused_with_the_field(api_client, employee, term_life, body, field):
    coverage = {"plan_id": term_life.pk, "tier": "EMP", "start_date": "2026-02-01"}
    response = _post(
        api_client("groupadmin"), f"/api/members/{employee.pk}/coverages", {**coverage, **body}
    )
    assert response.status_code == 422 and response.json()["field"] == field, response.content
    assert not Coverage.objects.exists()


def test_scope_auditors_read_only_and_other_markets_hidden(api_client, users, markets, employee):
    auditor = api_client("auditor")
    assert auditor.get(f"/api/members/{employee.pk}").status_code == 200
    refused = _post(auditor, "/api/groups/G1001/members", {
        "member_id": "1", "first_name": "A", "last_name": "B", "birth_date": "1990-01-01",
        "sex": "F",
    })  # fmt: skip
    assert refused.status_code == 403
    assert api_client("rep").get("/api/groups").status_code == 403
    employee.group.market = markets["SE"]
    employee.group.save()
    admin = api_client("groupadmin")
    assert admin.get("/api/groups").json() == []
    assert admin.get("/api/groups/G1001").status_code == 404
    assert admin.get(f"/api/members/{employee.pk}").status_code == 404
    assert admin.get("/api/groups/G1001/members").status_code == 404
    assert not AccessLogEntry.objects.filter(username="groupadmin").exists()
    services.portal_user_grant(actor=users["supervisor"], group=employee.group,
                               user=users["employer"])  # fmt: skip
    assert api_client("employer").get("/api/groups").status_code == 403


def test_a_plan_states_its_grace_period(api_client, group, term_life, accident):
    Product.objects.create(code="dental", name="Dental", insurance_line="DEN")
    plan = {"product": "dental", "name": "Dental", "effective_date": "2026-01-01",
            "tiers": ["EMP"], "rate_basis": "tier"}  # fmt: skip
    client = api_client("groupadmin")
    made = _post(client, "/api/groups/G1001/plans", {**plan, "grace_period_days": 60})
    assert made.status_code == 201 and made.json()["grace_period_days"] == 60
    listed = client.get("/api/groups/G1001/plans").json()
    assert {p["name"]: p["grace_period_days"] for p in listed}["Term life 10-150K"] == 31

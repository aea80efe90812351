"""Case set-up through the pages: groups, checklist, plan designs, rate tables."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from payerdesk.groups.models import EmployerGroup, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as services

GROUP_FORM = {
    "group_number": "g5005", "legal_name": "Delta Dairy Co-op", "situs_state": "NY",
    "market": "TRI", "effective_date": "2026-04-01", "billing_contact_name": "Ro Banks",
    "billing_contact_email": "ro@delta.example", "billing_contact_phone": "",
}  # fmt: skip


def test_group_list_searches_and_shows_only_the_markets_served(client_for, users, markets, group):
    services.group_create(
        actor=users["supervisor"], group_number="G7007", legal_name="Southern Mills",
        situs_state="GA", market=markets["SE"], effective_date=date(2026, 1, 1),
        billing_contact_name="Al", billing_contact_email="al@mills.example",
    )  # fmt: skip
    admin = client_for(users["groupadmin"])
    page = admin.get(reverse("groups:groups")).content.decode()
    assert "G1001" in page and "G7007" not in page
    supervisor = client_for(users["supervisor"])
    assert "G7007" in supervisor.get(reverse("groups:groups")).content.decode()
    found = supervisor.get(reverse("groups:groups"), {"q": "acme"}).content.decode()
    assert "G1001" in found and "G7007" not in found
    by_number = supervisor.get(reverse("groups:groups"), {"q": "g7007"}).content.decode()
    assert "G7007" in by_number and "G1001" not in by_number
    partial = supervisor.get(reverse("groups:groups"), {"q": "mills"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"G7007" in partial.content
    assert client_for(users["rep"]).get(reverse("groups:groups")).status_code == 403


def test_creating_a_group_opens_its_checklist_and_welcome_call(client_for, users, queues):
    response = client_for(users["groupadmin"]).post(reverse("groups:group-new"), GROUP_FORM)
    assert response.status_code == 302
    group = EmployerGroup.objects.get(group_number="G5005")
    assert response["Location"] == reverse("groups:group", args=["G5005"])
    page = client_for(users["groupadmin"]).get(response["Location"]).content.decode()
    assert "Case set-up checklist" in page and "Welcome call made" in page
    assert group.welcome_call is not None
    assert group.welcome_call.record_url == reverse("groups:group", args=["G5005"])


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"group_number": "G1001"}, "group_number", 422),
        ({"situs_state": "ny"}, "situs_state", 422),
        ({"billing_contact_email": "ro at delta"}, "billing_contact_email", 422),
        ({"effective_date": "2026-13-01"}, "effective_date", 400),
        ({"market": "SE"}, "market", 400),  # not a market the group administrator serves
        ({"legal_name": ""}, "legal_name", 400),
    ],
)
def test_bad_group_forms_name_the_field_and_create_nothing(
    client_for, users, group, change, field, status
):
    response = client_for(users["groupadmin"]).post(
        reverse("groups:group-new"), {**GROUP_FORM, **change}
    )
    assert response.status_code == status
    assert field in response.context["form"].errors
    assert EmployerGroup.objects.count() == 1


def test_ticking_a_checklist_step_records_who_and_when(client_for, users, group):
    url = reverse("groups:setup-step", args=[group.group_number, 2])
    response = client_for(users["groupadmin"]).post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"done by" in response.content
    step = group.setup_steps.get(position=2)
    assert step.done_by == users["groupadmin"] and step.done_at is not None
    client_for(users["groupadmin"]).post(url, {"done": "0"})
    step.refresh_from_db()
    assert step.done_at is None and step.done_by is None
    assert client_for(users["auditor"]).post(url, {"done": "1"}).status_code == 403
    missing = reverse("groups:setup-step", args=[group.group_number, 99])
    assert client_for(users["groupadmin"]).post(missing, {"done": "1"}).status_code == 404


@pytest.fixture
def dental(db) -> Product:
    return Product.objects.create(code="dental", name="Group dental", insurance_line="DEN")


PLAN_FORM = {
    "product": "dental", "name": "Dental PPO", "effective_date": "2026-01-01",
    "eligibility_class": "All full-time employees", "waiting_period_days": "0",
    "tiers": ["EMP", "FAM"], "rate_basis": "tier", "age_rule": "effective_date",
}  # fmt: skip


def test_a_plan_design_is_added_and_edited_through_its_form(client_for, users, group, dental):
    admin = client_for(users["groupadmin"])
    response = admin.post(reverse("groups:plan-new", args=[group.group_number]), PLAN_FORM)
    assert response.status_code == 302
    plan = PlanDesign.objects.get(group=group, product=dental)
    assert plan.tiers == ["EMP", "FAM"] and plan.unit_amount is None
    edit = reverse("groups:plan-edit", args=[plan.pk])
    assert admin.get(edit).context["form"].initial["tiers"] == ["EMP", "FAM"]
    changed = {**PLAN_FORM, "name": "Dental PPO high", "waiting_period_days": "30"}
    assert admin.post(edit, changed).status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.waiting_period_days) == ("Dental PPO high", 30)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tiers": []}, "tiers"),
        ({"tiers": ["XYZ"]}, "tiers"),
        ({"rate_basis": "per_unit"}, "unit_amount"),
        ({"min_benefit": "5000", "max_benefit": "1000"}, "max_benefit"),
        ({"max_benefit": "1000", "guaranteed_issue": "2000"}, "guaranteed_issue"),
        ({"unit_amount": "-5"}, "unit_amount"),
        ({"waiting_period_days": "-1"}, "waiting_period_days"),
        ({"effective_date": "2025-06-01"}, "effective_date"),
        ({"product": "term-life"}, "product"),  # the group already has a term life plan
        ({"product": "nope"}, "product"),
    ],
)
def test_bad_plan_designs_name_the_field(
    client_for, users, group, dental, term_life, change, field
):
    before = PlanDesign.objects.count()
    response = client_for(users["groupadmin"]).post(
        reverse("groups:plan-new", args=[group.group_number]), {**PLAN_FORM, **change}
    )
    assert response.status_code in (400, 422)
    assert field in response.context["form"].errors, response.context["form"].errors
    assert PlanDesign.objects.count() == before


def test_a_tier_still_priced_cannot_be_dropped(client_for, users, accident):
    response = client_for(users["groupadmin"]).post(
        reverse("groups:plan-edit", args=[accident.pk]),
        {**PLAN_FORM, "product": "accident", "name": "Accident", "tiers": ["EMP", "FAM"]},
    )
    assert response.status_code == 422
    assert "ECH, ESP" in response.context["form"].errors["tiers"][0]
    accident.refresh_from_db()
    assert accident.tiers == ["EMP", "ESP", "ECH", "FAM"]


def _rate(client, plan, **values):
    form = {"age_min": "0", "age_max": "120", "tobacco": "", "tier": "", "rate": "1.00"}
    return client.post(reverse("groups:rate-new", args=[plan.pk]), {**form, **values})


def test_rates_are_added_and_edited(client_for, users, term_life):
    admin = client_for(users["groupadmin"])
    term_life.rates.filter(age_min=50).delete()
    assert _rate(admin, term_life, age_min="50", age_max="64", tobacco="no", rate="0.39")
    added = term_life.rates.get(age_min=50)
    assert (added.tobacco, added.rate) == (False, Decimal("0.3900"))
    edit = reverse("groups:rate-edit", args=[added.pk])
    assert admin.get(edit).context["form"].initial["tobacco"] == "no"
    response = admin.post(
        edit, {"age_min": "50", "age_max": "120", "tobacco": "no", "tier": "", "rate": "0.41"}
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.age_max, added.rate) == (120, Decimal("0.4100"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"age_min": "45", "age_max": "55", "tobacco": "no"}, "age_min"),  # overlaps 40-49
        ({"age_min": "45", "age_max": "55"}, "age_min"),  # "both" overlaps either
        ({"age_min": "60", "age_max": "50"}, "age_max"),
        ({"rate": "-0.10", "age_min": "121", "age_max": "121"}, "rate"),
        ({"tier": "FAM"}, "tier"),  # term life offers employee only
        ({"rate": "abc"}, "rate"),
    ],
)
def test_bad_rates_name_the_field_and_change_nothing(client_for, users, term_life, values, field):
    before = list(RateRow.objects.values_list("pk", "age_min", "age_max", "rate"))
    response = _rate(client_for(users["groupadmin"]), term_life, **values)
    assert response.status_code in (400, 422)
    assert field in response.context["form"].errors, response.context["form"].errors
    assert list(RateRow.objects.values_list("pk", "age_min", "age_max", "rate")) == before


def test_a_multi_tier_plan_needs_the_tier_of_each_rate(client_for, users, accident):
    accident.rates.all().delete()
    response = _rate(client_for(users["groupadmin"]), accident, rate="10")
    assert response.status_code == 422 and "tier" in response.context["form"].errors


def test_auditors_read_but_do_not_change_and_other_markets_see_nothing(
    client_for, users, markets, group, term_life
):
    auditor = client_for(users["auditor"])
    assert auditor.get(reverse("groups:group", args=["G1001"])).status_code == 200
    assert _rate(auditor, term_life, age_min="121", age_max="121").status_code == 403
    assert auditor.get(reverse("groups:plan-new", args=["G1001"])).status_code == 403
    group.market = markets["SE"]
    group.save()
    admin = client_for(users["groupadmin"])
    assert admin.get(reverse("groups:group", args=["G1001"])).status_code == 404
    assert _rate(admin, term_life, age_min="121", age_max="121").status_code == 404
    assert admin.get(reverse("groups:plan-edit", args=[term_life.pk])).status_code == 404


def test_a_plan_with_members_keeps_its_product_and_rate_basis(
    client_for, users, employee, accident, dental
):
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=accident, tier="EMP",
        benefit_amount=None, start_date=date(2026, 1, 1),
    )  # fmt: skip
    url = reverse("groups:plan-edit", args=[accident.pk])
    form = {**PLAN_FORM, "name": "Accident", "tiers": ["EMP", "ESP", "ECH", "FAM"]}
    moved = client_for(users["groupadmin"]).post(url, form)  # product: dental
    assert moved.status_code == 422 and "product" in moved.context["form"].errors
    rebased = client_for(users["groupadmin"]).post(
        url, {**form, "product": "accident", "rate_basis": "per_unit", "unit_amount": "1000"}
    )
    assert rebased.status_code == 422 and "rate_basis" in rebased.context["form"].errors
    accident.refresh_from_db()
    assert (accident.product.code, accident.rate_basis) == ("accident", "tier")

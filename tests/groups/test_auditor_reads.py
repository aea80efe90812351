"""The auditor reads the plan and rate pages (read only) and changes nothing through them."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from payerdesk.groups.models import PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as group_services


@pytest.fixture
def rate(users, markets, queues) -> RateRow:
    group = group_services.group_create(
        actor=users["supervisor"], group_number="G1001", legal_name="Acme LLC",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pat@acme.example",
    )  # fmt: skip
    plan = group_services.plan_design_save(
        actor=users["supervisor"], group=group,
        product=Product.objects.create(code="accident", name="Accident", insurance_line="AH"),
        name="Accident", effective_date=date(2026, 1, 1), tiers=["EMP", "FAM"], rate_basis="tier",
    )  # fmt: skip
    return group_services.rate_row_save(
        actor=users["supervisor"], plan=plan, tier="EMP", rate=Decimal("12.40")
    )


def _pages(rate: RateRow) -> list[str]:
    return [reverse("groups:plan-edit", args=[rate.plan_id]),
            reverse("groups:rate-edit", args=[rate.pk])]  # fmt: skip


def test_the_auditor_sees_the_plan_and_rate_read_only(rate, users, client_for):
    client = client_for(users["auditor"])
    for url in _pages(rate):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert '<button type="submit">Save</button>' not in html
        assert all(field.disabled for field in page.context["form"].fields.values())
    assert 'value="12.4000"' in client.get(_pages(rate)[1]).content.decode()


def test_the_auditor_changes_nothing_through_them(rate, users, client_for):
    client = client_for(users["auditor"])
    plan_url, rate_url = _pages(rate)
    assert client.post(rate_url, {"tier": "EMP", "rate": "99.00"}).status_code == 403
    assert client.post(plan_url, {"name": "Renamed"}).status_code == 403
    rate.refresh_from_db()
    assert rate.rate == Decimal("12.40")
    assert PlanDesign.objects.get(pk=rate.plan_id).name == "Accident"


def test_a_group_administrator_still_edits_them(rate, users, client_for):
    page = client_for(users["groupadmin"]).get(_pages(rate)[1])
    assert '<button type="submit">Save</button>' in page.content.decode()
    assert not any(field.disabled for field in page.context["form"].fields.values())

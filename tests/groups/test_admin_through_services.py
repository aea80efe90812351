"""The admin writes no group, plan, rate or product behind the services: a group's status
and market, its plans and rates are read-only there, products and portal users are saved
through their services; a group's market changes on its page (or the API), which keeps
the move in the group's audit trail."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.groups.models import EmployerGroup, GroupStatus, PolicyEvent, Product, RateRow
from payerdesk.groups.services import groups as services

MOVED = PolicyEvent.Event.GROUP_MARKET_CHANGED


@pytest.fixture
def admin_client(users, client_for) -> Client:
    users["admin"].is_staff = True
    users["admin"].save()
    return client_for(users["admin"])


def _group_form(group: EmployerGroup, **changes: object) -> dict[str, object]:
    """Everything the admin's change form could post for the group."""
    return {
        "group_number": group.group_number, "legal_name": group.legal_name,
        "situs_state": group.situs_state, "market": group.market_id,
        "status": GroupStatus.TERMINATED, "effective_date": "2026-01-01",
        "billing_contact_name": "X", "billing_contact_email": "x@example.test",
        "portal_users": [], **changes,
    }  # fmt: skip


def test_the_admin_cannot_change_a_groups_status_or_market(group, markets, admin_client):
    url = reverse("admin:groups_employergroup_change", args=[group.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="status"' not in page and 'name="market"' not in page
    assert reverse("groups:group-market", args=[group.group_number]) in page
    response = admin_client.post(url, _group_form(group, market=markets["SE"].pk))
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.status, group.market.code) == ("active", "TRI")
    assert group.legal_name == "Acme Manufacturing LLC"
    assert not PolicyEvent.objects.filter(group=group).exists()


def test_the_admin_grants_portal_users_through_the_service(group, users, admin_client):
    url = reverse("admin:groups_employergroup_change", args=[group.pk])
    admin_client.post(url, _group_form(group, portal_users=[users["employer"].pk]))
    assert list(group.portal_users.all()) == [users["employer"]]
    # A staff user is no employer administrator: the form does not offer them.
    refused = admin_client.post(url, _group_form(group, portal_users=[users["rep"].pk]))
    assert refused.status_code == 200 and list(group.portal_users.all()) == [users["employer"]]
    admin_client.post(url, _group_form(group, portal_users=[]))
    assert not group.portal_users.exists()


def test_the_admin_cannot_change_plans_or_rates(accident, admin_client):
    plan_url = reverse("admin:groups_plandesign_change", args=[accident.pk])
    page = admin_client.get(plan_url).content.decode()
    assert reverse("groups:plan-edit", args=[accident.pk]) in page
    assert 'name="rates-0-rate"' not in page
    rate = accident.rates.get(tier="EMP")
    admin_client.post(plan_url, {"name": "Changed", "rates-0-id": rate.pk, "rates-0-rate": "1"})
    accident.refresh_from_db()
    rate.refresh_from_db()
    assert accident.name == "Accident" and rate.rate == Decimal("12.40")
    assert admin_client.get(reverse("admin:groups_plandesign_add")).status_code == 403


def test_the_admin_saves_products_through_the_service(users, admin_client):
    add = reverse("admin:groups_product_add")
    form = {"code": "dental", "name": "Dental", "insurance_line": "den", "x12_plan_description": ""}
    assert admin_client.post(add, form).status_code == 302
    product = Product.objects.get(code="dental")
    assert product.insurance_line == "DEN"  # the service's cleaning, not the bare ModelForm's
    refused = admin_client.post(add, {**form, "code": "vision", "insurance_line": "VISION!"})
    assert refused.status_code == 200 and "X12 HD03" in refused.content.decode()
    assert not Product.objects.filter(code="vision").exists()


def test_a_product_code_stays_once_plans_use_it(accident, users):
    with pytest.raises(InvalidInput) as refused:
        services.product_save(
            actor=users["admin"], code="accident-2", name="Accident", insurance_line="AH",
            product=accident.product,
        )  # fmt: skip
    assert refused.value.field == "code"


# --- the market change ---------------------------------------------------------------


def test_moving_a_group_keeps_the_move_in_its_audit_trail(group, markets, users):
    moved = services.group_market_change(
        actor=users["supervisor"], group=group, market=markets["SE"], reason="Sold to SE agency"
    )
    assert moved.market == markets["SE"]
    event = PolicyEvent.objects.get(group=group, event=MOVED)
    assert event.actor == users["supervisor"]
    assert event.data == {"from": "TRI", "to": "SE", "note": "Sold to SE agency"}


@pytest.mark.parametrize(
    ("actor", "market", "reason", "field"),
    [
        ("supervisor", "TRI", "Same", "market"),
        ("supervisor", "SE", "  ", "reason"),
        ("supervisor", "SE", "x" * 301, "reason"),
    ],
)
def test_a_bad_market_change_names_its_field_and_changes_nothing(
    group, markets, users, actor, market, reason, field
):
    with pytest.raises(InvalidInput) as refused:
        services.group_market_change(
            actor=users[actor], group=group, market=markets[market], reason=reason
        )
    assert refused.value.field == field
    group.refresh_from_db()
    assert group.market.code == "TRI" and not PolicyEvent.objects.filter(event=MOVED).exists()


def test_a_market_scoped_user_moves_a_group_only_between_their_markets(group, markets, users):
    # groupadmin serves Tri-State only: a move to the Southeast is refused.
    with pytest.raises(NotPermitted, match="Southeast"):
        services.group_market_change(
            actor=users["groupadmin"], group=group, market=markets["SE"], reason="Sold"
        )
    group.refresh_from_db()
    assert group.market.code == "TRI"


def test_the_market_page_moves_the_group(group, markets, users, client_for):
    client = client_for(users["supervisor"])
    url = reverse("groups:group-market", args=[group.group_number])
    assert "Southeast" in client.get(url).content.decode()
    response = client.post(url, {"market": "SE", "reason": "Sold to SE agency"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.market.code == "SE"
    again = client.post(url, {"market": "TX", "reason": ""})
    assert again.status_code == 400
    assert PolicyEvent.objects.filter(group=group, event=MOVED).count() == 1


def test_the_market_api_moves_the_group(group, markets, api_client):
    client = api_client("supervisor")
    url = f"/api/groups/{group.group_number}/market"
    moved = client.post(url, {"market": "tx", "reason": "Texas office"}, "application/json")
    assert moved.status_code == 200 and moved.json()["market"] == "TX"
    unknown = client.post(url, {"market": "ZZ", "reason": "?"}, "application/json")
    assert unknown.status_code == 422 and unknown.json()["field"] == "market"
    assert RateRow.objects.count() == 0  # nothing else touched

"""The group contract PDF, and the employer portal: their own group, nothing else."""

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from payerdesk.core.errors import InvalidInput
from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.services import groups as services
from tests.conftest import PASSWORD


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_contract_lists_the_group_each_plan_and_its_rates(
    client_for, users, group, term_life, accident
):
    response = client_for(users["groupadmin"]).get(reverse("groups:contract", args=["G1001"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "contract-G1001.pdf" in response["Content-Disposition"]
    text = _text(response.content)
    assert "Group contract: Acme Manufacturing LLC" in text
    assert "payroll@acme.example" in text
    assert "Term life: Term life 10-150K" in text and "Accident: Accident" in text
    assert "$1,000.00 a unit" in text and "$50,000.00" in text  # unit and guaranteed issue
    assert "40-49" in text and "$0.3300" in text  # a tobacco band of term life
    assert "Family" in text and "$33.65" in text  # accident's family premium


def _portal_scene(users, markets, group):
    services.portal_user_grant(actor=users["groupadmin"], group=group, user=users["employer"])
    return services.group_create(
        actor=users["supervisor"], group_number="G3003", legal_name="Gamma LLC",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Kim", billing_contact_email="kim@gamma.example",
    )  # fmt: skip


def test_the_employer_lands_on_the_portal_and_sees_only_their_group(
    client, users, markets, group, employee, accident
):
    other = _portal_scene(users, markets, group)
    stranger = services.member_add(
        actor=users["supervisor"], group=other, member_id="777", first_name="Sam",
        last_name="Other", birth_date=date(1990, 1, 1), sex="F",
    )  # fmt: skip
    services.coverage_add(
        actor=users["groupadmin"], member=employee, plan=accident, tier="EMP",
        benefit_amount=None, start_date=date(2026, 1, 1),
    )  # fmt: skip
    signed_in = client.post(reverse("login"), {"username": "employer", "password": PASSWORD})
    landing = client.get(signed_in["Location"], follow=True)
    assert landing.redirect_chain[-1][0] == reverse("groups:portal")
    assert b"G1001" in landing.content and b"G3003" not in landing.content
    page = client.get(reverse("groups:portal-group", args=["G1001"]))
    assert page.status_code == 200 and b"Rivera" in page.content
    member = client.get(
        reverse("groups:portal-member", args=[employee.pk]), {"as_of": "2026-02-01"}
    )
    assert member.status_code == 200 and b"Accident" in member.content
    assert b"Add coverage" not in member.content  # read only
    assert client.get(reverse("groups:contract", args=["G1001"])).status_code == 200
    # Another group's pages, members and contract do not exist for them.
    assert client.get(reverse("groups:portal-group", args=["G3003"])).status_code == 404
    assert client.get(reverse("groups:portal-member", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("groups:contract", args=["G3003"])).status_code == 404
    # No staff screens.
    assert client.get(reverse("groups:group", args=["G1001"])).status_code == 403
    assert client.get(reverse("groups:member", args=[employee.pk])).status_code == 403
    assert client.get(reverse("core:work-items")).status_code == 403
    logged = AccessLogEntry.objects.filter(username="employer")
    assert {(e.record_type, e.record_id) for e in logged} == {
        ("group_members", str(group.pk)), ("member", str(employee.pk)),
    }  # fmt: skip


def test_staff_and_providers_have_no_portal(client_for, users, markets, group):
    _portal_scene(users, markets, group)
    for role in ("groupadmin", "supervisor", "provider"):
        assert client_for(users[role]).get(reverse("groups:portal")).status_code == 403
    provider = client_for(users["provider"])
    assert provider.get(reverse("groups:contract", args=["G1001"])).status_code == 403
    home = provider.get(reverse("core:my-work"))  # a provider's home is their PA requests
    assert home.status_code == 302 and home["Location"] == reverse("priorauth:requests")
    # A staff member who cannot see the group gets 404; one without the role 403.
    assert (
        client_for(users["rep"]).get(reverse("groups:contract", args=["G1001"])).status_code == 403
    )


def test_only_employer_administrators_get_a_portal(users, group):
    with pytest.raises(InvalidInput) as refused:
        services.portal_user_grant(actor=users["groupadmin"], group=group, user=users["rep"])
    assert refused.value.field == "user" and not group.portal_users.exists()

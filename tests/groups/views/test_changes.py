"""The policy change pages: quote before confirming, underwriting actions, the employer
portal, terminate/reinstate forms and the rule set upload."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.models import Coverage, PolicyChange, UnderwritingRuleSet
from payerdesk.groups.rules import underwriting
from payerdesk.groups.services import groups as services

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def covered(users, employee, term_life):
    services.coverage_add(
        actor=users["groupadmin"],
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("30000"),
        start_date=date(2026, 1, 1),
    )
    return employee


def form(plan, **overrides):
    return {
        "change_type": "benefit_increase",
        "effective_date": "2026-07-01",
        "plan": plan.pk,
        "benefit_amount": "40000",
        **overrides,
    }


def test_the_quote_shows_old_and_new_premium_before_confirming(
    client_for, users, covered, term_life
):
    client = client_for(users["groupadmin"])
    url = reverse("groups:change-new", args=[covered.pk])
    assert client.get(url).status_code == 200
    assert AccessLogEntry.objects.filter(record_type="member", record_id=str(covered.pk)).exists()
    quote = client.post(url, form(term_life))
    assert quote.status_code == 200
    assert b"2.55 / month" in quote.content and b"3.40 / month" in quote.content
    assert b"applies the change now" in quote.content
    # The confirm form carries what was quoted (and nothing left empty).
    for name, value in (
        ("benefit_amount", "40000"),
        ("effective_date", "2026-07-01"),
        ("plan", str(term_life.pk)),
    ):
        assert f'type="hidden" name="{name}" value="{value}"'.encode() in quote.content
    assert b'type="hidden" name="tier"' not in quote.content
    assert not PolicyChange.objects.exists()
    fragment = client.post(url, form(term_life), headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and b"3.40 / month" in fragment.content
    done = client.post(url, form(term_life, confirm="yes"))
    change = PolicyChange.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "groups:change", args=[change.pk]
    )
    assert change.status == "applied"
    page = client.get(done["Location"])
    assert b"Applied" in page.content and b"3.40" in page.content


@pytest.mark.parametrize(
    ("overrides", "status", "says"),
    [
        ({"benefit_amount": "200000"}, 422, b"above the plan maximum"),
        ({"effective_date": "2026-13-01"}, 400, b"Enter a valid date"),
        (
            {
                "change_type": "dependent_add",
                "tier": "ESP",
                "qualifying_event_date": "2026-06-01",
                "dep_member_id": "D1",
                "dep_first_name": "A",
                "dep_last_name": "B",
                "dep_birth_date": "2020-01-01",
                "dep_sex": "F",
                "dep_relationship": "01",
            },
            422,
            b"does not offer tier ESP",
        ),
    ],
)
def test_a_bad_change_shows_its_error_and_saves_nothing(
    client_for, users, covered, term_life, overrides, status, says
):
    client = client_for(users["groupadmin"])
    url = reverse("groups:change-new", args=[covered.pk])
    response = client.post(url, form(term_life, confirm="yes", **overrides))
    assert response.status_code == status
    assert says in response.content
    assert not PolicyChange.objects.exists()


def test_an_underwriter_approves_from_the_change_page(client_for, users, covered, term_life):
    client = client_for(users["groupadmin"])
    client.post(
        reverse("groups:change-new", args=[covered.pk]),
        form(term_life, benefit_amount="60000", confirm="yes"),
    )
    change = PolicyChange.objects.get()
    page = client.get(reverse("groups:change", args=[change.pk]))
    assert b"evidence of insurability" in page.content and b"Approve and apply" in page.content
    auditor_view = client_for(users["auditor"]).get(reverse("groups:change", args=[change.pk]))
    assert auditor_view.status_code == 200 and b"Approve and apply" not in auditor_view.content
    refused = client.post(reverse("groups:change-decline", args=[change.pk]), {"reason": ""})
    assert refused.status_code == 400
    done = client.post(reverse("groups:change-approve", args=[change.pk]), {"note": "EOI ok"})
    assert done.status_code == 302
    change.refresh_from_db()
    assert change.status == "applied"
    latest = Coverage.objects.filter(member=covered).order_by("start_date").last()
    assert latest is not None and latest.monthly_premium == Decimal("5.10")
    again = client.post(reverse("groups:change-approve", args=[change.pk]))
    assert again.status_code == 409


def test_the_employer_portal_submits_for_review(client_for, users, covered, term_life, group):
    group.portal_users.add(users["employer"])
    client = client_for(users["employer"])
    url = reverse("groups:change-new", args=[covered.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"reviewed by underwriting" in page.content
    quote = client.post(url, form(term_life))
    assert b"sends the change to the underwriting queue" in quote.content
    done = client.post(url, form(term_life, confirm="yes"))
    change = PolicyChange.objects.get()
    assert done.status_code == 302 and change.status == "referred" and change.channel == "portal"
    listing = client.get(reverse("groups:changes"))
    assert f"#{change.pk}".encode() in listing.content and b"Referred" in listing.content
    detail = client.get(reverse("groups:change", args=[change.pk]))
    assert detail.status_code == 200 and b"Approve and apply" not in detail.content
    assert client.post(reverse("groups:change-approve", args=[change.pk])).status_code == 403


def test_a_portal_user_gets_404_for_another_groups_member(client_for, users, covered, term_life):
    client = client_for(users["employer"])  # holds no portal for this group
    url = reverse("groups:change-new", args=[covered.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form(term_life, confirm="yes")).status_code == 404
    assert not PolicyChange.objects.exists()


def test_terminate_and_reinstate_a_member_from_the_page(client_for, users, covered):
    client = client_for(users["groupadmin"])
    terminate = reverse("groups:terminate-member", args=[covered.pk])
    reinstate = reverse("groups:reinstate-member", args=[covered.pk])
    assert client.post(reinstate, {"reason": "appeal"}).status_code == 409
    bad = client.post(terminate, {"termination_date": "2025-01-01", "reason": "voluntary"})
    assert bad.status_code == 422 and b"before the" in bad.content
    done = client.post(terminate, {"termination_date": "2026-06-30", "reason": "voluntary"})
    assert done.status_code == 302
    page = client.get(reinstate)
    assert b"Coverage terminated" in page.content and b"06/30/2026" in page.content
    assert client.post(reinstate, {"reason": "appeal"}).status_code == 302
    assert Coverage.objects.filter(member=covered, status="active").get().start_date == (
        date(2026, 7, 1)
    )


def test_terminate_and_reinstate_a_group_from_the_page(client_for, users, covered, group):
    client = client_for(users["supervisor"])
    terminate = reverse("groups:terminate-group", args=[group.group_number])
    done = client.post(terminate, {"termination_date": "2026-06-30", "reason": "nonpayment"})
    assert done.status_code == 302
    group.refresh_from_db()
    assert group.status == "cancelled"
    again = client.post(terminate, {"termination_date": "2026-06-30", "reason": "nonpayment"})
    assert again.status_code == 409 and b"already" in again.content
    back = client.post(
        reverse("groups:reinstate-group", args=[group.group_number]), {"reason": "appeal"}
    )
    assert back.status_code == 302
    group.refresh_from_db()
    assert group.status == "active"


def test_rule_set_upload_page(client_for, users):
    shipped = underwriting.DEFAULT_FILE.read_bytes()
    url = reverse("groups:underwriting-rules")
    admin = client_for(users["admin"])
    stored = admin.post(url, {"file": SimpleUploadedFile("r.json", shipped), "state": "NY"})
    assert stored.status_code == 302
    assert UnderwritingRuleSet.objects.get().scope_label == "state NY"
    graph = json.loads(shipped)
    graph["nodes"][1]["content"]["inputs"][0]["field"] = "salary"
    bad = admin.post(url, {"file": SimpleUploadedFile("r.json", json.dumps(graph).encode())})
    assert bad.status_code == 422 and b"provides no field &#x27;salary&#x27;" in bad.content
    groupadmin = client_for(users["groupadmin"])
    assert groupadmin.get(url).status_code == 200
    refused = groupadmin.post(url, {"file": SimpleUploadedFile("r.json", shipped)})
    assert refused.status_code == 403
    assert UnderwritingRuleSet.objects.count() == 1


def test_the_member_and_group_pages_link_to_these_pages(client_for, users, covered, group):
    page = client_for(users["groupadmin"]).get(reverse("groups:member", args=[covered.pk]))
    for name in ("groups:change-new", "groups:terminate-member", "groups:reinstate-member"):
        assert reverse(name, args=[covered.pk]).encode() in page.content
    group_page = client_for(users["groupadmin"]).get(reverse("groups:group", args=["G1001"]))
    assert reverse("groups:terminate-group", args=["G1001"]).encode() in group_page.content
    group.portal_users.add(users["employer"])
    portal = client_for(users["employer"]).get(reverse("groups:portal-member", args=[covered.pk]))
    assert reverse("groups:change-new", args=[covered.pk]).encode() in portal.content
    assert reverse("groups:terminate-member", args=[covered.pk]).encode() not in portal.content

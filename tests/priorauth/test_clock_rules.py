"""Determination clocks change only through `clock_rule_change`, which checks them and
keeps who changed what and why; the admin shows them read-only, with a link to the page."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from payerdesk.core.errors import InvalidInput, NotFound, NotPermitted
from payerdesk.priorauth import rules
from payerdesk.priorauth.models import ClockRule, ClockRuleChange
from payerdesk.priorauth.services.clocks import clock_rule_change
from payerdesk.priorauth.services.prescribers import prescriber_register

PART_D: dict[str, Any] = {"line_of_business": "medicare_part_d", "urgency": "standard"}


def _change(actor, **values: Any) -> ClockRule:
    wanted = {"hours": 48, "escalate_before_hours": 6, "source": "Plan policy", "reason": "Faster"}
    return clock_rule_change(actor=actor, **PART_D, **{**wanted, **values})


def test_a_clock_change_is_kept_with_its_reason(users):
    rule = _change(users["admin"])
    assert (rule.hours, rule.escalate_before_hours, rule.source) == (48, 6, "Plan policy")
    change = ClockRuleChange.objects.get(rule=rule)
    assert change.actor == users["admin"] and change.reason == "Faster"
    assert change.changes == {
        "hours": [72, 48],
        "escalate_before_hours": [12, 6],
        "source": ["42 CFR 423.568/423.570", "Plan policy"],
    }
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    clock = rules.clock_for(**PART_D, start=start)
    assert clock.due_at == start + timedelta(hours=48)


def test_the_same_values_again_change_nothing(users):
    _change(users["admin"])
    _change(users["admin"], reason="Again")
    assert ClockRuleChange.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": 24 * 365 + 1}, "hours"),
        ({"escalate_before_hours": 48}, "escalate_before_hours"),
        ({"escalate_before_hours": -1}, "escalate_before_hours"),
        ({"source": "x" * 121}, "source"),
        ({"reason": " "}, "reason"),
    ],
)
def test_a_bad_clock_names_its_field_and_changes_nothing(users, values, field):
    with pytest.raises(InvalidInput) as refused:
        _change(users["admin"], **values)
    assert refused.value.field == field
    assert ClockRule.objects.get(**PART_D).hours == 72
    assert not ClockRuleChange.objects.exists()


def test_only_an_administrator_changes_a_clock(users):
    for role in ("supervisor", "pharmacist", "auditor", "provider"):
        with pytest.raises(NotPermitted):
            _change(users[role])
    with pytest.raises(NotFound):
        clock_rule_change(
            actor=users["admin"], line_of_business="dental", urgency="standard", hours=1,
            escalate_before_hours=0, source="", reason="x",
        )  # fmt: skip
    assert not ClockRuleChange.objects.exists()


def test_the_clock_page_changes_the_rule(users, client_for):
    client = client_for(users["admin"])
    edit = reverse("priorauth:clock-rule-edit", args=[PART_D["line_of_business"], "standard"])
    refused = client.post(edit, {"hours": "24", "escalate_before_hours": "30", "reason": "x"})
    assert refused.status_code == 422 and "Escalation comes" in refused.content.decode()
    saved = client.post(edit, {"hours": "24", "escalate_before_hours": "4", "reason": "CMS rule"})
    assert saved.status_code == 302
    page = client.get(saved["Location"]).content.decode()
    assert "CMS rule" in page and "72 → 24" in page


def test_the_clock_api_changes_the_rule(users, api_client):
    url = "/api/priorauth/clock-rules/medicare_part_d/expedited"
    body = {"hours": 12, "escalate_before_hours": 2, "source": "", "reason": "Pilot"}
    answered = api_client("admin").patch(url, body, "application/json")
    assert answered.status_code == 200 and answered.json()["hours"] == 12
    bad = api_client("admin").patch(url, {**body, "hours": 0}, "application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "hours"
    listed = api_client("auditor").get("/api/priorauth/clock-rules").json()
    assert {"line_of_business": "medicare_part_d", "urgency": "expedited", "hours": 12,
            "escalate_before_hours": 2, "source": ""} in listed  # fmt: skip


@pytest.fixture
def admin_client(users, client_for) -> Client:
    users["admin"].is_staff = True
    users["admin"].save()
    return client_for(users["admin"])


def test_the_admin_cannot_change_a_clock(admin_client):
    rule = ClockRule.objects.get(**PART_D)
    listing = admin_client.get(reverse("admin:priorauth_clockrule_changelist")).content.decode()
    assert 'name="form-0-hours"' not in listing
    assert reverse("priorauth:clock-rule", args=[rule.line_of_business, rule.urgency]) in listing
    url = reverse("admin:priorauth_clockrule_change", args=[rule.pk])
    admin_client.post(url, {"hours": "1", "escalate_before_hours": "0"})
    admin_client.post(
        reverse("admin:priorauth_clockrule_changelist"),
        {"form-TOTAL-FORMS": "1", "form-INITIAL-FORMS": "1", "form-0-id": rule.pk,
         "form-0-hours": "1", "form-0-escalate_before_hours": "0", "_save": "Save"},
    )  # fmt: skip
    rule.refresh_from_db()
    assert rule.hours == 72


def test_the_admin_links_providers_through_the_services(users, admin_client):
    prescriber = prescriber_register(actor=None, npi="1234567893", name="Dr. Ana Ruiz")
    url = reverse("admin:priorauth_prescriber_change", args=[prescriber.pk])
    admin_client.post(url, {"portal_users": [users["provider"].pk]})
    assert list(prescriber.portal_users.all()) == [users["provider"]]
    # Only provider users may act for an NPI: the form does not offer a staff user.
    assert admin_client.post(url, {"portal_users": [users["rep"].pk]}).status_code == 200
    admin_client.post(url, {"portal_users": []})
    assert not prescriber.portal_users.exists()

"""Policy changes, terminations and rule sets over the API: the same services, each bad
input a 4xx naming the field, member views access-logged."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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
        actor=users["groupadmin"], member=employee, plan=term_life, tier="EMP",
        benefit_amount=Decimal("30000"), start_date=date(2026, 1, 1),
    )  # fmt: skip
    return employee


def body(member_, plan_, **overrides):
    return {
        "member": member_.pk, "change_type": "benefit_increase", "effective_date": "2026-05-01",
        "plan": plan_.pk, "benefit_amount": "40000", **overrides,
    }  # fmt: skip


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_preview_then_request_applies_and_re_rates(api_client, covered, term_life):
    client = api_client("groupadmin")
    quote = post(client, "/api/policy-changes/preview", body(covered, term_life)).json()
    assert quote == {
        "old_premium": "2.55", "new_premium": "3.40", "rule_outcome": "allow", "rule": "",
        "rule_set": "default (shipped)", "goes_to_review": False,
    }  # fmt: skip
    assert not PolicyChange.objects.exists()
    response = post(client, "/api/policy-changes", body(covered, term_life))
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["status"] == "applied" and change["new_premium"] == "3.40"
    # Effective May 1 with June billed: two periods of 0.85 each.
    assert [(p["period"], p["difference"]) for p in change["premium_changes"]] == [
        ("2026-05-01", "0.85"), ("2026-06-01", "0.85"),
    ]  # fmt: skip
    logged = AccessLogEntry.objects.filter(record_type="member", record_id=str(covered.pk))
    assert logged.filter(channel="api").exists()


def test_referral_approve_and_decline_over_the_api(api_client, covered, term_life):
    client = api_client("groupadmin")
    first = post(client, "/api/policy-changes", body(covered, term_life, benefit_amount="60000"))
    change = first.json()
    assert change["status"] == "referred" and "evidence of insurability" in change["rule"]
    assert change["work_item"] is not None
    listed = client.get("/api/policy-changes?status=referred").json()
    assert [c["id"] for c in listed] == [change["id"]]
    refused = post(client, f"/api/policy-changes/{change['id']}/decline", {"reason": ""})
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    approved = post(client, f"/api/policy-changes/{change['id']}/approve", {"note": "EOI in"})
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    again = post(client, f"/api/policy-changes/{change['id']}/approve", {})
    assert again.status_code == 409
    assert client.get(f"/api/policy-changes/{change['id']}").json()["decided_by"] == "groupadmin"


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"benefit_amount": "200000"}, 422, "benefit_amount"),
        ({"benefit_amount": "30500"}, 422, "benefit_amount"),
        ({"effective_date": "2025-06-01"}, 422, "effective_date"),
        ({"change_type": "upgrade"}, 422, "change_type"),
        ({"plan": 999999}, 422, "plan"),
        ({"dependent": 999999}, 422, "dependent"),
        ({"change_type": "dependent_add", "tier": "EMP", "qualifying_event_date": "2026-04-20",
          "new_dependent": {"member_id": "D1", "first_name": "A", "last_name": "B",
                            "birth_date": "2020-01-01", "sex": "F", "relationship": "01"}},
         422, "tier"),
        ({"member": 999999}, 404, None),
    ],
)  # fmt: skip
def test_bad_requests_name_the_field_and_change_nothing(
    api_client, covered, term_life, overrides, status, field
):
    response = post(api_client("groupadmin"), "/api/policy-changes",
                    body(covered, term_life, **overrides))  # fmt: skip
    assert response.status_code == status, response.content
    if field:
        assert response.json()["field"] == field
    assert not PolicyChange.objects.exists()
    assert Coverage.objects.count() == 1


def test_malformed_json_is_a_422(api_client, covered, term_life):
    response = api_client("groupadmin").post(
        "/api/policy-changes", "{", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert not PolicyChange.objects.exists()


def test_terminate_and_reinstate_over_the_api(api_client, covered, term_life, group):
    client = api_client("groupadmin")
    url = f"/api/members/{covered.pk}"
    bad = post(
        client, f"{url}/terminate", {"termination_date": "2025-01-01", "reason": "voluntary"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "termination_date"
    bad = post(client, f"{url}/terminate", {"termination_date": "2026-06-30", "reason": "why"})
    assert bad.status_code == 422 and bad.json()["field"] == "reason"
    active = post(client, f"{url}/reinstate", {"reason": "appeal"})
    assert active.status_code == 409 and active.json()["field"] == "plan"
    ended = post(client, f"{url}/terminate", {"termination_date": "2026-06-30",
                                              "reason": "voluntary"}).json()  # fmt: skip
    assert [row["end_date"] for row in ended["ended"]] == ["2026-06-30"]
    back = post(client, f"{url}/reinstate", {"reason": "terminated_in_error"}).json()
    assert [row["start_date"] for row in back["opened"]] == ["2026-07-01"]
    stopped = post(client, "/api/groups/g1001/terminate",
                   {"termination_date": "2026-09-30", "reason": "nonpayment"})  # fmt: skip
    assert stopped.status_code == 200 and len(stopped.json()["ended"]) == 1
    group.refresh_from_db()
    assert group.status == "cancelled"
    restored = post(client, "/api/groups/G1001/reinstate", {"reason": "payment_received"})
    assert [row["start_date"] for row in restored.json()["opened"]] == ["2026-10-01"]


def test_rule_set_upload_over_the_api(api_client, group, term_life):
    client = api_client("admin")
    shipped = underwriting.DEFAULT_FILE.read_bytes()

    def send(content, **scope):
        return client.post("/api/underwriting-rules",
                           {"file": SimpleUploadedFile("r.json", content), **scope})  # fmt: skip

    first = send(shipped, product="term-life", state="ny")
    assert first.status_code == 201 and first.json()["scope"] == "product term-life, state NY"
    assert send(shipped, product="term-life", state="NY").status_code == 200  # the same again
    graph = json.loads(shipped)
    graph["nodes"][1]["content"]["rules"][0]["outcome"] = '"maybe"'
    bad = send(json.dumps(graph).encode())
    assert bad.status_code == 422 and "rule 1, column 'outcome'" in bad.json()["detail"]
    assert send(shipped, product="nope").json()["field"] == "product"
    assert send(shipped, group="NOPE").json()["field"] == "group"
    assert UnderwritingRuleSet.objects.count() == 1
    assert len(client.get("/api/underwriting-rules").json()) == 1

"""Billing over REST: the same services, every bad call a located 4xx."""

from datetime import date

import pytest

from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.services import delinquency, listbills

JAN = date(2026, 1, 1)


@pytest.fixture
def scene(group, make_member, cover, accident):
    member = make_member("M1")
    cover(member, accident)
    return group


def put_schedule(client, body, group="g2001"):
    return client.put(
        f"/api/billing/groups/{group}/schedule", body, content_type="application/json"
    )


def test_schedule_then_generate_then_read(api_client, scene):
    client = api_client("groupadmin")
    response = put_schedule(client, {"mode": "monthly", "first_period_start": "2026-01-01"})
    assert response.status_code == 200 and response.json()["refund_account_type"] == "checking"
    made = client.post("/api/list-bills", {"group": "G2001", "period": "2026-01-09"},
                       content_type="application/json")  # fmt: skip
    assert made.status_code == 201 and made.json()["bill"]["total"] == "12.40"
    again = client.post("/api/list-bills", {"group": "G2001", "period": "2026-01-01"},
                        content_type="application/json")  # fmt: skip
    assert again.status_code == 200 and again.json()["created"] is False
    bill_id = made.json()["bill"]["id"]
    detail = client.get(f"/api/list-bills/{bill_id}").json()
    assert detail["line_count"] == 1 and detail["lines"][0]["member_id"] == "M1"
    assert [b["id"] for b in client.get("/api/list-bills?group=g2001").json()] == [bill_id]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"mode": "daily", "first_period_start": "2026-01-01"}, 422, "mode"),
        ({"mode": "monthly", "first_period_start": "2026-01-29"}, 422, "first_period_start"),
        ({"mode": "monthly", "first_period_start": "2026-01-01", "tolerance": "-1"}, 422,
         "tolerance"),
        ({"mode": "monthly", "first_period_start": "2026-01-01",
          "refund_routing_number": "12345678", "refund_account_number": "1"}, 422,
         "refund_routing_number"),
        ({"mode": "monthly", "first_period_start": "2026-01-01",
          "refund_routing_number": "011000015"}, 422, "refund_account_number"),
    ],
)  # fmt: skip
def test_a_bad_schedule_is_refused_with_its_field(api_client, scene, body, status, field):
    response = put_schedule(api_client("groupadmin"), body)
    assert response.status_code == status
    assert response.json()["field"] == field


def test_bad_generate_calls(api_client, scene):
    client = api_client("groupadmin")
    post = lambda body: client.post("/api/list-bills", body, content_type="application/json")  # noqa: E731
    no_schedule = post({"group": "G2001", "period": "2026-01-01"})
    assert no_schedule.status_code == 422 and no_schedule.json()["field"] == "group"
    put_schedule(client, {"mode": "monthly", "first_period_start": "2026-01-01"})
    early = post({"group": "G2001", "period": "2025-06-01"})
    assert early.status_code == 422 and early.json()["field"] == "period"
    assert post({"group": "NOPE", "period": "2026-01-01"}).status_code == 404
    assert post({"group": "G2001", "period": "January"}).status_code == 422
    assert not ListBill.objects.exists()
    # A Tri-State group is out of the sales administrator's reach (no billing role).
    assert api_client("salesadmin").post(
        "/api/list-bills", {"group": "G2001", "period": "2026-01-01"},
        content_type="application/json",
    ).status_code == 403  # fmt: skip


def test_aging_and_delinquencies(api_client, scene):
    listbills.billing_schedule_set(actor=None, group=scene, mode="monthly", first_period_start=JAN)
    listbills.list_bill_generate(actor=None, group=scene, period_start=JAN)
    delinquency.delinquency_review(today=date(2026, 2, 2), group=scene)
    client = api_client("auditor")
    [row] = client.get("/api/billing/aging?as_of=2026-03-15&delinquent_only=true").json()
    assert (row["group"], row["days_60"], row["total"]) == ("G2001", "12.40", "12.40")
    assert client.get("/api/billing/aging?as_of=2026-03-15&market=TX").json() == []
    [case] = client.get("/api/billing/delinquencies").json()
    assert case["stage"] == "lapsed"
    assert client.post(f"/api/billing/delinquencies/{case['id']}/cancel").status_code == 403
    admin = api_client("supervisor")
    refused = admin.post(f"/api/billing/delinquencies/{case['id']}/reinstate")
    assert refused.status_code == 409
    assert admin.post("/api/billing/delinquencies/999/cancel").status_code == 404
    done = admin.post(f"/api/billing/delinquencies/{case['id']}/cancel")
    assert done.status_code == 200 and done.json()["stage"] == "cancelled"
    assert Delinquency.objects.get().stage == "cancelled"

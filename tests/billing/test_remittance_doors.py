"""Remittances through every door: the API, the pages and `payerdesk import-820`."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from payerdesk.billing.models import Account, BillingSchedule, Refund, Remittance, Variance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.models import Coverage, Member
from tests import samples
from tests.billing.support import bill, csv_bytes, x820

SAMPLES = samples.X820
JAN = date(2026, 1, 1)
D = Decimal


@pytest.fixture
def billed(group, make_member, cover, accident):
    BillingSchedule.objects.create(group=group, first_period_start=JAN)
    members = {ref: make_member(ref) for ref in ("MA", "MB")}
    for member in members.values():
        cover(member, accident)
    bill(group, JAN, {members["MA"]: "100.00", members["MB"]: "100.00"})
    return group, members


# ---- the API -----------------------------------------------------------------------


def test_api_receives_an_820_then_says_it_already_has_it(billed, api_client):
    client = api_client("groupadmin")
    content = x820([("MA", "100.00", "20260101"), ("MZ", "5.00", "20260101")])
    upload = SimpleUploadedFile("j.820", content)
    response = client.post("/api/remittances/files", {"file": upload})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["applied"], body["held"]) == ("105.00", "100.00", "5.00")
    assert body["variances"] == {"unknown_member": 1, "billed_not_paid": 1}
    again = client.post("/api/remittances/files", {"file": SimpleUploadedFile("j.820", content)})
    assert again.json()["already_received"] is True


def test_api_refuses_a_bad_file_with_its_place(billed, api_client):
    content = x820([("MA", "100.00", "20260101")]).replace(b"**100.00~", b"**1OO.00~")
    response = api_client("groupadmin").post(
        "/api/remittances/files", {"file": SimpleUploadedFile("bad.820", content)}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "segment 9 (RMR), RMR04" in response.json()["detail"]
    assert not Remittance.objects.exists()


def test_api_csv_upload_for_a_named_group_and_period(billed, api_client):
    group, _ = billed
    content = csv_bytes([("MA", "100.00"), ("MB", "100.00")], header="member id,amount")
    response = api_client("groupadmin").post(
        "/api/remittances/files",
        {"file": SimpleUploadedFile("back.csv", content), "group": group.group_number,
         "period": "2026-01-01"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["variances"] == {}


def test_api_keyed_payment_remittance_and_suspense_resolution(billed, api_client):
    group, _ = billed
    client = api_client("groupadmin")
    response = client.post(
        "/api/remittances/payments",
        {"group": group.group_number, "amount": "150.00", "payment_date": "2026-01-05",
         "method": "check", "reference": "CHK 12", "bill_period": "2026-01-01"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    remittance_id = response.json()["remittance"]
    detail = client.get(f"/api/remittances/{remittance_id}").json()
    [variance] = detail["variances"]
    assert (variance["kind"], variance["held"]) == ("short_paid", "150.00")
    assert AccessLogEntry.objects.filter(
        record_type="billing.remittance", record_id=str(remittance_id), channel="api"
    ).exists()
    missing_period = client.post(
        f"/api/variances/{variance['id']}/resolve", {"action": "apply", "member": "MA"},
        content_type="application/json",
    )  # fmt: skip
    assert (missing_period.status_code, missing_period.json()["field"]) == (422, "period_start")
    applied = client.post(
        f"/api/variances/{variance['id']}/resolve",
        {"action": "apply", "member": "MA", "period_start": "2026-01-01"},
        content_type="application/json",
    )  # fmt: skip
    assert applied.json()["status"] == "resolved_applied"
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == 0


def test_api_refund_approval_by_a_second_person_and_export(billed, api_client, settings):
    settings.BILLING_REFUND_APPROVAL_LIMIT = "1.00"
    _group, _ = billed
    content = x820([("MA", "100.00", "20260101"), ("MZ", "5.00", "20260101")])
    api_client("groupadmin").post(
        "/api/remittances/files", {"file": SimpleUploadedFile("a", content)}
    )
    variance = Variance.objects.get(kind="unknown_member")
    resolved = api_client("groupadmin").post(
        f"/api/variances/{variance.pk}/resolve", {"action": "refund", "reason": "not ours"},
        content_type="application/json",
    )  # fmt: skip
    assert resolved.json()["status"] == "refunded"
    refund = Refund.objects.get()
    own = api_client("groupadmin").post(
        f"/api/refunds/{refund.pk}/decision", {"approve": True}, content_type="application/json"
    )
    assert own.status_code == 403
    second = api_client("supervisor").post(
        f"/api/refunds/{refund.pk}/decision", {"approve": True}, content_type="application/json"
    )
    assert second.json()["status"] == "approved"
    assert [r["id"] for r in api_client("auditor").get("/api/refunds").json()] == [refund.pk]
    export = api_client("supervisor").post("/api/refunds/export")
    assert export["Content-Type"] == "text/csv" and export["X-Refunds"] == "1"
    assert b",5.00,USD,not ours," in export.content


def test_api_reversal_and_reconciliation_summary(billed, api_client):
    group, _ = billed
    client = api_client("groupadmin")
    client.post(
        "/api/remittances/files",
        {"file": SimpleUploadedFile("a", x820([("MA", "100.00", "20260101")]))},
    )
    Coverage.objects.filter(member__member_id="MA").update(
        start_date=date(2025, 12, 1), end_date=date(2025, 12, 31)
    )
    response = client.post(
        "/api/reversals",
        {"member": "MA", "group": group.group_number, "since": "2026-01-01",
         "reason": "terminated 2025-12-31"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["reversed"] == "100.00"
    assert response.json()["refund"]["amount"] == "100.00"
    [period] = client.get(f"/api/reconciliation/{group.group_number}").json()
    assert (period["billed"], period["paid"], period["open"]) == ("100.00", "100.00", "100.00")
    assert period["status"] == "partially_paid"


# ---- the CLI -----------------------------------------------------------------------


@pytest.mark.parametrize("name", [p.name for p in samples.sample_files(SAMPLES)])
def test_import_820_check_prints_the_lines_and_totals(name):
    out = io.StringIO()
    call_command("import_820", str(SAMPLES / name), "--check", stdout=out)
    text = out.getvalue()
    total = {"sample_820_01.txt": "102139.46", "sample_820_02.txt": "91977.81"}[name]
    assert f"BPR02 {total}" in text and f"total paid {total}" in text
    assert "TESTMBR000000001" in text


def test_import_820_check_refuses_a_bad_file_with_its_place(tmp_path):
    bad = tmp_path / "bad.820"
    bad.write_text(
        (SAMPLES / "sample_820_01.txt").read_text().replace("BPR*I*102139.46", "BPR*I*1.00")
    )
    with pytest.raises(CommandError, match=r"segment 4 \(BPR\), BPR02: BPR02 total 1.00"):
        call_command("import_820", str(bad), "--check")


@pytest.mark.parametrize("name", [p.name for p in samples.sample_files(SAMPLES)])
def test_every_sample_imports_with_the_total_it_states(name, group, make_member, cover,
                                                       accident, queues):  # fmt: skip
    for n in range(1, 14):
        cover(make_member(f"TESTMBR{n:09d}"), accident)
    out = io.StringIO()
    call_command("import_820", str(SAMPLES / name), "--group", group.group_number, stdout=out)
    remittance = Remittance.objects.get()
    stated = {"sample_820_01.txt": D("102139.46"), "sample_820_02.txt": D("91977.81")}[name]
    assert remittance.total == stated == listbill_selectors.balance(Account.CASH, group=group)
    assert remittance.lines.count() == {"sample_820_01.txt": 13, "sample_820_02.txt": 23}[name]
    # Nothing was billed here: every line waits in suspense, none is dropped.
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == stated
    assert f"total {stated}" in out.getvalue()
    call_command("import_820", str(SAMPLES / name), "--group", group.group_number, stdout=out)
    assert "nothing changed" in out.getvalue() and Remittance.objects.count() == 1


def test_import_820_without_a_group_it_can_find(billed):
    with pytest.raises(CommandError, match="Say which group"):
        call_command("import_820", str(SAMPLES / "sample_820_01.txt"))


# ---- the pages ---------------------------------------------------------------------


def test_upload_page_receives_and_shows_the_variances(billed, client_for, users):
    client = client_for(users["groupadmin"])
    assert client.get(reverse("billing:remittances")).status_code == 200
    content = x820([("MA", "100.00", "20260101"), ("MZ", "5.00", "20260101")])
    response = client.post(
        reverse("billing:remittance-upload"), {"file": SimpleUploadedFile("j.820", content)}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"Received and reconciled" in page.content
    assert b"Unknown member" in page.content and b"MZ" in page.content
    assert AccessLogEntry.objects.filter(record_type="billing.remittance", channel="web").exists()
    variance = Variance.objects.get(kind="unknown_member")
    refused = client.post(
        reverse("billing:variance-resolve", args=[variance.pk]), {"action": "write_off"}
    )
    assert refused.status_code == 422 and b"Give a reason" in refused.content
    done = client.post(
        reverse("billing:variance-resolve", args=[variance.pk]),
        {"action": "write_off", "reason": "bank fee"},
    )
    assert done.status_code == 302
    variance.refresh_from_db()
    assert variance.status == "written_off"


def test_upload_page_shows_a_bad_row_and_posts_nothing(billed, client_for, users):
    group, _ = billed
    content = csv_bytes([("MA", "l2.50", "2026-01", "")])
    response = client_for(users["groupadmin"]).post(
        reverse("billing:remittance-upload"),
        {"file": SimpleUploadedFile("b.csv", content), "group": group.group_number},
    )
    assert response.status_code == 422
    assert b"row 2, column amount: &#x27;l2.50&#x27; is not an amount" in response.content
    assert not Remittance.objects.exists()


def test_keyed_payment_page(billed, client_for, users):
    group, _ = billed
    client = client_for(users["groupadmin"])
    form = {"group": group.group_number, "amount": "-5", "payment_date": "2026-01-05",
            "method": "ach", "reference": "ACH 1", "bill_period": "2026-01-01"}  # fmt: skip
    refused = client.post(reverse("billing:payment-create"), form)
    assert refused.status_code == 422 and b"must be above zero" in refused.content
    form["amount"] = "200.00"
    assert client.post(reverse("billing:payment-create"), form).status_code == 302
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group) == 0


def test_refund_pages_approve_and_export(billed, client_for, users, settings):
    settings.BILLING_REFUND_APPROVAL_LIMIT = "1.00"
    client = client_for(users["groupadmin"])
    content = x820([("MA", "100.00", "20260101"), ("MZ", "5.00", "20260101")])
    client.post(reverse("billing:remittance-upload"), {"file": SimpleUploadedFile("j", content)})
    variance = Variance.objects.get(kind="unknown_member")
    client.post(
        reverse("billing:variance-resolve", args=[variance.pk]),
        {"action": "refund", "reason": "not ours"},
    )
    refund = Refund.objects.get()
    own = client.post(reverse("billing:refund-decide", args=[refund.pk]), {"approve": "1"})
    assert own.status_code == 403 and b"second person" in own.content
    supervisor = client_for(users["supervisor"])
    assert b"Awaiting a second approver" in supervisor.get(reverse("billing:refunds")).content
    supervisor.post(reverse("billing:refund-decide", args=[refund.pk]), {"approve": "1"})
    exported = supervisor.post(reverse("billing:refunds-export"))
    assert exported["Content-Type"] == "text/csv" and b"not ours" in exported.content


def test_reconciliation_page_charts_billed_and_paid_and_reverses(billed, client_for, users):
    group, _ = billed
    client = client_for(users["groupadmin"])
    client.post(
        reverse("billing:remittance-upload"),
        {"file": SimpleUploadedFile("j", x820([("MA", "100.00", "20260101")]))},
    )
    page = client.get(reverse("billing:reconciliation", args=[group.pk]))
    assert b"<svg" in page.content and b"Jan 2026: billed 200.00, paid 100.00." in page.content
    unknown = client.post(
        reverse("billing:premium-reverse", args=[group.pk]),
        {"member": "NOPE", "since": "2026-01-01", "reason": "retro term"},
    )
    assert unknown.status_code == 404 and b"No member" in unknown.content
    Coverage.objects.filter(member__member_id="MA").update(
        start_date=date(2025, 12, 1), end_date=date(2025, 12, 31)
    )
    done = client.post(
        reverse("billing:premium-reverse", args=[group.pk]),
        {"member": "MA", "since": "2026-01-01", "reason": "retro term"},
    )
    assert b"Reversed 100.00; refund" in done.content
    assert Member.objects.filter(member_id="MA").exists()

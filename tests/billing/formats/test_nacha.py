"""NACHA files: every record 94 characters at its positions, totals and entry hash
right, blocked to tens with nines; refunds exported by ACH are paid once, and one with a
bad bank account is named and nothing is paid."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.billing.formats import nacha
from payerdesk.billing.models import Account, Refund, RefundStatus
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import listbills, refunds
from payerdesk.core.errors import Conflict, InvalidInput

ORIGIN = nacha.Origin(
    odfi_routing="011000015", odfi_name="Federal Reserve Bank",
    company_name="Payerdesk Benefits", company_id="1234567890",
)  # fmt: skip
WHEN = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)


def credit(routing="021000021", account="12345678", amount="125.40", kind="checking", n=1):
    return nacha.Credit(
        routing=routing, account=account, account_type=kind, amount=Decimal(amount),
        receiver_id=f"REFUND {n}", receiver_name="Acme Manufacturing LLC", label=f"refund {n}",
    )  # fmt: skip


def build(credits, sec="CCD"):
    return nacha.build(
        origin=ORIGIN,
        credits=credits,
        sec_code=sec,
        effective_date=date(2026, 3, 3),
        created_at=WHEN,
    ).decode("ascii")


def test_the_layout_field_by_field():
    text = build([credit(), credit("011000015", "9-87", "0.99", "savings", 2)])
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert len(lines) == 10 and all(len(line) == 94 for line in lines)
    header, batch, first, second, control, file_control, *padding = lines
    assert header[0] == "1" and header[1:3] == "01" and header[3:13] == " 011000015"
    assert header[13:23] == "1234567890" and header[23:33] == "2603020905"
    assert header[33] == "A" and header[34:37] == "094" and header[37:39] == "10"
    assert header[39] == "1" and header[40:63].rstrip() == "FEDERAL RESERVE BANK"
    assert header[63:86].rstrip() == "PAYERDESK BENEFITS"
    assert batch[0] == "5" and batch[1:4] == "220" and batch[4:20].rstrip() == "PAYERDESK BENEFI"
    assert batch[40:50] == "1234567890" and batch[50:53] == "CCD"
    assert batch[53:63].rstrip() == "REFUND" and batch[69:75] == "260303"
    assert batch[78] == "1" and batch[79:87] == "01100001" and batch[87:94] == "0000001"
    assert first[0] == "6" and first[1:3] == "22" and first[3:11] == "02100002"
    assert first[11] == "1" and first[12:29] == "12345678".ljust(17)
    assert first[29:39] == "0000012540" and first[39:54].rstrip() == "REFUND 1"
    assert first[54:76].rstrip() == "ACME MANUFACTURING LLC" and first[78] == "0"
    assert first[79:94] == "011000010000001"
    assert second[1:3] == "32" and second[12:29].rstrip() == "9-87"
    assert second[29:39] == "0000000099" and second[79:94] == "011000010000002"
    # Entry hash: the receiving banks' eight digits, added.
    entry_hash = f"{2100002 + 1100001:010d}"
    assert control[0] == "8" and control[1:4] == "220" and control[4:10] == "000002"
    assert control[10:20] == entry_hash
    assert control[20:32] == "0" * 12 and control[32:44] == "000000012639"
    assert control[44:54] == "1234567890" and control[79:87] == "01100001"
    assert control[87:94] == "0000001"
    assert file_control[0] == "9" and file_control[1:7] == "000001"
    assert file_control[7:13] == "000001" and file_control[13:21] == "00000002"
    assert file_control[21:31] == entry_hash and file_control[43:55] == "000000012639"
    assert padding == ["9" * 94] * 4


def test_blocks_grow_by_tens_and_the_hash_keeps_ten_digits():
    many = [credit("091000019", str(n), "1.00", n=n) for n in range(1, 9)]
    lines = build(many, sec="PPD").split("\r\n")[:-1]
    assert len(lines) == 20 and lines[1][50:53] == "PPD"
    file_control = lines[11]
    assert file_control[7:13] == "000002" and file_control[13:21] == "00000008"
    assert file_control[21:31] == f"{8 * 9100001:010d}"
    assert lines[12:] == ["9" * 94] * 8


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"routing": "021000022"}, "refund 1: The routing number 021000022 fails its check digit"),
        ({"routing": "2100002"}, "refund 1: The routing number '2100002' is not nine digits"),
        ({"account": "12 34"}, "refund 1: The account number"),
        ({"amount": "0.00"}, "refund 1: The amount 0.00 is not above zero"),
        ({"amount": "1.005"}, "not in whole cents"),
        ({"kind": "brokerage"}, "refund 1: Account type"),
    ],
)
def test_a_bad_credit_is_named(changes, says):
    with pytest.raises(nacha.NachaError, match=says):
        build([credit(**changes)])


def test_bad_settings_are_refused():
    with pytest.raises(nacha.NachaError, match="SEC code"):
        build([credit()], sec="WEB")
    with pytest.raises(nacha.NachaError, match="ODFI routing"):
        nacha.build(
            origin=nacha.Origin("123", "x", "y", "1"), credits=[credit()], sec_code="CCD",
            effective_date=date(2026, 3, 3), created_at=WHEN,
        )  # fmt: skip
    with pytest.raises(nacha.NachaError, match="nothing to pay"):
        build([])


@pytest.fixture
def approved(users, group):
    """One approved refund of 40.00 for the group, with its bank account on file."""
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=date(2026, 1, 1),
        refund_routing_number="021000021", refund_account_number="55501234",
    )  # fmt: skip
    return Refund.objects.create(
        group=group, from_account=Account.SUSPENSE, amount=Decimal("40.00"),
        breakdown={"": "40.00"}, reason="Overpaid", status=RefundStatus.APPROVED,
        decided_at=timezone.now(),
    )  # fmt: skip


def test_approved_refunds_are_exported_once_and_paid(users, approved):
    today = timezone.localdate()
    content, count = refunds.refunds_export_ach(actor=users["groupadmin"], effective_date=today)
    entry = content.decode().split("\r\n")[2]
    assert count == 1 and entry[3:12] == "021000021" and entry[29:39] == "0000004000"
    assert entry[39:54].rstrip() == f"REFUND {approved.pk}"
    approved.refresh_from_db()
    assert approved.status == RefundStatus.EXPORTED
    assert listbill_selectors.balance(Account.CASH, group=approved.group) == Decimal("-40.00")
    with pytest.raises(Conflict, match="No approved refund"):
        refunds.refunds_export_ach(actor=users["groupadmin"], effective_date=today)


def test_a_refund_with_a_bad_account_is_named_and_nothing_is_paid(users, approved):
    from payerdesk.billing.models import BillingSchedule

    BillingSchedule.objects.filter(group=approved.group).update(refund_routing_number="021000022")
    with pytest.raises(InvalidInput, match=f"refund {approved.pk} \\(group G2001\\)"):
        refunds.refunds_export_ach(actor=users["groupadmin"], effective_date=timezone.localdate())
    BillingSchedule.objects.filter(group=approved.group).update(refund_routing_number="")
    with pytest.raises(InvalidInput, match="no bank account for refunds"):
        refunds.refunds_export_ach(actor=users["groupadmin"], effective_date=timezone.localdate())
    approved.refresh_from_db()
    assert approved.status == RefundStatus.APPROVED
    assert listbill_selectors.balance(Account.CASH, group=approved.group) == Decimal("0.00")


def test_the_page_and_the_api_export_nacha(users, approved, client_for, api_client):
    from django.urls import reverse

    page = client_for(users["groupadmin"]).post(
        reverse("billing:refunds-export"), {"format": "nacha", "sec_code": "CCD"}
    )
    assert page.status_code == 200 and page["Content-Disposition"].endswith('refunds.ach"')
    assert page.content.splitlines()[0].startswith(b"101 011000015")
    again = api_client("groupadmin").post("/api/refunds/export?format=nacha")
    assert again.status_code == 409 and "No approved refund" in again.json()["detail"]
    bad = api_client("groupadmin").post("/api/refunds/export?format=nacha&sec_code=WEB")
    assert bad.status_code == 422


@pytest.mark.parametrize("sec", ["PPD", "CCD"])
@pytest.mark.parametrize("door", ["page", "api"])
def test_the_page_and_the_api_export_the_sec_code_chosen(
    users, approved, client_for, api_client, sec, door
):
    from django.urls import reverse

    if door == "page":
        sent = client_for(users["groupadmin"]).post(
            reverse("billing:refunds-export"), {"format": "nacha", "sec_code": sec}
        )
    else:
        sent = api_client("groupadmin").post(f"/api/refunds/export?format=nacha&sec_code={sec}")
    assert sent.status_code == 200
    batch = sent.content.decode("ascii").split("\r\n")[1]
    assert batch[0] == "5" and batch[50:53] == sec

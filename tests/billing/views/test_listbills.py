"""The billing pages: generate and read a list bill, its downloads, the employer portal,
schedules, aging and delinquencies; each bad form answered with its field."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from payerdesk.billing.models import Account, BillingSchedule, Delinquency, ListBill, Variance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import delinquency, listbills
from payerdesk.billing.services.remittances import remittance_file_receive
from payerdesk.core.models import AccessLogEntry
from payerdesk.groups.models import Member, PlanDesign
from payerdesk.groups.services import groups as group_services
from tests.billing.support import csv_bytes, x820

JAN = date(2026, 1, 1)


@pytest.fixture
def scene(users, group, make_member, cover, accident, dental):
    listbills.billing_schedule_set(actor=None, group=group, mode="monthly", first_period_start=JAN)
    one, two = make_member("M1"), make_member("M2")
    cover(one, accident)
    cover(one, dental)
    cover(two, accident, tier="FAM")
    group.portal_users.add(users["employer"])
    return group


def generate(client, period="2026-01-15", group="G2001"):
    return client.post(reverse("billing:list-bill-generate"), {"group": group, "period": period})


def test_generate_from_the_page_then_read_the_bill(users, client_for, scene):
    client = client_for(users["groupadmin"])
    response = generate(client)
    bill = ListBill.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:list-bill", args=[bill.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"M1" in page.content and b"Rivera, Jordan" in page.content
    assert b"76.05" in page.content
    assert AccessLogEntry.objects.filter(record_type="list_bill", record_id=str(bill.pk)).exists()
    again = generate(client)
    assert again.status_code == 302 and ListBill.objects.count() == 1
    listing = client.get(reverse("billing:list-bills"), {"group": "g2001"})
    assert b"01/01/2026" in listing.content


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"group": "G2001", "period": ""}, 400, b"This field is required"),
        ({"group": "G2001", "period": "01/45/2026"}, 400, b"Enter a valid date"),
        ({"group": "NOPE", "period": "2026-01-01"}, 400, b"Select a valid choice"),
        ({"group": "G2001", "period": "2025-12-01"}, 422, b"starts 2026-01-01"),
    ],
)
def test_a_bad_generate_form_is_answered_with_its_field(users, client_for, scene, form, status,
                                                        says):  # fmt: skip
    response = client_for(users["groupadmin"]).post(reverse("billing:list-bill-generate"), form)
    assert response.status_code == status
    assert says in response.content
    assert not ListBill.objects.exists()


def test_downloads_as_pdf_csv_and_excel(users, client_for, scene):
    bill = listbills.list_bill_generate(actor=None, group=scene, period_start=JAN).bill
    client = client_for(users["supervisor"])
    pdf = client.get(reverse("billing:list-bill-pdf", args=[bill.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "M1" in text and "76.05" in text and "G2001" in text
    exported = client.get(reverse("billing:list-bill-csv", args=[bill.pk])).content
    rows = list(csv.reader(io.StringIO(exported.decode())))
    assert rows[0][:2] == ["Member ID", "Name"]
    assert sorted(Decimal(r[6]) for r in rows[1:-1]) == [
        Decimal("12.40"), Decimal("30.00"), Decimal("33.65")
    ]  # fmt: skip
    assert rows[-1][0] == "Total" and Decimal(rows[-1][6]) == Decimal("76.05")
    xlsx = client.get(reverse("billing:list-bill-xlsx", args=[bill.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 5 and sheet.cell(row=5, column=7).value == 76.05
    downloads = AccessLogEntry.objects.filter(record_type="list_bill", action="download")
    assert downloads.count() == 3


def test_the_employer_portal_shows_their_own_group_only(users, client_for, scene, markets):
    own = listbills.list_bill_generate(actor=None, group=scene, period_start=JAN).bill
    other_group = group_services.group_create(
        actor=users["supervisor"], group_number="G9", legal_name="Other Co", situs_state="NJ",
        market=markets["TRI"], effective_date=JAN, billing_contact_name="X",
        billing_contact_email="x@other.example",
    )  # fmt: skip
    listbills.billing_schedule_set(
        actor=None, group=other_group, mode="monthly", first_period_start=JAN
    )
    other = listbills.list_bill_generate(actor=None, group=other_group, period_start=JAN).bill
    client = client_for(users["employer"])
    portal = client.get(reverse("billing:portal"))
    assert portal.status_code == 200
    assert b"G2001" in portal.content and b"G9" not in portal.content
    assert client.get(reverse("billing:list-bill", args=[own.pk])).status_code == 200
    assert client.get(reverse("billing:list-bill-csv", args=[own.pk])).status_code == 200
    assert client.get(reverse("billing:list-bill", args=[other.pk])).status_code == 404
    assert client.get(reverse("billing:list-bill-pdf", args=[other.pk])).status_code == 404
    assert client.get(reverse("billing:list-bills")).status_code == 403


def test_a_schedule_is_set_from_its_page_and_a_bad_one_refused(users, client_for, scene):
    client = client_for(users["groupadmin"])
    url = reverse("billing:schedule", args=["G2001"])
    form = {"mode": "biweekly", "first_period_start": "2026-01-05", "bill_day": 1,
            "lead_days": 10, "tolerance": "0.50", "refund_routing_number": "011000015",
            "refund_account_number": "12345-678", "refund_account_type": "savings"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    saved = BillingSchedule.objects.get(group=scene)
    assert (saved.mode, saved.lead_days, saved.tolerance) == ("biweekly", 10, Decimal("0.50"))
    assert (saved.refund_routing_number, saved.refund_account_type) == ("011000015", "savings")
    bad = client.post(url, {**form, "refund_routing_number": "011000016"})
    assert bad.status_code == 422 and b"fails its check digit" in bad.content
    bad = client.post(url, {**form, "first_period_start": "2026-01-30"})
    assert bad.status_code == 422 and b"day from 1 to 28" in bad.content
    bad = client.post(url, {**form, "tolerance": "-1"})
    assert bad.status_code == 400
    assert BillingSchedule.objects.get(group=scene).first_period_start == date(2026, 1, 5)


def test_aging_and_a_delinquency_from_lapse_to_cancellation(users, client_for, scene):
    listbills.list_bill_generate(actor=None, group=scene, period_start=JAN)
    delinquency.delinquency_review(today=date(2026, 2, 2), group=scene)
    client = client_for(users["groupadmin"])
    aging = client.get(reverse("billing:aging"), {"market": "tri"})
    assert b"G2001" in aging.content and b"76.05" in aging.content
    case = Delinquency.objects.get()
    page = client.get(reverse("billing:delinquency", args=[case.pk]))
    assert b"Cancel for non-payment now" in page.content
    notice = client.get(reverse("billing:delinquency-notice", args=[case.pk]))
    assert notice.content.startswith(b"%PDF")
    refused = client.post(reverse("billing:delinquency-reinstate", args=[case.pk]))
    assert refused.status_code == 409 and b"76.05 is unpaid" in refused.content
    done = client.post(reverse("billing:delinquency-cancel", args=[case.pk]))
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.stage == "cancelled"


@pytest.fixture
def child(scene):
    """M2's family accident tier covers a child: $0.00, no premium of their own."""
    two = Member.objects.get(member_id="M2")
    kid = Member.objects.create(
        group=scene, employee=two, subscriber_id="M2", member_id="M2-02", relationship="19",
        first_name="Kai", last_name="Rivera", birth_date=date(2015, 5, 1), sex="M",
    )  # fmt: skip
    accident = PlanDesign.objects.get(group=scene, product__code="accident")
    group_services.coverage_add(actor=None, member=kid, plan=accident, tier="",
                                benefit_amount=None, start_date=JAN)  # fmt: skip
    return kid


def test_the_downloads_leave_out_a_dependent_owing_nothing(users, client_for, scene, child):
    bill = listbills.list_bill_generate(actor=None, group=scene, period_start=JAN).bill
    assert bill.total == Decimal("76.05") and not bill.lines.filter(member=child).exists()
    client = client_for(users["supervisor"])
    page = client.get(reverse("billing:list-bill", args=[bill.pk]))
    assert b"M2-02" not in page.content
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("billing:list-bill-csv", args=[bill.pk])).content.decode()
    )))  # fmt: skip
    assert [r[0] for r in rows[1:-1]] == ["M1", "M1", "M2"]
    assert sum(Decimal(r[6]) for r in rows[1:-1]) == Decimal(rows[-1][6]) == Decimal("76.05")
    xlsx = client.get(reverse("billing:list-bill-xlsx", args=[bill.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 5 and sheet.cell(row=5, column=7).value == 76.05
    cells = [Decimal(str(sheet.cell(row=n, column=7).value)) for n in (2, 3, 4)]
    assert sum(cells) == Decimal("76.05")
    pdf = client.get(reverse("billing:list-bill-pdf", args=[bill.pk]))
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "M2-02" not in text and " 0.00" not in text and "76.05" in text


@pytest.mark.parametrize("kind", ["csv", "820"])
def test_a_zero_paid_for_the_dependent_is_no_variance(users, scene, child, kind):
    """The employer returns the family with the child at 0.00: nothing billed, nothing
    paid, so no variance (not 'paid, not billed'); the bill is paid in full."""
    bill = listbills.list_bill_generate(actor=None, group=scene, period_start=JAN).bill
    paid = [("M1", "42.40"), ("M2", "33.65"), ("M2-02", "0.00")]
    if kind == "csv":
        content = csv_bytes([(ref, amount, "2026-01-01", "") for ref, amount in paid])
    else:
        content = x820([(ref, amount, "20260101") for ref, amount in paid])
    result = remittance_file_receive(actor=users["groupadmin"], name=f"jan.{kind}",
                                     content=content, group=scene, period=JAN)  # fmt: skip
    assert not Variance.objects.exists()
    assert result.applied == Decimal("76.05") and result.held == Decimal("0.00")
    bill.refresh_from_db()
    assert bill.status == "reconciled"
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=scene) == Decimal("0.00")

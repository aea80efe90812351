"""The employer sends back its own group's list bill from the portal."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payerdesk.billing.models import Account, Remittance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import remittances
from payerdesk.core.errors import NotPermitted
from payerdesk.groups.services import groups as group_services
from tests.billing.support import bill, csv_bytes

JAN = date(2026, 1, 1)


@pytest.fixture
def portal(users, group, make_member, cover, accident):
    group_services.portal_user_grant(actor=users["supervisor"], group=group, user=users["employer"])
    one, two = make_member("M1"), make_member("M2")
    cover(one, accident)
    cover(two, accident)
    bill(group, JAN, {one: "12.40", two: "12.40"})
    return one, two


def upload(client, content, name="returned.csv", group="G2001"):
    return client.post(
        reverse("billing:portal-remittance-upload"),
        {"group": group, "file": SimpleUploadedFile(name, content), "period": "2026-01-01"},
    )


def test_the_employer_pays_its_bill_by_sending_it_back(users, client_for, group, portal):
    client = client_for(users["employer"])
    content = csv_bytes([("M1", "12.40", "2026-01-01", ""), ("M2", "12.40", "", "")])
    response = upload(client, content)
    assert response.status_code == 302 and response["Location"] == reverse("billing:portal")
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group) == Decimal("0.00")
    remittance = Remittance.objects.get()
    assert (remittance.total, remittance.received_by) == (Decimal("24.80"), users["employer"])
    page = client.get(reverse("billing:portal"))
    assert b"returned.csv" in page.content and b"24.80" in page.content
    # The same file again changes nothing.
    assert upload(client, content).status_code == 302
    assert Remittance.objects.count() == 1
    assert listbill_selectors.balance(Account.CASH, group=group) == Decimal("24.80")


def test_a_bad_row_is_located_and_nothing_is_posted(users, client_for, group, portal):
    rows = [("M1", "12.40", "2026-01-01", "")] * 3 + [("M2", "12.4O", "2026-01-01", "")]
    response = upload(client_for(users["employer"]), csv_bytes(rows))
    assert response.status_code == 422
    assert b"row 5, column amount" in response.content
    assert not Remittance.objects.exists()
    assert listbill_selectors.balance(Account.CASH, group=group) == Decimal("0.00")


def test_only_its_own_group(users, client_for, group, portal, markets):
    other = group_services.group_create(
        actor=users["groupadmin"], group_number="G9", legal_name="Other", situs_state="NY",
        market=markets["TRI"], effective_date=JAN, billing_contact_name="O",
        billing_contact_email="o@o.example",
    )  # fmt: skip
    response = upload(
        client_for(users["employer"]), csv_bytes([("M1", "1.00", "", "")]), group="G9"
    )
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    with pytest.raises(NotPermitted):
        remittances.remittance_portal_upload(
            actor=users["employer"], group=other, name="a.csv", content=b"member id,amount\n"
        )
    with pytest.raises(NotPermitted):
        remittances.remittance_portal_upload(
            actor=users["groupadmin"], group=group, name="a.csv", content=b"member id,amount\n"
        )
    assert (
        client_for(users["groupadmin"])
        .post(reverse("billing:portal-remittance-upload"))
        .status_code
        == 403
    )
    assert not Remittance.objects.exists()

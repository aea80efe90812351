"""A refund exported from the refunds page as a NACHA file carries the SEC code chosen
on the page (PPD for a person, CCD for a company)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from payerdesk.billing.models import Account, Refund, RefundStatus
from payerdesk.billing.services import listbills
from payerdesk.groups.services import groups as group_services
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("sec", ["PPD", "CCD"])
def test_the_nacha_export_uses_the_sec_code_chosen(page: Page, live_server, users, markets,
                                                   queues, sec):  # fmt: skip
    group = group_services.group_create(
        actor=users["groupadmin"], group_number="G79", legal_name="Pier Foods",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pay@pier.example",
    )  # fmt: skip
    listbills.billing_schedule_set(
        actor=None, group=group, mode="monthly", first_period_start=date(2026, 1, 1),
        refund_routing_number="021000021", refund_account_number="55501234",
    )  # fmt: skip
    Refund.objects.create(
        group=group, from_account=Account.SUSPENSE, amount=Decimal("40.00"),
        breakdown={"": "40.00"}, reason="Overpaid", status=RefundStatus.APPROVED,
        decided_at=timezone.now(),
    )  # fmt: skip
    sign_in(page, live_server.url, "groupadmin")
    page.goto(live_server.url + reverse("billing:refunds"))
    page.get_by_label("SEC code").select_option(sec)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export approved refunds (NACHA ACH file)").click()
    with open(download.value.path(), "rb") as saved:  # noqa: PTH123
        lines = saved.read().decode("ascii").split("\r\n")
    assert lines[1][0] == "5" and lines[1][50:53] == sec
    assert Refund.objects.get().status == RefundStatus.EXPORTED

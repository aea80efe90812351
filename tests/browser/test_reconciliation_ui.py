"""A group administrator receives a returned list bill in a real browser: a bad row is
refused whole, the good file is reconciled, and the suspense it leaves is applied."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from payerdesk.billing.models import Account, Remittance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import listbills
from tests.browser.billing_scene import billed_group
from tests.browser.navigation import menu_go
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receive_reconcile_and_clear_suspense(page: Page, live_server, users, markets, queues,
                                              tmp_path, screenshots):  # fmt: skip
    group = billed_group(
        users, markets["TRI"], number="G78", name="Pier Foods", employees=["E1", "E2"]
    )
    listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 1, 1))
    bad = tmp_path / "bad.csv"
    bad.write_text("member id,amount\nE1,12.40\nE2,twelve\n")
    good = tmp_path / "returned.csv"
    # E2 written as "E-2": an unknown member, held in suspense.
    good.write_text("member id,amount\nE1,12.40\nE-2,12.40\n")

    sign_in(page, live_server.url, "groupadmin")
    menu_go(page, "Billing", "Remittances")
    form = page.get_by_role("form", name="Upload a remittance")
    form.get_by_label("File").set_input_files(str(bad))
    form.get_by_label("Group").fill("G78")
    form.get_by_label("Period").fill("2026-01-01")
    form.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("row 3, column amount")).to_be_visible()
    assert not Remittance.objects.exists()

    form = page.get_by_role("form", name="Upload a remittance")
    form.get_by_label("File").set_input_files(str(good))
    form.get_by_label("Group").fill("G78")
    form.get_by_label("Period").fill("2026-01-01")
    form.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Received and reconciled.")).to_be_visible()
    row = page.locator("tr", has_text="E-2")
    expect(row).to_contain_text("In suspense")
    page.screenshot(path=screenshots / "remittance-suspense.png", full_page=True)
    row.get_by_label("Member").fill("E2")
    row.get_by_role("button", name="Resolve").click()
    expect(page.locator("tr", has_text="E-2")).to_contain_text("Applied")
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == Decimal("0.00")
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group) == Decimal("0.00")

    page.get_by_role("link", name="Reconciliation of Pier Foods").click()
    expect(page.get_by_role("cell", name="24.80").first).to_be_visible()
    page.screenshot(path=screenshots / "reconciliation.png", full_page=True)

"""A group administrator generates a list bill in a real browser and opens it."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.billing_scene import billed_group
from tests.browser.navigation import menu_go
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_generate_a_list_bill_and_read_it(page: Page, live_server, users, markets, queues,
                                          screenshots):  # fmt: skip
    billed_group(users, markets["TRI"], number="G77", name="Harbor Foods", employees=["E1"])

    sign_in(page, live_server.url, "groupadmin")
    menu_go(page, "Billing", "List bills")
    expect(page.get_by_text("No list bills.")).to_be_visible()
    # Bad input first: a period before billing starts is refused, nothing generated.
    page.get_by_label("Group").select_option(label="G77 Harbor Foods")
    page.get_by_label("Any day of the period").fill("2025-12-10")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("Billing for G77 starts 2026-01-01.")).to_be_visible()
    page.get_by_label("Group").select_option(label="G77 Harbor Foods")
    page.get_by_label("Any day of the period").fill("2026-01-10")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("heading", name="List bill: G77 Harbor Foods")).to_be_visible()
    expect(page.get_by_role("cell", name="Ortiz, Sam")).to_be_visible()
    expect(page.get_by_role("link", name="Excel")).to_be_visible()
    page.screenshot(path=screenshots / "list-bill.png", full_page=True)

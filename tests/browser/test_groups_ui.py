"""A group administrator installs a group in a real browser and works its checklist."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.navigation import menu_go
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_group_and_tick_its_checklist(page: Page, live_server, users, queues, screenshots):
    sign_in(page, live_server.url, "groupadmin")
    menu_go(page, "Groups", "Groups")
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group number").fill("G4242")
    page.get_by_label("Legal name").fill("Hudson Bakery Inc")
    page.get_by_label("Situs state").fill("NY")
    page.get_by_label("Market").select_option("TRI")
    page.get_by_label("Effective date").fill("2026-01-01")
    page.get_by_label("Billing contact name").fill("Ines Park")
    page.get_by_label("Billing contact email").fill("not-an-email")
    page.get_by_role("button", name="Save").click()
    # Bad input comes back on its field, and nothing is created.
    expect(page.get_by_role("alert").first).to_contain_text("valid email")
    page.get_by_label("Billing contact email").fill("ines@hudsonbakery.example")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Hudson Bakery Inc")).to_be_visible()
    checklist = page.get_by_role("region", name="Set-up checklist")
    expect(checklist).to_contain_text("Welcome call made")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Tick: Billing contact confirmed").click()
    expect(checklist).to_contain_text("done by groupadmin")
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the checklist only
    page.screenshot(path=screenshots / "group.png", full_page=True)

    page.get_by_role("link", name="#").first.click()
    expect(page.get_by_role("link", name="Open the welcome call record")).to_be_visible()

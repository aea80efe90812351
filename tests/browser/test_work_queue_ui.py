"""A coverage review rep works an item in a real browser."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from payerdesk.core import services
from tests.browser.navigation import menu_go
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_rep_claims_an_item_adds_a_note_and_sees_it_on_the_timeline(
    page: Page, live_server, users, make_item, screenshots
):
    item = make_item(title="Chase the chart note for a GLP-1 request")
    held = make_item(title="Already taken by a colleague", due_in=timedelta(hours=1))
    colleague = users["supervisor"]
    services.work_item_assign(actor=colleague, item_id=held.pk, assignee=colleague)

    sign_in(page, live_server.url, "rep")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_text("Nothing here.")).to_be_visible()

    menu_go(page, "Work", "Queues")
    page.get_by_role("link", name="Coverage Review").click()
    page.get_by_role("link", name=item.title).click()
    page.get_by_role("button", name="Claim", exact=True).click()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Claimed by rep")

    # The note form swaps the panel in place (htmx): the page itself is not reloaded.
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Note").fill("Office will fax the A1C result by 3 pm.")
    page.get_by_role("button", name="Add note").click()
    expect(timeline).to_contain_text("Office will fax the A1C result by 3 pm.")
    assert page.evaluate("window.__notReloaded") is True

    page.get_by_label("New status").select_option(label="In progress")
    page.get_by_role("button", name="Change status").click()
    expect(timeline).to_contain_text("Open → In progress")

    # Bad input: an empty note is refused with a message, and nothing is added.
    page.get_by_label("Note").fill("   ")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("alert").first).to_contain_text("required")
    page.screenshot(path=screenshots / "item.png", full_page=True)

    menu_go(page, "Work", "My work")
    expect(page.get_by_role("link", name=item.title)).to_be_visible()
    page.screenshot(path=screenshots / "my-work.png", full_page=True)

    # Someone else holds this one: there is no Claim button for it.
    page.goto(f"{live_server.url}/work/{held.pk}/")
    expect(page.get_by_role("button", name="Claim", exact=True)).to_have_count(0)


def test_claim_race_lost_in_the_browser_shows_who_won(page: Page, live_server, users, make_item):
    item = make_item(title="Return call to the prescriber's office", kind="task")
    sign_in(page, live_server.url, "rep")
    page.goto(f"{live_server.url}/work/{item.pk}/")
    # A colleague claims it while the page is open.
    other = users["supervisor"]
    services.work_item_assign(actor=other, item_id=item.pk, assignee=other)
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text("already held by supervisor")


def test_filters_update_the_results_in_place(page: Page, live_server, users, make_item):
    make_item(title="Due next week", due_in=timedelta(days=6))
    make_item(title="Overdue since yesterday", due_in=timedelta(days=-1))
    sign_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/work/")
    expect(page.get_by_role("link", name="Due next week")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Due").select_option(label="Overdue")
    expect(page.get_by_role("link", name="Due next week")).to_have_count(0)
    expect(page.get_by_role("link", name="Overdue since yesterday")).to_be_visible()
    assert "due=overdue" in page.url
    assert page.evaluate("window.__notReloaded") is True

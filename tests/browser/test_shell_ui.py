"""The shell in a real browser at 1280 px: every role's top bar on one line, the module
menus and landing pages, and the employer's way from the portal to their list bills."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from payerdesk.billing.services import listbills
from payerdesk.core.demo import PEOPLE
from payerdesk.core.models import User
from payerdesk.core.roles import Role
from payerdesk.groups.services import groups as group_services
from tests.browser.billing_scene import billed_group
from tests.browser.navigation import menu_go
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Everything in the bar shares one line: the tops of its items, and "Sign out" on one line.
BAR_LAYOUT = """() => {
  const bar = document.querySelector("header.topbar");
  const items = bar.querySelectorAll(".brand, nav.menus > ul > li, .who > *");
  const tops = [...items].map((item) => item.getBoundingClientRect().top);
  const signOut = bar.querySelector(".who button");
  const lineHeight = parseFloat(getComputedStyle(signOut).lineHeight)
    || parseFloat(getComputedStyle(signOut).fontSize) * 1.5;
  return {
    spread: Math.max(...tops) - Math.min(...tops),
    barHeight: bar.getBoundingClientRect().height,
    signOutHeight: signOut.getBoundingClientRect().height,
    lineHeight: lineHeight,
    overflow: bar.scrollWidth > bar.clientWidth,
    items: items.length,
  };
}"""


def _named_as_in_the_demo(users: dict[str, User]) -> None:
    """The demo's names (the bar shows them), and an administrator who may open Admin."""
    for username, (first, last, _, _) in PEOPLE.items():
        user = users[username]
        user.first_name, user.last_name = first, last
        user.is_staff = username == "admin"
        user.save()


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_roles_top_bar_is_one_line_at_1280_px(
    page: Page, live_server, users, queues, role, screenshots
):
    _named_as_in_the_demo(users)
    sign_in(page, live_server.url, role)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    layout = page.evaluate(BAR_LAYOUT)
    assert layout["items"] >= 3, layout
    assert layout["spread"] < 4, f"{role}: the bar's items sit on different lines: {layout}"
    assert layout["signOutHeight"] < layout["lineHeight"] * 1.5, f"{role}: {layout}"
    assert layout["barHeight"] < 60, f"{role}: {layout}"
    assert not layout["overflow"], f"{role}: {layout}"
    page.locator("header.topbar").screenshot(path=screenshots / f"bar-{role}.png")


def test_a_supervisor_reaches_each_modules_landing_page_from_its_menu(
    page: Page, live_server, users, queues, make_item, screenshots
):
    make_item(title="Call the prescriber back")  # open work in the coverage review queue
    sign_in(page, live_server.url, "supervisor")
    bar = page.get_by_role("navigation", name="Main")
    expect(bar.locator("summary")).to_have_text(
        ["Work", "Prior authorization", "Groups", "Billing"]
    )

    menu_go(page, "Prior authorization", "Overview")
    expect(page.get_by_role("heading", name="Prior authorization")).to_be_visible()
    summary = page.get_by_role("region", name="Prior authorization at a glance")
    expect(summary).to_contain_text("Pharmacist review")  # open requests by status
    expect(summary.get_by_role("link", name="PA metrics")).to_be_visible()
    page.screenshot(path=screenshots / "priorauth-home.png", full_page=True)

    menu_go(page, "Billing", "Overview")
    summary = page.get_by_role("region", name="Billing at a glance")
    expect(summary).to_contain_text("In suspense")
    expect(summary).to_contain_text("$0.00")
    expect(summary.get_by_role("link", name="Refunds")).to_be_visible()

    menu_go(page, "Groups", "Groups")
    summary = page.get_by_role("region", name="Groups at a glance")
    expect(summary).to_contain_text("Policy changes waiting for underwriting")

    menu_go(page, "Work", "My work")
    summary = page.get_by_role("region", name="Work at a glance")
    expect(summary.get_by_role("link", name="Coverage Review")).to_be_visible()
    expect(summary.get_by_role("row", name="Coverage Review")).to_contain_text("1")


def test_menus_work_from_the_keyboard(page: Page, live_server, users, queues):
    sign_in(page, live_server.url, "groupadmin")
    billing = page.locator("details.menu", has=page.locator("summary", has_text="Billing"))
    billing.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(billing.get_by_role("link", name="Aging")).to_be_visible()
    page.keyboard.press("Escape")
    expect(billing.get_by_role("link", name="Aging")).to_be_hidden()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the first entry: the module's overview
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()


def test_the_employer_reaches_their_list_bills_from_the_portal(
    page: Page, live_server, users, markets, queues, screenshots
):
    group = billed_group(users, markets["TRI"], number="G90", name="Bayside Deli", employees=["E1"])
    group_services.portal_user_grant(actor=users["admin"], group=group, user=users["employer"])
    listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 1, 1))

    sign_in(page, live_server.url, "employer")
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()
    bar = page.get_by_role("navigation", name="Main")
    bar.get_by_role("link", name="List bills").click()
    expect(page.get_by_role("heading", name="Your list bills")).to_be_visible()
    expect(page.get_by_role("cell", name="Bayside Deli")).to_be_visible()
    expect(page.get_by_role("link", name="01/01/2026\u201301/31/2026")).to_be_visible()

    bar.get_by_role("link", name="Send back a list bill").click()
    expect(page).to_have_url(f"{live_server.url}/billing/portal/#send-back")
    expect(page.get_by_role("heading", name="Send back a list bill")).to_be_in_viewport()
    page.screenshot(path=screenshots / "employer-bills.png", full_page=True)

"""A coverage review rep takes a PA request by phone in a real browser: the drug's
questions arrive with htmx and the follow-up appears when the answer calls for it."""

import pytest
from playwright.sync_api import Page, expect

from payerdesk.priorauth.models import PriorAuthRequest
from tests.browser.navigation import menu_go
from tests.browser.test_work_queue_ui import sign_in
from tests.priorauth.conftest import (  # noqa: F401 - the fixtures this test uses
    NPI,
    SEMAGLUTIDE,
    criteria,
    formulary,
    member,
    prescriber,
    setup,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("setup")
def test_rep_takes_a_request_through_the_guided_form(page: Page, live_server, screenshots):
    sign_in(page, live_server.url, "rep")
    menu_go(page, "Prior authorization", "New PA")
    page.get_by_label("Member ID").fill("M100")
    page.get_by_label("Prescriber NPI").fill(NPI)
    page.get_by_label("Drug (RXCUI or NDC)").fill(SEMAGLUTIDE)
    page.get_by_label("Drug (RXCUI or NDC)").blur()
    expect(page.get_by_label("Latest A1c (%)")).to_be_visible()
    expect(page.locator('[name="q_metformin_days"]')).to_have_count(0)

    page.get_by_label("Diagnosis").select_option("E11")
    page.get_by_label("Latest A1c (%)").fill("8.2")
    page.locator('[name="q_tried_metformin"][value="true"]').check()
    days = page.locator('[name="q_metformin_days"]')
    expect(days).to_be_visible()  # the follow-up, swapped in by htmx
    days.fill("150")
    page.screenshot(path=screenshots / "priorauth-intake.png", full_page=True)
    # The full-page screenshot resizes the page for a moment: let it settle before clicking.
    days.blur()
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Submit request").click()

    # Deciding renders the letter PDF: allow a busy machine more than the default 5 s.
    expect(page.get_by_role("heading", level=1)).to_contain_text("PA-", timeout=30_000)
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    pa = PriorAuthRequest.objects.get()
    assert pa.status == "approved" and pa.answers["metformin_days"] == 150

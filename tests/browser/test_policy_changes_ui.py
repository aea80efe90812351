"""A group administrator quotes a benefit increase, sends it to underwriting and approves it."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as services
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quote_refer_and_approve_a_benefit_increase(
    page: Page, live_server, users, markets, queues, screenshots
):
    group = services.group_create(
        actor=users["groupadmin"], group_number="G7", legal_name="Hudson Bakery", situs_state="NY",
        market=markets["TRI"], effective_date=date(2026, 1, 1), billing_contact_name="Ines",
        billing_contact_email="ines@example.test",
    )  # fmt: skip
    plan = PlanDesign.objects.create(
        group=group, name="Term life", effective_date=date(2026, 1, 1), tiers=["EMP"],
        product=Product.objects.create(code="life", name="Term life", insurance_line="LIF"),
        rate_basis="per_unit", unit_amount=Decimal("1000"), guaranteed_issue=Decimal("50000"),
        max_benefit=Decimal("150000"),
    )  # fmt: skip
    RateRow.objects.create(plan=plan, rate=Decimal("0.10"))
    member = Member.objects.create(
        group=group, subscriber_id="E1", member_id="E1", relationship="18", first_name="Jo",
        last_name="Lee", birth_date=date(1980, 1, 1), sex="F",
    )  # fmt: skip
    services.coverage_add(actor=None, member=member, plan=plan, tier="EMP",
                          benefit_amount=Decimal("20000"), start_date=date(2026, 1, 1))  # fmt: skip

    sign_in(page, live_server.url, "groupadmin")
    page.goto(f"{live_server.url}/groups/members/{member.pk}/changes/new/")
    page.get_by_label("Change type").select_option("benefit_increase")
    page.get_by_label("Effective date").fill("2026-12-01")
    page.get_by_label("Product (plan)").select_option(label="G7 Term life")
    page.get_by_label("New benefit amount").fill("200000")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Check premium and rules").click()
    quote = page.locator("#quote")
    expect(quote).to_contain_text("above the plan maximum")  # bad input, said in place
    page.get_by_label("New benefit amount").fill("60000")
    page.get_by_role("button", name="Check premium and rules").click()
    expect(quote).to_contain_text("2.00 / month")
    expect(quote).to_contain_text("6.00 / month")
    expect(quote).to_contain_text("evidence of insurability")
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped the quote only
    page.get_by_role("button", name="Confirm the change").click()

    expect(page.get_by_text("Referred to underwriting").first).to_be_visible()
    page.screenshot(path=screenshots / "policy-change.png", full_page=True)
    page.get_by_label("Note").fill("EOI received and accepted")
    page.get_by_role("button", name="Approve and apply").click()
    expect(page.get_by_role("status")).to_contain_text("approved and applied")
    expect(page.locator(".badge").first).to_have_text("Applied")

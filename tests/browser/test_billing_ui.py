"""A group administrator generates a list bill in a real browser and opens it."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from payerdesk.billing import listbills
from payerdesk.groups import services as group_services
from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_generate_a_list_bill_and_read_it(page: Page, live_server, users, markets, queues,
                                          screenshots):  # fmt: skip
    group = group_services.group_create(
        actor=users["groupadmin"], group_number="G77", legal_name="Harbor Foods",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pay@harbor.example",
    )  # fmt: skip
    product = Product.objects.create(code="acc", name="Accident", insurance_line="AH")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Accident", effective_date=date(2026, 1, 1),
        tiers=["EMP"], rate_basis="tier",
    )  # fmt: skip
    RateRow.objects.create(plan=plan, tier="EMP", rate=Decimal("12.40"))
    member = Member.objects.create(
        group=group, subscriber_id="E1", member_id="E1", relationship="18", first_name="Sam",
        last_name="Ortiz", birth_date=date(1980, 5, 1), sex="M",
    )  # fmt: skip
    group_services.coverage_add(actor=None, member=member, plan=plan, tier="EMP",
                                benefit_amount=None, start_date=date(2026, 1, 1))  # fmt: skip
    listbills.billing_schedule_set(
        actor=None, group=group, mode="monthly", first_period_start=date(2026, 1, 1)
    )

    sign_in(page, live_server.url, "groupadmin")
    page.get_by_role("link", name="List bills").click()
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

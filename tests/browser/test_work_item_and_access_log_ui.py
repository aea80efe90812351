"""An engagement coordinator opens a work item by hand; the auditor filters the access log
and downloads it as CSV."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from payerdesk.core.models import AccessLogEntry, Queue, SlaPolicy, User, WorkItem
from payerdesk.core.roles import Role, group_name
from tests.browser.test_work_queue_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def engagement(users, queues) -> Queue:
    policy = SlaPolicy.objects.create(name="2 business days", amount=2,
                                      clock=SlaPolicy.Clock.BUSINESS_DAYS)  # fmt: skip
    queue = Queue.objects.create(slug="health-engagement", name="Health engagement",
                                 sla_policy=policy)  # fmt: skip
    queue.worker_roles.set([Group.objects.get(name=group_name(Role.COORDINATOR))])
    return queue


def test_an_engagement_coordinator_opens_a_work_item(
    page: Page, live_server, users, engagement, screenshots
):
    sign_in(page, live_server.url, "coordinator")
    page.get_by_role("link", name="Work items").click()
    page.get_by_role("link", name="New work item").click()
    expect(page.get_by_role("heading", name="New work item")).to_be_visible()

    # Bad input first: no title. The page says so and nothing is opened.
    page.get_by_role("button", name="Open work item").click()
    expect(page.get_by_role("alert").first).to_contain_text("required")
    assert not WorkItem.objects.exists()

    page.get_by_label("Kind").select_option(label="Call back")
    page.get_by_label("Title").fill("Call the member about the wellness screening")
    page.get_by_label("Queue").select_option(label="Health engagement")
    page.get_by_label("Market").select_option(label="Tri-State")
    page.get_by_label("Priority").select_option(label="High")
    page.screenshot(path=screenshots / "work-item-new.png", full_page=True)
    page.get_by_role("button", name="Open work item").click()

    item = WorkItem.objects.get()
    expect(page.get_by_text(f"Work item #{item.pk} opened in Health engagement.")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Call back opened in Health engagement by hand")
    assert item.market is not None
    assert (item.kind, item.queue, item.market.code, item.created_by) == (
        "callback", engagement, "TRI", users["coordinator"]
    )  # fmt: skip
    assert item.due_at == engagement.sla_policy.due_at(item.created_at)


def _viewed(user: User, record_type: str, record_id: str) -> None:
    AccessLogEntry.objects.create(
        user=user, username=user.username, action="view", channel="web",
        record_type=record_type, record_id=record_id, path=f"/{record_type}/{record_id}/",
    )  # fmt: skip


def test_the_auditor_filters_the_access_log_and_downloads_it(
    page: Page, live_server, users, screenshots
):
    _viewed(users["rep"], "member", "41")
    _viewed(users["pharmacist"], "prior_auth_request", "12")
    sign_in(page, live_server.url, "auditor")
    page.get_by_role("link", name="Access log").click()
    expect(page.get_by_role("heading", name="Access log")).to_be_visible()

    page.get_by_label("User").fill("rep")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("/member/41/")
    expect(table).not_to_contain_text("prior_auth_request")
    page.screenshot(path=screenshots / "access-log.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "access-log.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(row["user"], row["record_type"], row["record_id"]) for row in rows] == [
        ("rep", "member", "41")
    ]
    # Both looks at the log are in it: the filtered page and the export.
    mine = AccessLogEntry.objects.filter(user=users["auditor"], record_type="access_log")
    assert sorted(mine.values_list("action", "record_id")) == [
        ("export", "user=rep"), ("view", "all"), ("view", "user=rep")
    ]  # fmt: skip

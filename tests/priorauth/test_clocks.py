"""Clocks: due time by line of business and urgency, admin-changed rules, escalation, overdue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payerdesk.core import services as core_services
from payerdesk.priorauth import rules
from payerdesk.priorauth.models import ClockRule
from tests.priorauth.conftest import FALLS_SHORT


@pytest.mark.parametrize(
    ("line", "urgency", "hours"),
    [
        ("medicare_part_d", "standard", 72),
        ("medicare_part_d", "expedited", 24),
        ("medicare_advantage", "standard", 7 * 24),
        ("medicare_advantage", "expedited", 72),
        ("medicaid", "standard", 7 * 24),
        ("medicaid", "expedited", 72),
        ("commercial", "standard", 72),
    ],
)
def test_the_seeded_clocks_follow_the_rules(db, line, urgency, hours):
    start = timezone.now()
    clock = rules.clock_for(line_of_business=line, urgency=urgency, start=start)
    assert clock.due_at - start == timedelta(hours=hours)
    assert clock.escalate_at < clock.due_at


def test_an_admin_changes_the_commercial_clock(db, submit):
    ClockRule.objects.filter(line_of_business="commercial", urgency="standard").update(
        hours=48, escalate_before_hours=6
    )
    pa = submit(FALLS_SHORT, line_of_business="commercial")
    assert pa.due_at - pa.clock_start == timedelta(hours=48)
    assert pa.work_item.escalate_at == pa.due_at - timedelta(hours=6)


def test_a_request_is_escalated_before_it_runs_out_and_flagged_overdue(submit, users, client_for):
    pa = submit(FALLS_SHORT, urgency="expedited")
    item = pa.work_item
    assert core_services.work_items_escalate(now=item.escalate_at - timedelta(minutes=1)) == 0
    assert core_services.work_items_escalate(now=item.escalate_at) == 1
    item.refresh_from_db()
    assert item.escalated_at is not None and item.due_at > item.escalated_at
    pa.due_at = timezone.now() - timedelta(minutes=5)
    pa.save(update_fields=["due_at"])
    assert pa.is_overdue()
    page = client_for(users["pharmacist"]).get(reverse("priorauth:requests"))
    assert b"overdue" in page.content and b"escalated" in page.content


def test_nothing_is_overdue_once_decided(submit):
    pa = submit(FALLS_SHORT)
    pa.status = "approved"
    pa.due_at = timezone.now() - timedelta(hours=1)
    assert not pa.is_overdue()


def test_npi_check_digit(db):
    assert rules.npi_is_valid("1234567893")
    assert not rules.npi_is_valid("1234567890")
    assert not rules.npi_is_valid("123456789")
    assert not rules.npi_is_valid("12345678a3")
    assert rules.npi_with_check_digit("123456789") == "1234567893"

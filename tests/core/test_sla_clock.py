"""Due times: calendar hours, or business days skipping weekends and US federal holidays."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from payerdesk.core import services, sla
from payerdesk.core.models import SlaPolicy

EASTERN = ZoneInfo("America/New_York")


def at(day: str, time: str = "10:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=EASTERN)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at("2026-11-16"), 2, at("2026-11-18")),  # Monday -> Wednesday
        (at("2026-11-20"), 2, at("2026-11-24")),  # Friday -> Tuesday, over the weekend
        (at("2026-11-25"), 1, at("2026-11-27")),  # Thanksgiving (Thu 26th) is skipped
        (at("2026-12-24"), 1, at("2026-12-28")),  # Christmas Friday, weekend, Monday
        (at("2026-11-21"), 2, at("2026-11-25", "00:00")),  # Saturday: clock starts Monday 00:00
    ],
)
def test_business_days(start, days, due):
    assert sla.add_business_days(start, days) == due


def test_holidays_and_weekends_are_not_business_days():
    assert not sla.is_business_day(at("2026-11-26").date())  # Thanksgiving
    assert not sla.is_business_day(at("2026-07-03").date())  # Independence Day observed
    assert not sla.is_business_day(at("2026-11-22").date())  # Sunday
    assert sla.is_business_day(at("2026-11-27").date())  # the Friday after: open


def test_calendar_hours_run_through_nights_and_weekends():
    start = at("2026-11-20", "16:00")
    assert sla.due_at(start, clock="calendar_hours", amount=72) == start + timedelta(hours=72)


def test_an_unknown_clock_is_an_error():
    with pytest.raises(ValueError, match="unknown SLA clock"):
        sla.due_at(at("2026-11-20"), clock="lunar", amount=1)


def test_a_new_item_takes_its_due_and_escalation_times_from_the_queue_policy(queues):
    queue = queues["coverage"]
    item = services.work_item_create(actor=None, kind="task", title="PA", queue=queue)
    assert item.due_at - item.created_at == timedelta(hours=72)
    assert item.due_at - item.escalate_at == timedelta(hours=12)

    queue.sla_policy = SlaPolicy.objects.create(
        name="Welcome call", clock=SlaPolicy.Clock.BUSINESS_DAYS, amount=2
    )
    queue.save()
    call = services.work_item_create(actor=None, kind="callback", title="Welcome", queue=queue)
    assert call.due_at == sla.add_business_days(call.created_at, 2)
    assert call.escalate_at == call.due_at
    assert call.due_at.tzinfo is not None

"""Due times from SLA policies: calendar hours, or business days in New York time."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from payerdesk.core import services, sla
from payerdesk.core.errors import InvalidInput
from payerdesk.core.models import SlaPolicy, WorkItem

EASTERN = ZoneInfo("America/New_York")


def eastern(day: str, time: str = "10:30") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=EASTERN)


def utc(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def elapsed(start: datetime, end: datetime) -> timedelta:
    # Subtracting two datetimes of one zone counts wall-clock time; compare instants instead.
    return end.astimezone(UTC) - start.astimezone(UTC)


# --- calendar hours -----------------------------------------------------------------------


def test_calendar_hours_run_through_nights_and_weekends():
    friday_afternoon = eastern("2026-11-20", "16:00")
    due = sla.due_at(friday_afternoon, clock="calendar_hours", amount=72)
    assert due == eastern("2026-11-23", "16:00")  # Monday, weekend included
    assert elapsed(friday_afternoon, due) == timedelta(hours=72)


@pytest.mark.parametrize(
    "start",
    [
        eastern("2026-10-31", "12:00"),  # clocks go back at 02:00 on Sunday 1 November
        eastern("2026-03-07", "12:00"),  # clocks go forward at 02:00 on Sunday 8 March
        utc("2026-10-31", "16:00"),
    ],
)
def test_calendar_hours_are_elapsed_hours_across_a_daylight_saving_change(start):
    for hours in (24, 72):
        due = sla.due_at(start, clock="calendar_hours", amount=hours)
        assert elapsed(start, due) == timedelta(hours=hours)


# --- business days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Thanksgiving week 2026: Thanksgiving is Thursday 26 November.
        (eastern("2026-11-23"), 1, eastern("2026-11-24")),  # Mon -> Tue
        (eastern("2026-11-23"), 3, eastern("2026-11-27")),  # Mon -> Fri, Thursday skipped
        (eastern("2026-11-24"), 2, eastern("2026-11-27")),  # Tue -> Fri
        (eastern("2026-11-25"), 1, eastern("2026-11-27")),  # Wed -> Fri
        (eastern("2026-11-25"), 2, eastern("2026-11-30")),  # Wed -> Mon
        # Work arriving on the holiday starts on Friday 00:00; one day later is Monday.
        (eastern("2026-11-26", "14:00"), 1, eastern("2026-11-30", "00:00")),
        # Friday -> Tuesday over a weekend.
        (eastern("2026-11-20"), 2, eastern("2026-11-24")),
        (eastern("2026-11-20", "17:45"), 1, eastern("2026-11-23", "17:45")),
        # Saturday and Sunday arrivals start the clock on Monday 00:00 local.
        (eastern("2026-11-21", "09:15"), 2, eastern("2026-11-25", "00:00")),
        (eastern("2026-11-22", "23:59"), 1, eastern("2026-11-24", "00:00")),
        # Other federal holidays, observed days and a year end.
        (eastern("2026-11-10"), 1, eastern("2026-11-12")),  # Veterans Day, Wed 11 Nov
        (eastern("2026-07-02"), 1, eastern("2026-07-06")),  # July 4th observed on Fri 3 Jul
        (eastern("2026-12-24"), 1, eastern("2026-12-28")),  # Christmas, Fri 25 Dec
        (eastern("2026-12-31"), 1, eastern("2027-01-04")),  # New Year's Day, Fri 1 Jan 2027
        (eastern("2027-01-15"), 1, eastern("2027-01-19")),  # Martin Luther King Jr. Day
    ],
)
def test_business_days_skip_weekends_and_us_federal_holidays(start, days, due):
    result = sla.add_business_days(start, days)
    assert result == due
    assert timezone.localtime(result).time() == due.time()


@pytest.mark.parametrize(
    ("day", "open_for_business"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # the day after is not a federal holiday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 7, 3), False),  # Independence Day, observed
        (date(2026, 6, 19), False),  # Juneteenth
        (date(2026, 10, 12), False),  # Columbus Day
        (date(2026, 11, 3), True),  # Election Day is not a federal holiday
        (date(2026, 12, 24), True),
    ],
)
def test_which_days_are_business_days(day, open_for_business):
    assert sla.is_business_day(day) is open_for_business


def test_business_days_are_counted_in_new_york_time_not_utc():
    # 02:00 UTC on Saturday is still Friday evening in New York: a business day.
    friday_evening = utc("2026-11-21", "02:00")
    due = sla.add_business_days(friday_evening, 2)
    assert due == eastern("2026-11-24", "21:00")
    assert due.utcoffset() == timedelta(hours=-5)
    assert str(due.tzinfo) == "America/New_York"

    # 00:30 UTC on Monday is Sunday evening in New York: the clock starts Monday 00:00.
    sunday_evening = utc("2026-11-23", "00:30")
    assert sla.add_business_days(sunday_evening, 1) == eastern("2026-11-24", "00:00")


def test_business_days_keep_the_local_time_across_a_daylight_saving_change():
    friday = eastern("2026-10-30", "10:00")  # EDT, UTC-4
    due = sla.add_business_days(friday, 2)
    assert due == eastern("2026-11-03", "10:00")  # Tuesday, EST, UTC-5
    assert timezone.localtime(due).utcoffset() == timedelta(hours=-5)
    assert elapsed(friday, due) == timedelta(days=4, hours=1)


@pytest.mark.parametrize("clock", ["calendar_hours", "business_days"])
def test_a_naive_start_is_refused(clock):
    with pytest.raises(ValueError):
        sla.due_at(datetime(2026, 11, 20, 10, 0), clock=clock, amount=1)  # noqa: DTZ001


def test_an_unknown_clock_is_refused():
    with pytest.raises(ValueError, match="unknown SLA clock"):
        sla.due_at(eastern("2026-11-20"), clock="fortnights", amount=1)


def test_the_policy_applies_its_own_clock():
    start = eastern("2026-11-25", "09:00")
    hours = SlaPolicy(name="h", clock=SlaPolicy.Clock.CALENDAR_HOURS, amount=48)
    days = SlaPolicy(name="d", clock=SlaPolicy.Clock.BUSINESS_DAYS, amount=2)
    assert hours.due_at(start) == eastern("2026-11-27", "09:00")
    assert days.due_at(start) == eastern("2026-11-30", "09:00")


# --- what work_item_create stores ---------------------------------------------------------


def _at(monkeypatch, now: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: now)


def test_a_new_item_is_due_by_its_queue_policy_and_escalates_before(queues):
    item = services.work_item_create(
        actor=None, kind="task", title="PA", queue=queues["coverage"]
    )  # the fixture's policy: 72 calendar hours, escalate 12 hours before
    item.refresh_from_db()
    assert item.due_at - item.created_at == timedelta(hours=72)
    assert item.due_at - item.escalate_at == timedelta(hours=12)
    assert item.escalated_at is None
    assert item.timeline.get(event="created").data == {"due_at": item.due_at.isoformat()}


def test_a_module_with_its_own_clock_gives_due_and_escalation_and_a_starting_status(queues):
    now = timezone.now()
    item = services.work_item_create(
        actor=None,
        kind="task",
        title="Waits on a form",
        queue=queues["coverage"],
        due_at=now + timedelta(hours=5),
        escalate_at=now + timedelta(hours=4),
        status="waiting",
    )
    item.refresh_from_db()
    assert (item.due_at, item.escalate_at) == (now + timedelta(hours=5), now + timedelta(hours=4))
    assert item.status == "waiting" and item.closed_at is None


def test_an_item_decided_at_once_starts_closed(queues):
    item = services.work_item_create(
        actor=None, kind="task", title="Done at once", queue=queues["coverage"], status="done"
    )
    item.refresh_from_db()
    assert item.status == "done" and item.closed_at == item.created_at


def test_an_item_cannot_start_in_an_unknown_status(queues):
    with pytest.raises(InvalidInput) as refused:
        services.work_item_create(
            actor=None, kind="task", title="x", queue=queues["coverage"], status="lost"
        )
    assert refused.value.field == "status" and "'lost'" in refused.value.message
    assert not WorkItem.objects.exists()


def test_a_business_day_queue_over_thanksgiving(queues, monkeypatch):
    queue = queues["groups"]
    queue.sla_policy = SlaPolicy.objects.create(
        name="Two business days",
        clock=SlaPolicy.Clock.BUSINESS_DAYS,
        amount=2,
        escalate_before_hours=4,
    )
    queue.save()
    _at(monkeypatch, eastern("2026-11-25", "11:00"))

    item = services.work_item_create(actor=None, kind="callback", title="Welcome", queue=queue)

    item.refresh_from_db()
    assert item.due_at == eastern("2026-11-30", "11:00")
    assert item.escalate_at == eastern("2026-11-30", "07:00")
    assert item.created_at == eastern("2026-11-25", "11:00")


def test_saturday_work_gets_its_clock_from_monday(queues, monkeypatch):
    queue = queues["groups"]
    queue.sla_policy = SlaPolicy.objects.create(
        name="One business day", clock=SlaPolicy.Clock.BUSINESS_DAYS, amount=1
    )
    queue.save()
    _at(monkeypatch, eastern("2026-11-21", "13:20"))
    item = services.work_item_create(actor=None, kind="task", title="Weekend fax", queue=queue)
    item.refresh_from_db()
    assert item.due_at == eastern("2026-11-24", "00:00")
    assert item.escalate_at == item.due_at  # escalate_before_hours defaults to 0


def test_escalation_comes_the_policy_hours_before_due_even_across_a_clock_change(
    queues, monkeypatch
):
    queue = queues["groups"]
    queue.sla_policy = SlaPolicy.objects.create(
        name="Two business days, escalate two days ahead",
        clock=SlaPolicy.Clock.BUSINESS_DAYS,
        amount=2,
        escalate_before_hours=48,
    )
    queue.save()
    _at(monkeypatch, eastern("2026-10-29", "10:00"))  # Thursday, EDT

    item = services.work_item_create(actor=None, kind="task", title="List bill", queue=queue)

    item.refresh_from_db()
    assert item.due_at == eastern("2026-11-02", "10:00")  # Monday, EST
    assert elapsed(item.escalate_at, item.due_at) == timedelta(hours=48)


def test_an_explicit_due_time_wins_and_sets_the_escalation_time(queues):
    due = timezone.now() + timedelta(hours=5)
    item = services.work_item_create(
        actor=None, kind="task", title="Urgent", queue=queues["coverage"], due_at=due
    )
    item.refresh_from_db()
    assert item.due_at == due
    assert item.escalate_at == due - timedelta(hours=12)

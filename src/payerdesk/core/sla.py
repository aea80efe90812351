"""Due times: calendar hours, or business days that skip weekends and US federal holidays."""

from datetime import UTC, date, datetime, timedelta
from functools import cache

import holidays
from django.utils import timezone


@cache
def _us_federal_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", years=year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _us_federal_holidays(day.year)


def add_business_days(start: datetime, days: int) -> datetime:
    """The same local time of day, `days` business days later.

    Work that arrives on a weekend or holiday starts its clock at the beginning of the
    next business day, so it gets as many business days as work arriving on a Monday.
    """
    local = timezone.localtime(start)
    if not is_business_day(local.date()):
        day = local.date()
        while not is_business_day(day):
            day += timedelta(days=1)
        local = local.replace(
            year=day.year, month=day.month, day=day.day, hour=0, minute=0, second=0, microsecond=0
        )
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    naive = datetime.combine(day, local.time())
    return timezone.make_aware(naive, timezone.get_current_timezone())


def due_at(start: datetime, *, clock: str, amount: int) -> datetime:
    if clock == "calendar_hours":
        # In UTC: adding to a local time would add wall-clock hours (23 or 25 a day at DST).
        # localtime() also refuses a naive start, as the business-day clock does.
        return timezone.localtime(start, UTC) + timedelta(hours=amount)
    if clock == "business_days":
        return add_business_days(start, amount)
    raise ValueError(f"unknown SLA clock {clock!r}")

"""Billing periods and premium per deduction. Pure functions: no database.

A billing year starts on an anniversary of the schedule's first period start (a day of
the month from 1 to 28, so every anniversary and monthly step exists) and always has
exactly the mode's number of periods:

- monthly (12): from the start day to the day before the same day next month;
- semi-monthly (24): each month split at start + 15 days;
- weekly (52) and bi-weekly (26): 7- or 14-day periods; the **last period of the year
  runs to the day before the next year starts** (it takes the 1-2 extra days).

Premium per deduction is the annual premium (monthly x 12) divided by the periods,
rounded half-up to the cent; **the leftover pennies land on the last period of the
year**, so a year always sums to the annual premium exactly. Where half-up rounding of
a tiny premium would leave the last period below zero, the deduction is truncated to the
cent instead, so no period is ever negative.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from payerdesk.core.money import CENT, to_cents

PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12}
_DAYS = {"weekly": 7, "biweekly": 14}


@dataclass(frozen=True)
class Period:
    index: int  # 1-based position in its billing year
    start: date
    end: date  # inclusive
    year_start: date


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (days 1-28 always exist)."""
    total = day.month - 1 + months
    return day.replace(year=day.year + total // 12, month=total % 12 + 1)


def check_anchor(anchor: date) -> None:
    if anchor.day > 28:
        raise ValueError("A billing schedule starts on a day of the month from 1 to 28.")


def periods_of_year(mode: str, year_start: date) -> list[Period]:
    check_anchor(year_start)
    next_year = add_months(year_start, 12)
    if mode in _DAYS:
        step = _DAYS[mode]
        count = PERIODS_PER_YEAR[mode]
        starts = [year_start + timedelta(days=step * i) for i in range(count)]
    elif mode == "monthly":
        starts = [add_months(year_start, i) for i in range(12)]
    elif mode == "semimonthly":
        starts = []
        for i in range(12):
            month = add_months(year_start, i)
            starts += [month, month + timedelta(days=15)]
    else:
        raise ValueError(f"Unknown billing mode {mode!r}.")
    ends = [start - timedelta(days=1) for start in starts[1:]] + [next_year - timedelta(days=1)]
    return [
        Period(index=n, start=start, end=end, year_start=year_start)
        for n, (start, end) in enumerate(zip(starts, ends, strict=True), start=1)
    ]


def year_start_for(anchor: date, day: date) -> date:
    """The start of the billing year that holds `day` (anchor: the first period start)."""
    check_anchor(anchor)
    years = day.year - anchor.year
    start = anchor.replace(year=anchor.year + years)
    return start.replace(year=start.year - 1) if start > day else start


def period_containing(mode: str, anchor: date, day: date) -> Period:
    for period in periods_of_year(mode, year_start_for(anchor, day)):
        if period.start <= day <= period.end:
            return period
    raise AssertionError("the periods of a year cover every day of it")  # pragma: no cover


def periods_between(mode: str, anchor: date, first: date, last: date) -> list[Period]:
    """Every period that starts on or after `first` and on or before `last`."""
    found: list[Period] = []
    year = year_start_for(anchor, max(first, anchor))
    while year <= last:
        found += [p for p in periods_of_year(mode, year) if first <= p.start <= last]
        year = add_months(year, 12)
    return found


def deductions(annual: Decimal, count: int) -> list[Decimal]:
    """The premium of each period of a year; they sum to `annual` exactly, the leftover
    pennies on the last period (rounded down where half-up would overshoot)."""
    if annual < 0:
        raise ValueError("An annual premium cannot be negative.")
    annual = to_cents(annual)
    each = to_cents(annual / count)
    if each * (count - 1) > annual:
        each = (annual / count).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (count - 1) + [annual - each * (count - 1)]


def deduction(monthly_premium: Decimal, mode: str, index: int) -> Decimal:
    """Premium for period `index` (1-based) of a year, from a monthly rate."""
    return _deductions(monthly_premium * 12, PERIODS_PER_YEAR[mode])[index - 1]


@lru_cache(maxsize=8192)
def _deductions(annual: Decimal, count: int) -> tuple[Decimal, ...]:
    # A list bill asks for the same few rates thousands of times.
    return tuple(deductions(annual, count))

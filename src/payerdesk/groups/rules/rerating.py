"""Re-rating a coverage from a date, and the premium difference per billed period.

A change never rewrites a coverage row's terms: it ends the row the day before the
change and opens a new one, so the coverage (and premium) on any date stays answerable.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from payerdesk.core.money import to_cents
from payerdesk.groups.models import Coverage, CoverageStatus, PremiumChange


@dataclass(frozen=True)
class Period:
    first: date  # the first day of the month billed
    days: int  # days of the month the change touches
    days_in_month: int


def month_first(day: date) -> date:
    return day.replace(day=1)


def periods(start: date, end: date | None, *, through: date) -> list[Period]:
    """The monthly periods from `start`'s month to `through`'s month, each with the days
    of it within [start, end]."""
    out = []
    first = month_first(start)
    while first <= through:
        last_day = calendar.monthrange(first.year, first.month)[1]
        span_end = min(first.replace(day=last_day), end or date.max)
        span_start = max(first, start)
        if span_start <= span_end:
            out.append(Period(first, (span_end - span_start).days + 1, last_day))
        first = (first.replace(day=last_day) + timedelta(days=1)).replace(day=1)
    return out


def prorate(monthly: Decimal, period: Period) -> Decimal:
    """The premium for the days of a period: monthly * days / days in month, half-up."""
    if period.days == period.days_in_month:
        return to_cents(monthly)
    return to_cents(monthly * period.days / period.days_in_month)


def premium_changes_record(
    *,
    coverage: Coverage,
    old_monthly: Decimal,
    new_monthly: Decimal,
    start: date,
    end: date | None,
    cause: str,
    policy_change_id: int | None = None,
) -> list[PremiumChange]:
    """For a change effective before today: the difference it makes to each monthly
    period from its effective month through the current month (periods billed in
    advance), prorated by day. Nothing for a change effective today or later."""
    today = timezone.localdate()
    if start >= today:
        return []
    rows = []
    for period in periods(start, end, through=today):
        old, new = prorate(old_monthly, period), prorate(new_monthly, period)
        if old != new:
            rows.append(
                PremiumChange(
                    coverage=coverage,
                    period=period.first,
                    old_amount=old,
                    new_amount=new,
                    difference=new - old,
                    cause=cause[:200],
                    policy_change_id=policy_change_id,
                )
            )
    return PremiumChange.objects.bulk_create(rows)


def end_row(row: Coverage, last_day: date) -> None:
    """End a row on `last_day`; ended before it began, it was never in force."""
    if last_day < row.start_date:
        row.status, row.end_date = CoverageStatus.CANCELLED, row.start_date
    else:
        row.status, row.end_date = CoverageStatus.TERMINATED, last_day
    row.save(update_fields=["status", "end_date"])

"""Billing decisions the business owns, kept in one place.

- Billing rule: a coverage is billed in full for every period whose **first day** it
  covers (no proration); its premium is the monthly rate in force on that day, as a
  deduction of the schedule's mode (`schedules.deduction`).
- Dates of a bill: it is dated `lead_days` before its period starts and due on the
  schedule's `bill_day` of the period (day 1 = the period's first day, never past its
  last day).
- Delinquency: the grace period ends `grace_days` after the due date; the next day the
  policy lapses (notice and work item); it is cancelled for non-payment
  `CANCEL_AFTER_LAPSE_DAYS` after the lapse if the overdue premium is still unpaid,
  with coverage ended on the paid-through date (the day before the first unpaid
  period); paying the back premium reinstates it from that date.
"""

from datetime import date, timedelta

from payerdesk.billing.schedules import Period

CANCEL_AFTER_LAPSE_DAYS = 30
AGING_BUCKETS = (("current", 0), ("30", 30), ("60", 60), ("90+", 90))


def bill_dates(period: Period, *, bill_day: int, lead_days: int) -> tuple[date, date]:
    """(bill date, due date) of the bill for `period`."""
    due = min(period.start + timedelta(days=bill_day - 1), period.end)
    return period.start - timedelta(days=lead_days), due


def aging_bucket(days_past_due: int) -> str:
    """current (not yet past due, or under 30 days), 30, 60 or 90+ days past due."""
    bucket = AGING_BUCKETS[0][0]
    for name, days in AGING_BUCKETS:
        if days_past_due >= days and days > 0:
            bucket = name
    return bucket


def grace_end(due_date: date, grace_days: int) -> date:
    """The last day of the grace period."""
    return due_date + timedelta(days=grace_days)


def lapse_date(grace_ended_on: date) -> date:
    """The policy lapses the day after its grace period, whatever day the review runs."""
    return grace_ended_on + timedelta(days=1)


def cancel_date(lapsed_on: date) -> date:
    """Cancellation for non-payment, counted from the lapse (not from the review)."""
    return lapsed_on + timedelta(days=CANCEL_AFTER_LAPSE_DAYS)

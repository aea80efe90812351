"""Decisions business people own: the determination clocks and the NPI check.

The clocks are rows of `ClockRule` an administrator changes on the Determination clocks
page (`services.clocks.clock_rule_change`, which keeps the history); the defaults below are what
the regulations say and seed the table.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from stdnum import luhn

from payerdesk.priorauth.models import ClockRule, LineOfBusiness, Urgency

# (line of business, urgency) -> (hours, escalate this many hours before, source)
DEFAULT_CLOCKS: dict[tuple[str, str], tuple[int, int, str]] = {
    (LineOfBusiness.PART_D, Urgency.STANDARD): (72, 12, "42 CFR 423.568/423.570"),
    (LineOfBusiness.PART_D, Urgency.EXPEDITED): (24, 4, "42 CFR 423.570"),
    (LineOfBusiness.MEDICARE_ADVANTAGE, Urgency.STANDARD): (168, 24, "CMS-0057-F"),
    (LineOfBusiness.MEDICARE_ADVANTAGE, Urgency.EXPEDITED): (72, 12, "CMS-0057-F"),
    (LineOfBusiness.MEDICAID, Urgency.STANDARD): (168, 24, "CMS-0057-F"),
    (LineOfBusiness.MEDICAID, Urgency.EXPEDITED): (72, 12, "CMS-0057-F"),
    (LineOfBusiness.COMMERCIAL, Urgency.STANDARD): (72, 12, "Plan policy (configurable)"),
    (LineOfBusiness.COMMERCIAL, Urgency.EXPEDITED): (24, 4, "Plan policy (configurable)"),
}


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    escalate_at: datetime


def clock_for(*, line_of_business: str, urgency: str, start: datetime) -> Clock:
    """When a determination started at `start` is due, and when to escalate it."""
    rule = ClockRule.objects.filter(line_of_business=line_of_business, urgency=urgency).first()
    found = (rule.hours, rule.escalate_before_hours) if rule is not None else None
    return clock_from(found, line_of_business=line_of_business, urgency=urgency, start=start)


def clock_from(
    rule: tuple[int, int] | None, *, line_of_business: str, urgency: str, start: datetime
) -> Clock:
    """The clock of a ClockRule row read already as (hours, escalate before), or of the
    regulations' default when there is no row."""
    if rule is not None:
        hours, before = rule
    else:
        hours, before, _ = DEFAULT_CLOCKS[(line_of_business, urgency)]
    # Calendar hours: elapsed time, so adding to an aware datetime is exact across DST.
    due = start + timedelta(hours=hours)
    return Clock(due_at=due, escalate_at=due - timedelta(hours=min(before, hours)))


NPI_PREFIX = "80840"


def npi_is_valid(npi: str) -> bool:
    """Ten digits whose last is the Luhn check digit computed with the prefix 80840."""
    return len(npi) == 10 and npi.isdigit() and luhn.is_valid(NPI_PREFIX + npi)


def npi_with_check_digit(first_nine: str) -> str:
    return first_nine + luhn.calc_check_digit(NPI_PREFIX + first_nine)

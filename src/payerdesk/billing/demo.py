"""Demo data: a monthly billing schedule and the last few months of list bills for each
demo group that has coverage (none when the groups demo has no groups)."""

from datetime import date, timedelta

from django.utils import timezone

from payerdesk.billing import schedules
from payerdesk.billing.models import BillingSchedule
from payerdesk.billing.services import listbills
from payerdesk.groups import selectors as group_selectors

MONTHS_OF_BILLS = 3


def load(today: date | None = None) -> int:
    """Returns the number of bills generated. Safe to run again."""
    today = today or timezone.localdate()
    made = 0
    groups = group_selectors.groups_active_with_coverage()
    for group in groups.exclude(billing_schedule__isnull=False):
        start = group.effective_date.replace(day=min(group.effective_date.day, 28))
        listbills.billing_schedule_set(
            actor=None, group=group, mode="monthly", first_period_start=start
        )
    for schedule in BillingSchedule.objects.filter(group__in=groups).select_related("group"):
        first = max(
            schedule.first_period_start,
            schedules.add_months(today.replace(day=1), -MONTHS_OF_BILLS),
        )
        last = today + timedelta(days=schedule.lead_days)
        for period in schedules.periods_between(
            schedule.mode, schedule.first_period_start, first, last
        ):
            result = listbills.list_bill_generate(
                actor=None, group=schedule.group, period_start=period.start
            )
            made += result.created
    return made

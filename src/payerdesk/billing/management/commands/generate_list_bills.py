from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payerdesk.billing.models import BillingSchedule
from payerdesk.billing.services import listbills
from payerdesk.billing.tasks import generate_due_list_bills
from payerdesk.core.errors import ServiceError
from payerdesk.groups import selectors as group_selectors


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Generate list bills. With --period, the bill of that period (any day of it) for "
        "--group or every billed group; without, every bill whose bill date has come "
        "(what the daily job does). A bill that exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", help="Group number")
        parser.add_argument("--period", type=_date, help="Any day of the period (YYYY-MM-DD)")
        parser.add_argument("--today", type=_date, help="Run as of this day (default: today)")
        parser.add_argument("--enqueue", action="store_true", help="Hand the run to the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        today: date = options["today"] or timezone.localdate()
        if options["enqueue"]:
            result = generate_due_list_bills.enqueue(today.isoformat())
            self.stdout.write(f"Enqueued list bill generation as task {result.id}.")
            return
        billed = BillingSchedule.objects.values("group_id")
        if options["group"]:
            billed = billed.filter(group__group_number=options["group"].strip().upper())
        groups = group_selectors.groups_by_pk(billed)
        if options["group"] and not groups.exists():
            raise CommandError(f"No group {options['group']!r} with a billing schedule.")
        try:
            if options["period"]:
                made = [
                    listbills.list_bill_generate(
                        actor=None, group=group, period_start=options["period"]
                    )
                    for group in groups
                ]
            else:
                made = [
                    generated
                    for generated in listbills.list_bills_generate_due(today=today)
                    if generated.bill.group in groups
                ]
        except ServiceError as error:
            raise CommandError(error.message) from None
        for generated in made:
            bill = generated.bill
            state = "generated" if generated.created else "exists"
            self.stdout.write(
                f"{bill.group.group_number} {bill.period_start}..{bill.period_end}: {state}, "
                f"{bill.lines.count()} line(s), total {bill.total}, due {bill.due_date}"
            )
        if not made:
            self.stdout.write("No list bills due.")

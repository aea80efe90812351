from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.billing.services.delinquency import delinquency_review
from payerdesk.billing.tasks import review_delinquency
from payerdesk.core.errors import ServiceError
from payerdesk.groups import selectors as group_selectors


class Command(BaseCommand):
    help = (
        "Lapse groups unpaid past their grace period (notice + work item), cancel lapsed "
        "groups still unpaid on their cancellation date, reinstate groups whose back "
        "premium is paid. Daily, for cron; safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", help="Group number (default: every billed group)")
        parser.add_argument("--today", help="Run as of this day, YYYY-MM-DD")
        parser.add_argument("--enqueue", action="store_true", help="Hand the run to the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError(f"--today {options['today']!r} is not YYYY-MM-DD.") from None
        if options["enqueue"]:
            queued = review_delinquency.enqueue(today.isoformat() if today else None)
            self.stdout.write(f"Enqueued the delinquency review as task {queued.id}.")
            return
        group = None
        if options["group"]:
            group = group_selectors.group_by_number(options["group"])
            if group is None:
                raise CommandError(f"No group {options['group']!r}.")
        try:
            result = delinquency_review(today=today, group=group)
        except ServiceError as error:
            raise CommandError(error.message) from None
        for label, numbers in (("Lapsed", result.lapsed), ("Cancelled", result.cancelled),
                               ("Reinstated", result.reinstated)):  # fmt: skip
            self.stdout.write(f"{label}: {', '.join(numbers) or 'none'}")

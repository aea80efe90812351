from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from payerdesk.core import services
from payerdesk.core.tasks import tick


class Command(BaseCommand):
    help = "Escalate work past its escalation time and send due follow-up reminders (for cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help="Hand the run to the task worker instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = tick.enqueue()
            self.stdout.write(f"Enqueued tick as task {result.id}.")
            return
        outcome = services.tick()
        self.stdout.write(
            f"Escalated {outcome.escalated} item(s); sent {outcome.reminders_sent} reminder(s)."
        )

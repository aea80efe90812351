from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make and send every determination letter still due. The task worker does this "
        "after each decision, and the scheduler catches up every 15 minutes; this does it "
        "now. Safe to run any time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from payerdesk.priorauth.tasks import issue_due_letters

        self.stdout.write(f"{issue_due_letters.call()} letter(s) issued.")

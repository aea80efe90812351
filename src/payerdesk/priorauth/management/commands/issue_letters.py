from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make and send every determination letter still due. The task worker does this "
        "after each decision; this catches up after an outage. Safe to run any time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from payerdesk.priorauth import selectors, services

        issued = sum(
            services.letter_issue(letter_id=letter_id).issued
            for letter_id in selectors.letters_due()
        )
        self.stdout.write(f"{issued} letter(s) issued.")

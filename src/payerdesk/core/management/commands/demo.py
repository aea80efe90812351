from typing import Any

from django.core.management.base import BaseCommand

from payerdesk.core.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo organisation, one user per role and open work (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_load()
        self.stdout.write("Demo data loaded." if result.created else "Demo data already present.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in result.users:
            self.stdout.write(f"  {username:<12} {role}")

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import User


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="CLI-issued token")
        parser.add_argument("--days", type=int, help="Expire after this many days")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is disabled.")
        days = options["days"]
        if days is not None and days <= 0:
            raise CommandError("--days must be positive.")
        expires = timezone.now() + timedelta(days=days) if days else None
        token, raw = services.api_token_issue(
            actor=None, user=user, name=options["name"], expires_at=expires
        )
        self.stdout.write(raw)
        self.stderr.write(f"Issued token {token.prefix}… for {user.username}.")

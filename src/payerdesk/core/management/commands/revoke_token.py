from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.core import services
from payerdesk.core.models import ApiToken


class Command(BaseCommand):
    help = "Revoke an API token, given the prefix shown when it was issued (pd_…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        matches = list(ApiToken.objects.filter(prefix=options["prefix"][:10]))
        if len(matches) != 1:
            raise CommandError(f"{len(matches)} tokens start with {options['prefix']!r}.")
        services.api_token_revoke(actor=None, token=matches[0])
        self.stdout.write(f"Revoked {matches[0].prefix}… of {matches[0].user.username}.")

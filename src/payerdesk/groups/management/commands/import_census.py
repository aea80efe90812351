from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.core.errors import ServiceError
from payerdesk.core.models import User
from payerdesk.groups.management.progress import progress_bar
from payerdesk.groups.services.census import COLUMNS


class Command(BaseCommand):
    help = (
        "Apply a census (CSV or Excel .xlsx), all or nothing; --dry-run shows what applying "
        "would change. Header columns: " + ", ".join(COLUMNS)
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Show changes, apply none")
        parser.add_argument("--user", help="Apply as this user (default: a trusted batch)")

    def handle(self, *args: Any, **options: Any) -> None:
        from payerdesk.groups.models import ImportJob
        from payerdesk.groups.services.census import census_apply
        from payerdesk.groups.services.imports import estimate_total

        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = _actor(options["user"])
        content = path.read_bytes()
        try:
            with progress_bar(
                self.stderr, estimate_total(ImportJob.Kind.CENSUS, content), "rows"
            ) as done:
                result = census_apply(
                    actor=actor, name=path.name, content=content, dry_run=options["dry_run"],
                    progress=done,
                )  # fmt: skip
        except ServiceError as error:
            raise CommandError(error.message) from None
        heading = "Dry run: nothing applied." if result.dry_run else "Applied."
        if result.already_imported:
            heading = "Already imported."
        self.stdout.write(f"{path.name}: {heading} {result.rows} row(s), "
                          f"{result.members_added} member(s) enrolled")  # fmt: skip
        for change in result.changes:
            self.stdout.write(f"  {change}")


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    actor = User.objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user {username!r}.")
    return actor

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.core.errors import ServiceError
from payerdesk.core.models import User
from payerdesk.edi import X12Error
from payerdesk.edi.x834 import MAINTENANCE_TYPES, summarize_834
from payerdesk.groups.management.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Apply an X12 834 enrollment file, all or nothing. --check reads and validates the "
        "file alone (no database); --dry-run shows what applying would change."
    )
    requires_system_checks: list[str] = []  # --check must run without a database
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="Validate only; no database")
        mode.add_argument("--dry-run", action="store_true", help="Show changes, apply none")
        parser.add_argument(
            "--apply-audit", action="store_true",
            help="Apply a full (030 audit) file's differences, not only report them",
        )  # fmt: skip
        parser.add_argument("--user", help="Apply as this user (default: a trusted batch)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if options["check"]:
            self._check(path)
            return
        from payerdesk.groups.models import ImportJob
        from payerdesk.groups.services.enrollment import enrollment_834_apply
        from payerdesk.groups.services.imports import estimate_total

        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        content = path.read_bytes()
        try:
            with progress_bar(
                self.stderr, estimate_total(ImportJob.Kind.X834, content), "members"
            ) as done:
                result = enrollment_834_apply(
                    actor=actor, name=path.name, content=content, dry_run=options["dry_run"],
                    apply_audit=options["apply_audit"], progress=done,
                )  # fmt: skip
        except ServiceError as error:
            raise CommandError(error.message) from None
        heading = "Dry run: nothing applied." if result.dry_run else "Applied."
        if result.already_imported:
            heading = "Already imported: nothing changed."
        elif result.audit:
            heading = (
                "Full (030 audit) file: differences applied."
                if result.audit_applied
                else "Full (030 audit) file: differences reported, nothing applied "
                "(--apply-audit applies them)."
            )
        self.stdout.write(f"{path.name} (ISA13 {result.interchange_control_number}): {heading}")
        self._counts(dict(result.by_maintenance_type))
        for change in result.changes:
            self.stdout.write(f"  {change}")
        if result.absence_means:
            self.stdout.write(f"What absence from a full file means: {result.absence_means}")

    def _check(self, path: Path) -> None:
        try:
            with path.open("rb") as source:
                summary = summarize_834(source)
        except X12Error as error:
            raise CommandError(f"{path.name}: {error}") from None
        self.stdout.write(
            f"{path.name}: valid 834, ISA13 {summary.interchange_control_number}, "
            f"{summary.transaction_sets} transaction set(s), {summary.members} member(s), "
            f"{summary.coverages} coverage line(s)"
        )
        self._counts(summary.by_maintenance_type)

    def _counts(self, counts: dict[str, int]) -> None:
        for code, count in sorted(counts.items()):
            self.stdout.write(f"  {code} {MAINTENANCE_TYPES[code]:<20} {count:>8}")

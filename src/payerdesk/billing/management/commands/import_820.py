from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payerdesk.edi import X12Error, load_820
from payerdesk.edi.x820 import Remittance as Remittance820


class Command(BaseCommand):
    help = (
        "Receive an X12 820 premium remittance: store, reconcile and post it, whole. "
        "--check reads and validates the file alone (no database) and prints its lines."
    )
    requires_system_checks: list[str] = []  # --check must run without a database
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--check", action="store_true", help="Validate only; no database")
        parser.add_argument("--group", help="Group number, when REF*38 does not name it")
        parser.add_argument("--user", help="Receive as this user (default: a trusted batch)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if options["check"]:
            self._check(path)
            return
        self._receive(path, options["group"], options["user"])

    def _receive(self, path: Path, group_number: str | None, username: str | None) -> None:
        from payerdesk.billing.services.remittances import remittance_file_receive
        from payerdesk.core.errors import ServiceError
        from payerdesk.core.models import User
        from payerdesk.groups import selectors as group_selectors

        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {username!r}.")
        group = None
        if group_number:
            group = group_selectors.group_by_number(group_number)
            if group is None:
                raise CommandError(f"No group {group_number!r}.")
        try:
            result = remittance_file_receive(
                actor=actor, name=path.name, content=path.read_bytes(), group=group
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{path.name}: {result.summary()}")

    def _check(self, path: Path) -> None:
        try:
            with path.open("rb") as source:
                remittance = load_820(source)
        except X12Error as error:
            raise CommandError(f"{path.name}: {error}") from None
        self._print(path.name, remittance)

    def _print(self, name: str, remittance: Remittance820) -> None:
        write = self.stdout.write
        write(
            f"{name}: valid 820, ISA13 {remittance.interchange_control_number}, "
            f"{len(remittance.headers)} transaction set(s), {len(remittance.lines)} line(s), "
            f"{remittance.members} member(s)"
        )
        for header in remittance.headers:
            write(
                f"  set {header.control_number}: BPR02 {header.total} ({header.handling} "
                f"{header.payment_method}) on {header.payment_date}, trace "
                f"{header.trace_number}, payer {header.payer_name or header.sender_id}"
            )
        write(f"  {'segment':>7}  {'member':<20} {'period':<23} {'paid':>12} {'billed':>12}")
        for line in remittance.lines:
            period = f"{line.period_start or ''}..{line.period_end or ''}"
            billed = "" if line.billed is None else str(line.billed)
            who = line.member_id if line.individual else f"(group {line.entity_id})"
            adjustments = "".join(f" ADX {a.amount}/{a.reason}" for a in line.adjustments)
            write(
                f"  {line.segment_number:>7}  {who:<20} {period:<23} {line.paid:>12} "
                f"{billed:>12}{adjustments}"
            )
        write(f"  total paid {remittance.total}, billed (RMR05) {remittance.billed}")

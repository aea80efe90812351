"""Posting to the premium ledger: balanced double-entry journal entries, append-only.

Every amount that moves (a bill, a payment, an application from suspense, a refund, a
write-off, a reversal) is one `journal_post`. Debits equal credits in every entry; a
correction is a reversing entry, never an edit. Balances: `selectors.balance`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from payerdesk.billing.models import ZERO, Account, JournalEntry, JournalLine
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.groups.models import EmployerGroup

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One side of an entry: give `debit` or `credit` (the other stays zero)."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    member_id: int | None = None
    period_start: date | None = None


def _invalid(message: str, n: int) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=f"lines[{n}]")


def _check(lines: Sequence[Line]) -> None:
    if not lines:
        raise InvalidInput(ErrorCode.INVALID, "A journal entry needs lines.", field="lines")
    accounts = set(Account.values)
    for n, line in enumerate(lines):
        if not line.account:
            raise _invalid(f"Line {n + 1} has no account.", n)
        if line.account not in accounts:
            raise _invalid(f"Line {n + 1}: unknown account {line.account!r}.", n)
        if line.debit < 0 or line.credit < 0:
            raise _invalid(f"Line {n + 1}: amounts cannot be negative.", n)
        if (line.debit > 0) == (line.credit > 0):
            raise _invalid(f"Line {n + 1}: give a debit or a credit above zero, not both.", n)
        if line.debit != line.debit.quantize(CENT) or line.credit != line.credit.quantize(CENT):
            raise _invalid(f"Line {n + 1}: amounts are in whole cents.", n)
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"Unbalanced entry: debits {debits} and credits {credits}.",
            field="lines",
        )


def journal_post(
    *,
    group: EmployerGroup,
    lines: Sequence[Line],
    memo: str,
    source: str,
    source_id: str = "",
    effective_date: date | None = None,
    created_by: User | None = None,
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Post one balanced entry, or refuse it whole (nothing written)."""
    _check(lines)
    if not source:
        raise InvalidInput(ErrorCode.INVALID, "Say what posts the entry.", field="source")
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            effective_date=effective_date or timezone.localdate(),
            memo=memo[:200],
            source=source,
            source_id=source_id,
            group=group,
            created_by=created_by,
            reverses=reverses,
        )
        JournalLine.objects.bulk_create(
            (
                JournalLine(
                    entry=entry,
                    account=line.account,
                    group=group,
                    member_id=line.member_id,
                    period_start=line.period_start,
                    debit=line.debit,
                    credit=line.credit,
                )
                for line in lines
            ),
            batch_size=5000,
        )
    return entry


def journal_reverse(
    *, entry: JournalEntry, memo: str, created_by: User | None = None
) -> JournalEntry:
    """Post the mirror of `entry` (debits become credits), once. It keeps the source,
    so a reversed bill nets to nothing under that bill."""
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise Conflict(ErrorCode.INVALID, f"Journal entry {entry.pk} is already reversed.")
    mirror = [
        Line(
            account=line.account,
            debit=line.credit,
            credit=line.debit,
            member_id=line.member_id,
            period_start=line.period_start,
        )
        for line in entry.lines.all()
    ]
    return journal_post(
        group=entry.group,
        lines=mirror,
        memo=memo,
        source=entry.source,
        source_id=entry.source_id,
        created_by=created_by,
        reverses=entry,
    )

"""Posting to the premium ledger: balanced double-entry journal entries, append-only.

Every amount that moves (a bill, a payment, an application from suspense, a refund, a
write-off, a reversal) is one `journal_post`. Debits equal credits in every entry; a
correction is a reversing entry, never an edit. Balances: `selectors.listbills.balance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from payerdesk.billing.models import Account, JournalEntry, JournalLine
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, is_cents, to_cents

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

SqlParam = int | Decimal | str | date | None


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


def lines_check(lines: Sequence[Line]) -> None:
    """Refuse lines that cannot make an entry (no lines, unknown account, a negative,
    both sides or neither, fractions of a cent, unbalanced), naming the line."""
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
        if not (is_cents(line.debit) and is_cents(line.credit)):
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
    lines_check(lines)
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


def journal_post_per_member(
    *,
    group: EmployerGroup,
    account: str,
    against: str,
    amounts_sql: str,
    params: list[SqlParam],
    memo: str,
    source: str,
    source_id: str = "",
    effective_date: date | None = None,
    created_by: User | None = None,
) -> JournalEntry | None:
    """Post one entry whose `account` lines come from a query, set-based, for entries
    too large to build row by row (a list bill of 100,000 members).

    `amounts_sql` selects (member_id, period_start, amount): a signed amount per member
    and period (above zero: debit `account`; below: credit it). One `against` line
    balances the entry. The same checks as `journal_post` run on what was written, in
    the same transaction; None when every amount nets to zero (nothing is posted).
    """
    accounts = set(Account.values)
    if account not in accounts or against not in accounts:
        raise InvalidInput(ErrorCode.INVALID, "Unknown account.", field="account")
    line_table = JournalLine._meta.db_table
    with transaction.atomic():
        entry = JournalEntry.objects.create(
            effective_date=effective_date or timezone.localdate(), memo=memo[:200],
            source=source, source_id=source_id, group=group, created_by=created_by,
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {line_table} "  # noqa: S608 - table names from the models
                "(entry_id, account, group_id, member_id, period_start, debit, credit) "
                "SELECT %s, %s, %s, member_id, period_start, "
                "CASE WHEN amount > 0 THEN amount ELSE 0 END, "
                "CASE WHEN amount < 0 THEN -amount ELSE 0 END "
                f"FROM (SELECT member_id, period_start, ROUND(amount, 2) AS amount "
                f"FROM ({amounts_sql}) AS amounts) AS rounded WHERE amount <> 0",
                [entry.pk, account, group.pk, *params],
            )
        sums = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        net = (sums["debit"] or ZERO) - (sums["credit"] or ZERO)
        net = to_cents(net)
        if sums["debit"] is None:
            transaction.set_rollback(True)
            return None
        if net != ZERO:
            JournalLine.objects.create(
                entry=entry, account=against, group=group,
                debit=max(-net, ZERO), credit=max(net, ZERO),
            )  # fmt: skip
        _check_written(entry)
    return entry


def _check_written(entry: JournalEntry) -> None:
    sums = entry.lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    if to_cents(sums["debit"] - sums["credit"]) != ZERO:
        raise InvalidInput(ErrorCode.INVALID, "Unbalanced entry.", field="lines")
    if entry.lines.filter(debit__lt=0).exists() or entry.lines.filter(credit__lt=0).exists():
        raise InvalidInput(ErrorCode.INVALID, "Amounts cannot be negative.", field="lines")

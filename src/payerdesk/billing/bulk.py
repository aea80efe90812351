"""Writing many rows fast: PostgreSQL COPY, or executemany elsewhere (SQLite).

Model instances cost more to build than the row is worth when a remittance brings
100,000 lines; these rows are plain tuples in the table's column order. Callers check
the values first (the services do); the database checks its constraints as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection

from payerdesk.billing.models import JournalEntry, JournalLine
from payerdesk.billing.services import ledger
from payerdesk.billing.services.ledger import Line
from payerdesk.core.models import User

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

Value = int | str | Decimal | date | None


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Value]]) -> None:
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608 - model tables
                list(rows),
            )


def journal_post_many(
    *,
    group: EmployerGroup,
    lines: Sequence[Line],
    memo: str,
    source: str,
    source_id: str,
    effective_date: date,
    created_by: User | None,
) -> JournalEntry:
    """`ledger.journal_post` for entries of many lines: the same checks on the lines
    before anything is written, then the lines by COPY. Call inside a transaction."""
    ledger.lines_check(lines)
    entry = JournalEntry.objects.create(
        effective_date=effective_date, memo=memo[:200], source=source, source_id=source_id,
        group=group, created_by=created_by,
    )  # fmt: skip
    insert_rows(
        JournalLine._meta.db_table,
        ("entry_id", "account", "group_id", "member_id", "period_start", "debit", "credit"),
        (
            (entry.pk, line.account, group.pk, line.member_id, line.period_start, line.debit,
             line.credit)
            for line in lines
        ),
    )  # fmt: skip
    return entry

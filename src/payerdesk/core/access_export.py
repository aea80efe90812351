"""The access log as CSV, for auditors who take it into a spreadsheet."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain

from django.utils import timezone

from payerdesk.core.models import AccessLogEntry

COLUMNS = ("at", "user", "action", "channel", "record_type", "record_id", "ip_address",
           "user_agent", "path")  # fmt: skip
# A spreadsheet runs a cell that starts with one of these as a formula; the user agent
# and the path come from clients, so such a cell is written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(entry: AccessLogEntry) -> list[str]:
    return [
        timezone.localtime(entry.at).isoformat(),
        entry.username,
        entry.action,
        entry.channel,
        entry.record_type,
        entry.record_id,
        entry.ip_address or "",
        entry.user_agent,
        entry.path,
    ]


def access_log_csv(entries: Iterable[AccessLogEntry]) -> Iterator[str]:
    """The header line, then one line per entry, each as it is written (a long log is
    streamed, never held whole)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in chain([list(COLUMNS)], map(_row, entries)):
        writer.writerow([_cell(value) for value in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()

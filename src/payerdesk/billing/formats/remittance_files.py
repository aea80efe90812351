"""Reading what an employer sends back into paid lines: an X12 820, or the returned list
bill as CSV or Excel. Pure: no database. Every problem names its place (segment and
element, or row and column); a sheet reports up to `MAX_ERRORS` problems at once.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from payerdesk.core.money import is_cents, to_cents
from payerdesk.edi import Remittance as Remittance820
from payerdesk.edi import X12Error, load_820

MAX_ERRORS = 20
_AMOUNT = re.compile(r"-?\$?(\d{1,3}(,\d{3})+|\d{1,12})(\.\d{1,2})?")
_MONTH = re.compile(r"(\d{4})-(\d{2})")

# Column names as employers write them -> ours.
COLUMNS = {
    "member id": "member_id",
    "member_id": "member_id",
    "member": "member_id",
    "amount": "amount",
    "amount paid": "amount",
    "paid": "amount",
    "period": "period",
    "period start": "period",
    "period_start": "period",
    "note": "note",
    "notes": "note",
    "change notes": "note",
    "change note": "note",
}
REQUIRED = ("member_id", "amount")


@dataclass(frozen=True, slots=True)
class PaidLine:
    """One amount and who it is for; `position` is the sheet row or the RMR segment."""

    position: int
    member_ref: str
    period_start: date | None
    paid: Decimal
    period_end: date | None = None
    billed: Decimal | None = None
    note: str = ""


class SheetError(ValueError):
    """Problems in a returned list bill, each with its row and column."""

    def __init__(self, problems: Sequence[str], more: int = 0) -> None:
        self.problems = list(problems)
        tail = f" (and {more} more)" if more else ""
        super().__init__("; ".join(self.problems) + tail)


@dataclass
class Sheet:
    lines: list[PaidLine]

    @property
    def total(self) -> Decimal:
        return sum((line.paid for line in self.lines), Decimal(0))


def lines_from_820(remittance: Remittance820) -> list[PaidLine]:
    """Member lines as paid lines; organisation-level lines keep an empty member."""
    return [
        PaidLine(
            position=line.segment_number,
            member_ref=line.member_id,
            period_start=line.period_start,
            period_end=line.period_end,
            paid=line.paid,
            billed=line.billed,
            note="; ".join(f"ADX {a.amount} reason {a.reason}" for a in line.adjustments),
        )
        for line in remittance.lines
    ]


def read_820_bytes(content: bytes) -> Remittance820:
    """The 820, or an `X12Error` naming the segment and element."""
    return load_820(io.BytesIO(content))


def parse_amount(text: str) -> Decimal | None:
    text = text.strip()
    if not _AMOUNT.fullmatch(text):
        return None
    return to_cents(Decimal(text.replace("$", "").replace(",", "")))


def parse_period(value: object) -> date | None:
    """A date (2026-01-01, or the month 2026-01 meaning its first day), or None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    month = _MONTH.fullmatch(text)
    try:
        if month:
            return date(int(month[1]), int(month[2]), 1)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _cell_amount(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):  # Excel numbers: at most two decimals
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        return amount if is_cents(amount) else None
    return parse_amount(str(value))


def _header(cells: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = COLUMNS.get(str(cell or "").strip().lower())
        if name and name not in found:
            found[name] = index
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        names = ", ".join(name.replace("_", " ") for name in missing)
        raise SheetError([f"row 1: the header names no {names} column"])
    return found


def _row(number: int, cells: Sequence[object], columns: dict[str, int]) -> PaidLine | list[str]:
    def cell(name: str) -> object:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    problems = []
    member = str(cell("member_id") or "").strip()
    if not member:
        problems.append(f"row {number}, column member id: empty")
    raw_amount = cell("amount")
    amount = _cell_amount(raw_amount if raw_amount is not None else "")
    note = str(cell("note") or "").strip()[:200]
    if amount is None:
        problems.append(f"row {number}, column amount: {raw_amount!r} is not an amount")
    elif amount < 0 and not note:
        problems.append(
            f"row {number}, column amount: {amount} is negative; a credit needs a change note"
        )
    raw_period = cell("period")
    period = None
    if raw_period not in (None, ""):
        period = parse_period(raw_period)
        if period is None:
            problems.append(f"row {number}, column period: {raw_period!r} is not a date")
    if problems or amount is None:
        return problems
    return PaidLine(number, member, period, amount, note=note)


def _read_rows(rows: Iterable[Sequence[object]]) -> Sheet:
    iterator: Iterator[Sequence[object]] = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise SheetError(["row 1: the sheet is empty"])
    columns = _header(header)
    lines: list[PaidLine] = []
    problems: list[str] = []
    for number, cells in enumerate(iterator, start=2):
        if not any(str(c or "").strip() for c in cells):
            continue  # blank rows are not lines
        result = _row(number, cells, columns)
        if isinstance(result, PaidLine):
            lines.append(result)
        else:
            problems.extend(result)
    if problems:
        raise SheetError(problems[:MAX_ERRORS], max(len(problems) - MAX_ERRORS, 0))
    if not lines:
        raise SheetError(["the sheet has no member lines"])
    return Sheet(lines)


def read_csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError([f"byte {error.start}: the file is not UTF-8 text"]) from None
    return _read_rows(csv.reader(io.StringIO(text)))


def read_excel(content: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise SheetError([f"the Excel file cannot be opened ({type(error).__name__})"]) from None
    try:
        return _read_rows(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def kind_of(name: str, content: bytes) -> str:
    """'820', 'excel' or 'csv', from the content first, then the name."""
    head = content.lstrip()[:3]
    if head == b"ISA":
        return "820"
    if content[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        return "excel"
    return "csv"


__all__ = ["PaidLine", "SheetError", "X12Error", "kind_of", "read_csv", "read_excel"]

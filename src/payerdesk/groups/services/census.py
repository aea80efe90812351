"""Census import: an employer's member list as CSV or Excel, applied all or nothing.

One row is one person and one coverage line. Columns are found by their header name
(case and spaces do not matter); the header is documented in `COLUMNS`. A column the
header does not know is refused by name, and every bad cell is reported as
"row 12, column birth_date: '1985-13-01' is not a date". Rows go through the same
set-based member upsert and coverage add as an 834 (`enrollment_batch.Batch`), in one
transaction; a dry run rolls back on purpose. The same file twice changes nothing.

What a row does: a person not stored is enrolled (an employee before their
dependents); a stored person takes the row's demographics where they differ. The
product is covered from effective_date unless the same tier and benefit are already
in force; a different tier or benefit ends the open coverage the day before
effective_date and starts a re-rated one; termination_date ends the coverage on that
(last covered) day.
"""

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction

from payerdesk.core.db import statements_unprepared
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import User
from payerdesk.core.money import is_cents
from payerdesk.groups.models import (
    CensusFile,
    Coverage,
    Member,
    Relationship,
    TerminationReason,
    Tier,
)
from payerdesk.groups.services.enrollment_batch import Batch, CoverageFacts, PersonFacts, refused

# The documented header: column -> what it holds. Optional columns may be left out.
COLUMNS = {
    "group_number": "the employer group's number",
    "subscriber_id": "the employee's id (the same on each of their dependents' rows)",
    "member_id": "this person's id",
    "relationship": "employee, spouse, child or life partner (or X12 code 18, 01, 19, 53)",
    "first_name": "first name",
    "last_name": "last name",
    "birth_date": "date of birth, YYYY-MM-DD or MM/DD/YYYY",
    "sex": "F, M or U",
    "address_line1": "street address",
    "address_line2": "second address line (optional column)",
    "city": "city",
    "state": "two-letter state code",
    "postal_code": "ZIP code",
    "hire_date": "date of hire (employees; may be blank)",
    "employment_class": "employment class, e.g. Full-time hourly (may be blank)",
    "tobacco": "Y or N",
    "product_code": "the product's code, e.g. term-life",
    "tier": "coverage tier: EMP, ESP, ECH or FAM",
    "benefit_amount": "benefit amount in dollars (per-unit plans; blank for tier plans)",
    "effective_date": "coverage effective date",
    "termination_date": "last covered day (optional column)",
}
OPTIONAL = frozenset({"address_line2", "termination_date"})
REQUIRED_CELLS = ("group_number", "subscriber_id", "member_id", "relationship", "last_name",
                  "birth_date", "product_code", "tier", "effective_date")  # fmt: skip
RELATIONSHIPS: dict[str, str] = {
    "employee": Relationship.SELF, "self": Relationship.SELF, "18": Relationship.SELF,
    "spouse": Relationship.SPOUSE, "01": Relationship.SPOUSE, "1": Relationship.SPOUSE,
    "child": Relationship.CHILD, "19": Relationship.CHILD,
    "life partner": Relationship.DOMESTIC_PARTNER, "53": Relationship.DOMESTIC_PARTNER,
    "domestic partner": Relationship.DOMESTIC_PARTNER,
}  # fmt: skip
YES, NO = {"y", "yes", "true", "1"}, {"n", "no", "false", "0", ""}
CHUNK = 1000
Progress = Callable[[int], None]
Cell = str | int | float | Decimal | date | datetime | None


@dataclass
class CensusResult:
    name: str
    dry_run: bool
    already_imported: bool = False
    rows: int = 0
    members_added: int = 0
    changes: list[str] = field(default_factory=list)


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run."""


def _bad(where: str, message: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, f"{where}: {message}", field="file")


def census_apply(
    *,
    actor: User | None,
    name: str,
    content: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> CensusResult:
    """Apply (or, with `dry_run`, rehearse) a census file. `actor` None: a trusted batch."""
    if actor is not None and not actor.has_perm("groups.add_member"):
        raise NotPermitted("Your role does not apply census files.")
    digest = hashlib.sha256(content).hexdigest()
    result = CensusResult(name=name, dry_run=dry_run)
    earlier = CensusFile.objects.filter(sha256=digest).first()
    if earlier is not None:
        result.already_imported = True
        result.changes.append(
            f"Already imported on {earlier.received_at:%Y-%m-%d %H:%M}: nothing changed."
        )
        return result
    rows = census_rows(name, content)
    try:
        with transaction.atomic(), statements_unprepared():
            _Apply(actor, result, progress).run(rows)
            if dry_run:
                raise _Rollback
            record = CensusFile(
                name=name[:200], sha256=digest, size=len(content), received_by=actor,
                summary={"rows": result.rows, "changes": len(result.changes)},
            )  # fmt: skip
            record.content.save(digest, ContentFile(content), save=False)
            record.save()
    except _Rollback:
        pass
    return result


# ---- reading -------------------------------------------------------------------------


def _is_excel(name: str, content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def _raw_rows(name: str, content: bytes) -> Iterator[list[Cell]]:
    if _is_excel(name, content):
        yield from _excel_rows(name, content)
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _bad(name, f"byte {error.start} is not UTF-8 text: save the file as CSV "
                         "UTF-8 or Excel (.xlsx)") from None  # fmt: skip
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as error:
        raise _bad(name, f"not a readable CSV file ({error})") from None


def _excel_rows(name: str, content: bytes) -> Iterator[list[Cell]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise _bad(name, f"not a readable Excel workbook ({type(error).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _header(name: str, cells: list[Cell]) -> dict[str, int]:
    names = [str(cell or "").strip().lower().replace(" ", "_") for cell in cells]
    while names and not names[-1]:
        names.pop()
    unknown = [n or f"(blank, column {i + 1})" for i, n in enumerate(names) if n not in COLUMNS]
    if unknown:
        raise _bad(f"{name}, row 1", f"unknown column(s) {', '.join(map(repr, unknown))}; "
                                      f"the census header is {', '.join(COLUMNS)}")  # fmt: skip
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _bad(f"{name}, row 1", f"column(s) {', '.join(twice)} appear more than once")
    missing = [n for n in COLUMNS if n not in names and n not in OPTIONAL]
    if missing:
        raise _bad(f"{name}, row 1", f"missing column(s) {', '.join(missing)}")
    return {n: i for i, n in enumerate(names)}


@dataclass(slots=True)
class CensusRow:
    number: int
    person: PersonFacts
    coverage: CoverageFacts
    termination: date | None


def census_rows(name: str, content: bytes) -> Iterator[CensusRow]:
    """The file's rows, each parsed and checked; the header is checked before any row."""
    raw = _raw_rows(name, content)
    first = next(raw, None)
    if first is None:
        raise _bad(name, "the file is empty: a census starts with its header row")
    columns = _header(name, first)
    return _parsed(columns, raw)


def _parsed(columns: dict[str, int], raw: Iterator[list[Cell]]) -> Iterator[CensusRow]:
    for number, cells in enumerate(raw, start=2):
        if all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        yield _Row(number, columns, cells).parse()


class _Row:
    def __init__(self, number: int, columns: dict[str, int], cells: list[Cell]) -> None:
        self.number, self.columns, self.cells = number, columns, cells

    def where(self, column: str) -> str:
        return f"row {self.number}, column {column}"

    def raw(self, column: str) -> Cell:
        at = self.columns.get(column)
        return self.cells[at] if at is not None and at < len(self.cells) else None

    def text(self, column: str) -> str:
        value = self.raw(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # Excel stores ids typed as numbers as floats
        text = "" if value is None else str(value).strip()
        if not text and column in REQUIRED_CELLS:
            raise _bad(self.where(column), "is empty")
        return text

    def day(self, column: str) -> date | None:
        value = self.raw(column)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = self.text(column)
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date
            except ValueError:
                continue
        raise _bad(self.where(column), f"{text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")

    def choice(self, column: str, allowed: dict[str, str], default: str = "") -> str:
        text = self.text(column)
        key = text.lower() if text.lower() in allowed else text.upper()
        if not text and default:
            return default
        if key not in allowed:
            raise _bad(self.where(column), f"{text!r} is not one of {', '.join(allowed)}")
        return allowed[key]

    def amount(self, column: str) -> Decimal | None:
        text = self.text(column).replace(",", "").removeprefix("$")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or not is_cents(value):
            raise _bad(self.where(column), f"{text!r} is not an amount in dollars and cents")
        return value

    def parse(self) -> CensusRow:
        tobacco = self.text("tobacco").lower()
        if tobacco not in YES | NO:
            raise _bad(self.where("tobacco"), f"{tobacco!r} is not Y or N")
        birth = self.day("birth_date")
        person = PersonFacts(
            where=f"row {self.number}", group_number=self.text("group_number"),
            subscriber_id=self.text("subscriber_id"), member_id=self.text("member_id"),
            relationship=self.choice("relationship", RELATIONSHIPS),
            first_name=self.text("first_name"), last_name=self.text("last_name"),
            birth_date=birth, sex=self.choice("sex", {s: s for s in "FMU"}, default="U"),
            address_line1=self.text("address_line1"), address_line2=self.text("address_line2"),
            city=self.text("city"), state=self.text("state").upper(),
            postal_code=self.text("postal_code"), hire_date=self.day("hire_date"),
            employment_class=self.text("employment_class"), tobacco=tobacco in YES,
            group_where=self.where("group_number"),
        )  # fmt: skip
        effective = self.day("effective_date")
        termination = self.day("termination_date")
        if effective and termination and termination < effective:
            raise _bad(self.where("termination_date"), f"{termination} is before the "
                                                       f"effective_date {effective}")  # fmt: skip
        if birth and effective and birth > effective:
            raise _bad(self.where("birth_date"), f"{birth} is after the effective_date")
        coverage = CoverageFacts(
            where=f"row {self.number}, column product_code",
            product_code=self.text("product_code"),
            tier=self.choice("tier", {t: t for t in Tier.values}),
            benefit=self.amount("benefit_amount"), start=effective, end=termination,
            field_where={"benefit": self.where("benefit_amount"), "tier": self.where("tier"),
                         "start_date": self.where("effective_date")},
        )  # fmt: skip
        return CensusRow(self.number, person, coverage, termination)


# ---- applying ------------------------------------------------------------------------


class _Apply:
    def __init__(self, actor: User | None, result: CensusResult, progress: Progress | None):
        self.batch = Batch(actor)
        self.result = result
        self.progress = progress

    def run(self, rows: Iterator[CensusRow]) -> None:
        chunk: list[CensusRow] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._chunk(chunk)
                chunk = []
        self._chunk(chunk)
        if self.result.rows == 0:
            raise _bad(self.result.name, "the file has a header but no rows")
        self.batch.families_check()

    def _chunk(self, rows: list[CensusRow]) -> None:
        if not rows:
            return
        self.batch.load(row.person for row in rows)
        for row in rows:
            self.result.rows += 1
            self.result.changes.extend(self._one(row))
        self.batch.flush()
        self.batch.forget()
        if self.progress is not None:
            self.progress(self.result.rows)

    def _one(self, row: CensusRow) -> list[str]:
        person = row.person
        member = self.batch.member(person)
        changes = []
        if member is None:
            member = self.batch.member_add(person)
            self.result.members_added += 1
            changes.append(f"Row {row.number}: enrolled member {member.member_id} "
                           f"in group {member.group.group_number}")  # fmt: skip
        else:
            changed = self.batch.member_update(member, person)
            if changed:
                changes.append(f"Row {row.number}: updated member {member.member_id}: "
                               f"{', '.join(changed)}")  # fmt: skip
        changes.extend(self._coverage(row, member))
        return changes

    def _coverage(self, row: CensusRow, member: Member) -> list[str]:
        facts = row.coverage
        assert facts.start is not None  # effective_date is a required cell
        plan = self.batch.plan(member, facts)
        rows = [r for r in self.batch.in_force(member, facts.start) if r.plan_id == plan.pk]
        rows = rows or self.batch.open_rows(member, plan)
        current = rows[-1] if rows else None
        changes = []
        if current is None or (current.end_date is not None and current.end_date < facts.start):
            current = self.batch.coverage_add(member, facts, facts.start)
            changes.append(self._covered(row, member, current))
        elif (current.tier, current.benefit_amount) != (facts.tier, facts.benefit):
            current = self._change(row, member, current)
            changes.append(self._covered(row, member, current))
        if row.termination and current.end_date != row.termination:
            self.batch.coverage_terminate(member, current, row.termination, TerminationReason.OTHER)
            family = self.batch.family_end(member, row.termination, TerminationReason.OTHER, plan)
            with_them = f" (and {family} dependent coverage(s) with it)" if family else ""
            changes.append(f"Row {row.number}: member {member.member_id}'s {plan.name} "
                           f"ends {row.termination}{with_them}")  # fmt: skip
        return changes

    def _change(self, row: CensusRow, member: Member, old: Coverage) -> Coverage:
        facts = row.coverage
        assert facts.start is not None
        if facts.start <= old.start_date:
            raise refused(
                f"row {row.number}, column effective_date",
                f"{facts.start} changes a coverage ({old.tier}, {old.benefit_amount}) that "
                f"began {old.start_date}: a change must be effective after it began",
            )
        self.batch.coverage_end(old, facts.start - timedelta(days=1))
        new = self.batch.coverage_add(member, facts, facts.start)
        if new.tier != old.tier:
            where = facts.field_where.get("tier", facts.where)
            self.batch.family_follow(where, member, new.plan, facts.start)
        return new

    @staticmethod
    def _covered(row: CensusRow, member: Member, coverage: Coverage) -> str:
        benefit = f" {coverage.benefit_amount}" if coverage.benefit_amount else ""
        return (
            f"Row {row.number}: covered member {member.member_id} under {coverage.plan.name} "
            f"({coverage.tier}{benefit}) from {coverage.start_date}, "
            f"{coverage.monthly_premium}/month"
        )

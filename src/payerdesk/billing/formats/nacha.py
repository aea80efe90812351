"""NACHA (ACH) files: fixed-width 94-character records, as banks take them.

A file is a file header (1), one batch (batch header 5, entry details 6, batch
control 8), a file control (9), and lines of nines up to a multiple of ten lines (the
blocking factor). Pure: no database. Field positions follow the NACHA Operating Rules,
Appendix Three; routing numbers' check digits are verified with python-stdnum.

No PyPI library was taken: those found (python-ach and its forks carta-ach, pyNacha)
were last released 2014-2021, untyped, and builders of dicts; achkit is a few months
old. The format is small and fixed, so it is written here and tested field by field.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from stdnum.us import rtn

RECORD = 94
BLOCKING = 10
CREDIT_CODES = {"checking": "22", "savings": "32"}  # automated deposits
SEC_CODES = ("CCD", "PPD")  # corporate payee (the employer), or a consumer
_ALLOWED = re.compile(r"[^A-Z0-9 !\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")
_ACCOUNT = re.compile(r"[0-9A-Za-z-]{1,17}")


class NachaError(ValueError):
    """A value that cannot go into the file, naming what it belongs to."""


def routing_problem(routing: str) -> str:
    """'' when `routing` is a valid ABA routing number, else what is wrong with it."""
    if not re.fullmatch(r"\d{9}", routing):
        return f"The routing number {routing!r} is not nine digits."
    if not rtn.is_valid(routing):
        return f"The routing number {routing} fails its check digit."
    return ""


def account_problem(account: str) -> str:
    if not _ACCOUNT.fullmatch(account):
        return f"The account number {account!r} is not 1-17 letters, digits or hyphens."
    return ""


@dataclass(frozen=True)
class Origin:
    """Who sends the file: our bank (the ODFI) and our company, as the bank set us up."""

    odfi_routing: str  # the immediate destination: the bank the file goes to
    odfi_name: str
    company_name: str
    company_id: str  # ten characters, often "1" and the EIN
    immediate_origin: str = ""  # ten characters; the company id when empty

    def problems(self) -> list[str]:
        found = []
        if problem := routing_problem(self.odfi_routing):
            found.append(f"ODFI routing: {problem}")
        if not self.company_name.strip():
            found.append("The company name is empty.")
        if not re.fullmatch(r"[0-9A-Za-z ]{1,10}", self.company_id):
            found.append(f"The company identification {self.company_id!r} is not 1-10 characters.")
        return found


@dataclass(frozen=True)
class Credit:
    """One payment into a receiver's account."""

    routing: str
    account: str
    account_type: str  # checking or savings
    amount: Decimal
    receiver_id: str  # our reference for it (the refund number)
    receiver_name: str
    label: str  # how errors name it ("refund 12")


def _text(value: str, width: int) -> str:
    """Upper-case, characters NACHA allows, left-justified and space-filled."""
    cleaned = _ALLOWED.sub(" ", value.upper().encode("ascii", "replace").decode().replace("?", " "))
    return cleaned[:width].ljust(width)


def _number(value: int, width: int) -> str:
    text = str(value)
    if value < 0 or len(text) > width:
        raise NachaError(f"{value} does not fit {width} digits")
    return text.rjust(width, "0")


def _cents(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise NachaError(f"{amount} is not in whole cents")
    return int(cents)


def _check(credit: Credit) -> None:
    problem = routing_problem(credit.routing) or account_problem(credit.account)
    if not problem and credit.account_type not in CREDIT_CODES:
        problem = f"Account type {credit.account_type!r} is not checking or savings."
    if not problem and credit.amount <= 0:
        problem = f"The amount {credit.amount} is not above zero."
    if not problem and _cents(credit.amount) >= 10**10:
        problem = f"The amount {credit.amount} is too large for one entry."
    if problem:
        raise NachaError(f"{credit.label}: {problem}")


def build(
    *,
    origin: Origin,
    credits: Sequence[Credit],
    sec_code: str,
    effective_date: date,
    created_at: datetime,
    description: str = "REFUND",
    file_id_modifier: str = "A",
) -> bytes:
    """One batch of credits as a NACHA file (lines end with CRLF, as banks expect).

    Raises `NachaError` naming the first credit (by its label) or setting that cannot
    be written; nothing is returned half-built."""
    if sec_code not in SEC_CODES:
        raise NachaError(f"SEC code {sec_code!r} is not one of {', '.join(SEC_CODES)}.")
    if problems := origin.problems():
        raise NachaError("; ".join(problems))
    if not credits:
        raise NachaError("There is nothing to pay.")
    if not re.fullmatch(r"[A-Z0-9]", file_id_modifier):
        raise NachaError(f"File ID modifier {file_id_modifier!r} is not A-Z or 0-9.")
    for credit in credits:
        _check(credit)
    odfi8 = origin.odfi_routing[:8]
    company_id = origin.company_id.ljust(10)
    immediate_origin = (origin.immediate_origin or origin.company_id).rjust(10)
    batch_number = 1
    service_class = "220"  # credits only
    lines = [
        "1" + "01" + " " + origin.odfi_routing + immediate_origin
        + f"{created_at:%y%m%d}{created_at:%H%M}" + file_id_modifier + "094" + "10" + "1"
        + _text(origin.odfi_name, 23) + _text(origin.company_name, 23) + " " * 8,
        "5" + service_class + _text(origin.company_name, 16) + " " * 20 + company_id
        + sec_code + _text(description, 10) + f"{effective_date:%y%m%d}"
        + f"{effective_date:%y%m%d}" + "   " + "1" + odfi8 + _number(batch_number, 7),
    ]  # fmt: skip
    entry_hash = 0
    total = 0
    for sequence, credit in enumerate(credits, start=1):
        cents = _cents(credit.amount)
        entry_hash += int(credit.routing[:8])
        total += cents
        lines.append(
            "6" + CREDIT_CODES[credit.account_type] + credit.routing[:8] + credit.routing[8]
            + credit.account.ljust(17) + _number(cents, 10) + _text(credit.receiver_id, 15)
            + _text(credit.receiver_name, 22) + "  " + "0" + odfi8 + _number(sequence, 7)
        )  # fmt: skip
    hash10 = _number(entry_hash % 10**10, 10)
    count = len(credits)
    lines.append(
        "8" + service_class + _number(count, 6) + hash10 + _number(0, 12) + _number(total, 12)
        + company_id + " " * 19 + " " * 6 + odfi8 + _number(batch_number, 7)
    )  # fmt: skip
    blocks = -(-(len(lines) + 1) // BLOCKING)
    lines.append(
        "9" + _number(1, 6) + _number(blocks, 6) + _number(count, 8) + hash10
        + _number(0, 12) + _number(total, 12) + " " * 39
    )  # fmt: skip
    lines += ["9" * RECORD] * (blocks * BLOCKING - len(lines))
    for number, line in enumerate(lines, start=1):
        if len(line) != RECORD:  # a field above overflowed: a bug, never a file
            raise AssertionError(f"NACHA line {number} is {len(line)} characters")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")

"""The 820 payment order / remittance advice (005010X218), streamed.

`read_820` yields a `RemittanceHeader` for each transaction set (BPR, TRN, REF*38,
N1*PR/PE), then one `RemittanceLine` per RMR: the member-level remittance of the 2000B
loops (`ENT…2J`, `NM1*IL`, `RMR`, `DTM*582`, `ADX`) and the organisation-level summary of
2000A loops (`ENT` with another entity code). At each SE the BPR02 total is checked
against the sum of the set's RMR04 amounts. Every error is an `X12Error` naming the
segment number and element of the first problem.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import IO

from payerdesk.edi.errors import X12Error
from payerdesk.edi.reader import ENVELOPE_IDS, PADDED, Envelope, Segment, split_segments

# BPR01: what the transaction does.
HANDLING_CODES = {
    "C": "payment accompanies remittance advice",
    "D": "make payment only",
    "I": "remittance information only",
    "P": "prenotification of future transfers",
    "U": "split payment and remittance",
    "X": "handling party's option to split payment and remittance",
}
CREDIT_DEBIT = {"C": "credit", "D": "debit"}
PAYMENT_METHODS = {"ACH", "BOP", "CHK", "FWT", "NON"}
INDIVIDUAL = "2J"  # ENT02 of a member-level (2000B) loop

# An X12 "R" amount as money: an optional minus, at most 15 digits and two decimals
# (the element holds 18 characters; more would overflow Decimal's default precision).
_AMOUNT = re.compile(r"-?(\d{1,15}(\.\d{0,2})?|\.\d{1,2})")


@dataclass(slots=True)
class Adjustment:
    """ADX (2320): an amount taken off or added to the line, and why."""

    segment_number: int
    amount: Decimal  # ADX01, negative when it reduces what is paid
    reason: str  # ADX02: 52 credit for overpayment, 53 remittance for previous underpayment...


@dataclass(slots=True)
class RemittanceLine:
    """One RMR (2300A/B): an amount paid against a reference, for a member or the group."""

    segment_number: int  # of the RMR
    entity_number: int  # ENT01
    individual: bool  # ENT02 is 2J: a member-level line
    entity_id: str  # ENT04: the employer or organisation identifier
    member_id: str  # NM109 of NM1*IL; empty on organisation lines
    last_name: str
    first_name: str
    qualifier: str  # RMR01: IK invoice, 11 account, 1L group policy, ...
    reference: str  # RMR02
    paid: Decimal  # RMR04
    billed: Decimal | None  # RMR05
    period_start: date | None = None  # DTM*582 coverage period
    period_end: date | None = None
    # A tuple, empty for most lines: one list per line would double the objects the
    # garbage collector walks while a whole file's lines are held.
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(slots=True)
class RemittanceHeader:
    """The envelope and header of one transaction set."""

    segment_number: int
    interchange_control_number: str  # ISA13
    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    control_number: str  # ST02
    handling: str = ""  # BPR01
    total: Decimal = Decimal(0)  # BPR02
    credit_debit: str = ""  # BPR03
    payment_method: str = ""  # BPR04
    payment_date: date | None = None  # BPR16
    bpr_segment_number: int = 0
    trace_number: str = ""  # TRN02
    master_policy: str = ""  # REF*38
    payer_name: str = ""  # N1*PR
    payer_id: str = ""
    payee_name: str = ""  # N1*PE
    payee_id: str = ""


_CENT = Decimal("0.01")


@lru_cache(maxsize=4096)
def _money(text: str) -> Decimal | None:
    """The amount to the cent, or None when `text` is not one. Cached: a group's
    premiums are a few amounts, repeated member after member."""
    if not _AMOUNT.fullmatch(text):
        return None
    amount = Decimal(text)
    return amount if amount.as_tuple().exponent == -2 else amount.quantize(_CENT)


def parse_amount(segment: Segment, position: int, what: str) -> Decimal:
    value = segment.elements[position] if position < len(segment.elements) else ""
    if not value:
        raise segment.error(f"{what} is required", position)
    amount = _money(value)
    if amount is None:
        raise segment.error(f"{what} {value!r} is not an amount in dollars and cents", position)
    return amount


@lru_cache(maxsize=4096)
def _calendar(text: str) -> date | str:
    """The date, or what is wrong with it. Cached: a file repeats a few periods."""
    if len(text) != 8 or not text.isdigit():
        return "is not a date (CCYYMMDD)"
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return "is not a calendar date"


@lru_cache(maxsize=4096)
def _range(text: str) -> tuple[date, date] | str:
    """A CCYYMMDD-CCYYMMDD range, or what is wrong with it. Cached like `_calendar`."""
    first, dash, last = text.partition("-")
    if not dash:
        return "is not a date range (CCYYMMDD-CCYYMMDD)"
    start, end = _calendar(first), _calendar(last)
    if isinstance(start, str) or isinstance(end, str):
        return f"has a date that {start if isinstance(start, str) else end}"
    return start, end


def parse_date(segment: Segment, position: int, value: str | None = None) -> date:
    text = segment.get(position) if value is None else value
    found = _calendar(text)
    if isinstance(found, str):
        raise segment.error(f"{text!r} {found}", position)
    return found


def _choice(segment: Segment, position: int, allowed: dict[str, str] | set[str], what: str) -> str:
    value = segment.get(position)
    if value not in allowed:
        raise segment.error(
            f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}", position
        )
    return value


@dataclass(slots=True)
class _Entity:
    """The open ENT loop: who the following RMR lines are for."""

    segment_number: int
    number: int
    individual: bool
    entity_id: str
    member_id: str = ""
    last_name: str = ""
    first_name: str = ""
    named: bool = False


class _Transaction:
    """Reads one ST..SE set: the header, then ENT loops and their RMR lines."""

    def __init__(self, isa: Segment, st: Segment) -> None:
        if st.get(1) != "820":
            raise st.error(f"transaction set {st.get(1)!r} is not an 820", 1)
        version = st.get(3)
        if version and version != "005010X218":
            raise st.error(f"implementation guide {version!r}; expected 005010X218", 3)
        self.header = RemittanceHeader(
            segment_number=st.number,
            interchange_control_number=isa.get(13),
            sender_id=isa.get(6).strip(),
            receiver_id=isa.get(8).strip(),
            control_number=st.get(2),
        )
        self.header_out = False
        self.entity: _Entity | None = None
        self.line: RemittanceLine | None = None
        self.lines = 0
        self.sum = Decimal(0)

    def header_segment(self, segment: Segment) -> None:
        sid, header = segment.id, self.header
        if sid == "BPR":
            _bpr(header, segment)
        elif sid == "TRN":
            header.trace_number = segment.require(2, "TRN02 (trace number)")
        elif sid == "REF" and segment.elements[1] == "38":
            header.master_policy = segment.elements[2]
        elif sid == "N1" and segment.elements[1] == "PR":
            header.payer_name, header.payer_id = segment.elements[2], segment.elements[4]
        elif sid == "N1" and segment.elements[1] == "PE":
            header.payee_name, header.payee_id = segment.elements[2], segment.elements[4]

    def start_header_check(self, segment: Segment) -> None:
        """The header ends at the first ENT (or SE): BPR and TRN must have come."""
        if self.header.bpr_segment_number == 0:
            raise segment.error("BPR (financial information) is missing before this segment")
        if not self.header.trace_number:
            raise segment.error("TRN (reassociation trace number) is missing before this segment")

    def open_header(self) -> Iterator[RemittanceHeader]:
        if not self.header_out:
            self.header_out = True
            yield self.header

    def start_entity(self, segment: Segment) -> RemittanceLine | None:
        """Close the open loop (returning its last line) and open the next one."""
        done = self.end_entity()
        number = segment.require(1, "ENT01 (assigned number)")
        if not number.isdigit():
            raise segment.error(f"ENT01 (assigned number) {number!r} is not a number", 1)
        self.entity = _Entity(
            segment_number=segment.number,
            number=int(number),
            individual=segment.require(2, "ENT02 (entity identifier code)") == INDIVIDUAL,
            entity_id=segment.elements[4],
        )
        return done

    def entity_segment(self, entity: _Entity, segment: Segment) -> RemittanceLine | None:
        """Read one segment of an ENT loop; return the line an RMR completes, if any.
        A plain function, not a generator: this runs for every segment of the file."""
        sid = segment.id
        if sid == "RMR":
            if entity.individual and not entity.named:
                raise segment.error("RMR before the NM1*IL that names the member")
            done = self.take_line()
            self.line = _line(entity, segment)
            return done
        if sid == "DTM" and segment.elements[1] == "582":
            _period(self._line_for(segment), segment)
        elif sid == "ADX":
            line = self._line_for(segment)
            line.adjustments += (
                Adjustment(
                    segment.number,
                    parse_amount(segment, 1, "ADX01 (adjustment amount)"),
                    segment.require(2, "ADX02 (adjustment reason code)"),
                ),
            )
        elif sid == "NM1" and segment.elements[1] == "IL" and self.line is None:
            entity.last_name = segment.require(3, "NM103 (member last name)")
            entity.first_name, entity.member_id = segment.elements[4], segment.elements[9]
            entity.named = True
        return None

    def _line_for(self, segment: Segment) -> RemittanceLine:
        if self.line is None:
            raise segment.error(f"{segment.id} before the RMR it belongs to")
        return self.line

    def take_line(self) -> RemittanceLine | None:
        line, self.line = self.line, None
        if line is not None:
            self.lines += 1
            self.sum += line.paid
        return line

    def close_line(self) -> Iterator[RemittanceLine]:
        line = self.take_line()
        if line is not None:
            yield line

    def end_entity(self) -> RemittanceLine | None:
        line = self.take_line()
        entity, self.entity = self.entity, None
        if entity is not None and entity.individual and not entity.named:
            raise X12Error(
                f"NM1*IL (member name) missing in the ENT loop at segment {entity.segment_number}",
                segment_number=entity.segment_number,
                segment_id="ENT",
            )
        return line

    def close_entity(self) -> Iterator[RemittanceLine]:
        line = self.end_entity()
        if line is not None:
            yield line

    def close(self, se: Segment) -> Iterator[RemittanceHeader | RemittanceLine]:
        if self.entity is None:
            self.start_header_check(se)
        yield from self.open_header()
        yield from self.close_entity()
        header = self.header
        if header.total != self.sum:
            raise X12Error(
                f"BPR02 total {header.total} does not equal the sum of the {self.lines} RMR04 "
                f"amount(s) {self.sum}: it differs by {header.total - self.sum}",
                segment_number=header.bpr_segment_number,
                segment_id="BPR",
                element="BPR02",
            )


def _bpr(header: RemittanceHeader, segment: Segment) -> None:
    if header.bpr_segment_number:
        raise segment.error("a second BPR in the transaction set")
    header.bpr_segment_number = segment.number
    header.handling = _choice(segment, 1, HANDLING_CODES, "BPR01 (transaction handling code)")
    header.total = parse_amount(segment, 2, "BPR02 (total payment amount)")
    if header.total < 0:
        raise segment.error(f"BPR02 (total payment amount) {header.total} is negative", 2)
    header.credit_debit = _choice(segment, 3, CREDIT_DEBIT, "BPR03 (credit/debit flag)")
    header.payment_method = _choice(segment, 4, PAYMENT_METHODS, "BPR04 (payment method)")
    segment.require(16, "BPR16 (payment effective date)")
    header.payment_date = parse_date(segment, 16)


def _line(entity: _Entity, segment: Segment) -> RemittanceLine:
    elements = segment.elements
    billed = elements[5]
    return RemittanceLine(
        segment_number=segment.number,
        entity_number=entity.number,
        individual=entity.individual,
        entity_id=entity.entity_id,
        member_id=entity.member_id,
        last_name=entity.last_name,
        first_name=entity.first_name,
        qualifier=elements[1] or segment.require(1, "RMR01 (reference qualifier)"),
        reference=elements[2] or segment.require(2, "RMR02 (reference)"),
        paid=parse_amount(segment, 4, "RMR04 (amount paid)"),
        billed=parse_amount(segment, 5, "RMR05 (amount billed)") if billed else None,
    )


def _period(line: RemittanceLine, segment: Segment) -> None:
    """DTM*582: DTM05 RD8 with a CCYYMMDD-CCYYMMDD range in DTM06, or DTM02 a date."""
    if line.period_start is not None:
        raise segment.error("a second DTM*582 coverage period for the same RMR")
    form = segment.elements[5]
    if form == "RD8":
        text = segment.get(6)
        found = _range(text)
        if isinstance(found, str):
            raise segment.error(f"{text!r} {found}", 6)
        start, end = found
    elif form in {"", "D8"} and segment.elements[2]:
        start = end = parse_date(segment, 2)
    else:
        raise segment.error(f"date format {form!r} is not RD8 (a coverage period)", 5)
    if end < start:
        raise segment.error(f"the coverage period ends {end} before it begins {start}", 6)
    line.period_start, line.period_end = start, end


def read_820(source: IO[bytes] | IO[str]) -> Iterator[RemittanceHeader | RemittanceLine]:
    """Stream the file: each set's header, then its remittance lines, in file order.

    The BPR02 total and the envelope are checked as the file is read, so the last items
    may be followed by an error: post nothing until the iterator is exhausted.

    This is the hot path of every 820 import, so it is one loop over the segments'
    texts (`split_segments`), as `read_834` is: each is split into a short-lived element
    list (holding a chunk's lists costs more in garbage collection than splitting), the
    envelope checks every segment outside the ENT loops and the first of each id inside
    them (and every SE), and a `Segment` is built only for the segments read.
    """
    delimiters, chunks = split_segments(source)
    separator = delimiters.element
    envelope = Envelope()
    checked: set[str] = set()  # ids inside ENT loops whose form the envelope has checked
    isa: Segment | None = None
    transaction: _Transaction | None = None
    number = 0
    for parts in chunks:
        for part in parts:
            number += 1
            el = part.split(separator)
            sid = el[0]
            entity = transaction.entity if transaction is not None else None
            if transaction is not None and entity is not None:
                if sid not in checked:
                    envelope.check(number, el)  # an envelope segment here raises, but SE
                    if sid not in ENVELOPE_IDS:
                        checked.add(sid)
                if sid in _IGNORED:  # REF, the commonest segment: not one payerdesk reads
                    continue
                if len(el) < PADDED:
                    el += _PAD[len(el) :]
                segment = Segment(number, sid, el)
                if sid == "ENT":
                    done = transaction.start_entity(segment)
                elif sid == "SE":
                    yield from transaction.close(segment)
                    transaction = None
                    continue
                else:
                    done = transaction.entity_segment(entity, segment)
                if done is not None:
                    yield done
                continue
            # Outside ENT loops (envelopes, set headers): every segment is checked.
            envelope.check(number, el)
            if len(el) < PADDED:
                el += _PAD[len(el) :]
            segment = Segment(number, sid, el)
            if transaction is not None:
                if sid == "ENT":
                    transaction.start_header_check(segment)
                    yield from transaction.open_header()
                    transaction.start_entity(segment)  # nothing open before: no line
                elif sid == "SE":
                    yield from transaction.close(segment)
                    transaction = None
                else:
                    transaction.header_segment(segment)
            elif sid == "ST":
                assert isa is not None  # the envelope checks the nesting
                transaction = _Transaction(isa, segment)
            elif sid == "ISA":
                isa = segment
    envelope.close(number)


_IGNORED = frozenset({"REF"})
_PAD = [""] * PADDED


@dataclass
class Remittance:
    """A whole 820, read and checked: what `--check` prints and what an import stores."""

    headers: list[RemittanceHeader]
    lines: list[RemittanceLine]

    @property
    def interchange_control_number(self) -> str:
        return self.headers[0].interchange_control_number if self.headers else ""

    @property
    def total(self) -> Decimal:
        return sum((header.total for header in self.headers), Decimal(0))

    @property
    def billed(self) -> Decimal:
        return sum((line.billed for line in self.lines if line.billed is not None), Decimal(0))

    @property
    def members(self) -> int:
        return len({line.member_id for line in self.lines if line.individual})


def load_820(source: IO[bytes] | IO[str]) -> Remittance:
    remittance = Remittance([], [])
    for item in read_820(source):
        if isinstance(item, RemittanceHeader):
            remittance.headers.append(item)
        else:
            remittance.lines.append(item)
    if not remittance.headers:
        raise X12Error("the file holds no 820 transaction set")
    return remittance

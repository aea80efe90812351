"""The 834 benefit enrollment and maintenance transaction (005010X220A1), streamed.

`read_834` yields an `EnrollmentHeader` for each transaction set, then one `Member` per
INS loop (2000), with the member's name, address and demographics (2100A) and their
health coverages (2300). Loops payerdesk does not use (2100B-G, 2200, 2310, 2320, 2700)
are read past. Everything is checked as it is read: an `X12Error` names the segment
number and element of the first problem.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO

from payerdesk.edi.errors import X12Error
from payerdesk.edi.reader import Envelope, Segment, split_segments, widen

# INS03: what is to be done with the member.
MAINTENANCE_TYPES = {
    "001": "change",
    "021": "add",
    "024": "cancel or terminate",
    "025": "reinstate",
    "030": "audit or compare",
}
# HD01: what is to be done with one coverage.
COVERAGE_MAINTENANCE_TYPES = {
    "001": "change",
    "002": "delete",
    "021": "add",
    "024": "cancel or terminate",
    "025": "reinstate",
    "026": "correction",
    "030": "audit or compare",
    "032": "employee information not applicable",
}
SEXES = {"F", "M", "U"}
# AMT01 in loop 2300 (health coverage policy amounts).
AMOUNT_QUALIFIERS = {"B9", "C1", "D2", "EBA", "FK", "P3", "R"}
BENEFIT_AMOUNT = "FK"


@dataclass(slots=True)
class Coverage:
    """One HD loop (2300): a line of coverage and its dates."""

    segment_number: int
    maintenance_type: str  # HD01
    insurance_line: str  # HD03: HLT, DEN, VIS, LIF, ADD, STD, ...
    plan_description: str  # HD04
    coverage_level: str  # HD05: EMP, ESP, ECH, FAM, ...
    begin: date | None = None  # DTP*348
    end: date | None = None  # DTP*349
    # AMT (2300) by AMT01 qualifier. The guide has no benefit-amount qualifier; like the
    # worksite carriers' companion guides, payerdesk reads a coverage's face amount (life,
    # AD&D, disability, per-unit plans) from AMT*FK "other unlisted amount".
    amounts: dict[str, Decimal] = field(default_factory=dict)

    @property
    def benefit_amount(self) -> Decimal | None:
        return self.amounts.get(BENEFIT_AMOUNT)


@dataclass(slots=True)
class Member:
    """One INS loop (2000): a subscriber or dependent and what to do with them."""

    segment_number: int
    subscriber: bool  # INS01
    relationship: str  # INS02: 18 self, 01 spouse, 19 child, ...
    maintenance_type: str  # INS03
    maintenance_reason: str  # INS04
    benefit_status: str  # INS05
    employment_status: str  # INS08
    subscriber_id: str = ""  # REF*0F
    group_policy_number: str = ""  # REF*1L
    member_id: str = ""  # NM109
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    address_lines: tuple[str, ...] = ()
    city: str = ""
    state: str = ""
    postal_code: str = ""
    birth_date: date | None = None
    sex: str = ""
    dates: dict[str, date] = field(default_factory=dict)  # DTP qualifier -> date (2000)
    coverages: list[Coverage] = field(default_factory=list)

    @property
    def eligibility_begin(self) -> date | None:
        return self.dates.get("356")

    @property
    def eligibility_end(self) -> date | None:
        return self.dates.get("357")

    @property
    def maintenance_effective(self) -> date | None:
        return self.dates.get("303")


@dataclass(slots=True)
class EnrollmentHeader:
    """The envelope and header of one transaction set (ST, BGN, REF*38, N1 loops)."""

    segment_number: int
    interchange_control_number: str  # ISA13
    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    control_number: str  # ST02
    purpose: str = ""  # BGN01
    reference: str = ""  # BGN02
    created: date | None = None  # BGN03
    action: str = ""  # BGN08: 2 change, 4 verify (audit), RX replace
    master_policy: str = ""  # REF*38
    sponsor_name: str = ""  # N1*P5
    sponsor_id: str = ""
    payer_id: str = ""  # N1*IN
    effective: date | None = None  # DTP*007 (file effective date) or DTP*303

    @property
    def as_of(self) -> date | None:
        """The date a full (audit) file speaks for: its effective date, else BGN03."""
        return self.effective or self.created


def _error(number: int, elements: list[str], message: str, position: int | None = None) -> X12Error:
    """Errors are the only place a reader builds a `Segment`: it names the place."""
    return Segment(number, elements[0], widen(list(elements), 12)).error(message, position)


_DATES: dict[str, date] = {}  # CCYYMMDD -> date: files repeat the same few dates


def _date(number: int, elements: list[str], position: int) -> date:
    value = elements[position]
    known = _DATES.get(value)
    if known is not None:
        return known
    if len(value) != 8 or not value.isdigit():
        raise _error(number, elements, f"{value!r} is not a date (CCYYMMDD)", position)
    try:
        parsed = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _error(number, elements, f"{value!r} is not a calendar date", position) from None
    if len(_DATES) > 100_000:
        _DATES.clear()  # bounded: birth dates are many
    _DATES[value] = parsed
    return parsed


def parse_date(segment: Segment, position: int) -> date:
    return _date(segment.number, segment.elements, position)


def _dtp_date(number: int, elements: list[str]) -> date:
    qualifier = elements[2]
    if qualifier == "D8":
        known = _DATES.get(elements[3])
        if known is not None:
            return known
        return _date(number, elements, 3)
    if qualifier == "RD8":  # a range: the first date is the one that applies
        return _date(number, [elements[0], "", "", elements[3][:8]], 3)
    raise _error(number, elements, f"date format {qualifier!r} is not D8 or RD8", 2)


def _choice(
    number: int, elements: list[str], position: int, allowed: dict[str, str] | set[str],
    what: str,
) -> str:  # fmt: skip
    value = elements[position]
    if value not in allowed:
        raise _error(number, elements, f"unknown {what} {value!r}; expected one of "
                                       f"{', '.join(sorted(allowed))}", position)  # fmt: skip
    return value


def _required(number: int, elements: list[str], position: int, what: str) -> str:
    value = elements[position]
    if not value:
        raise _error(number, elements, f"{what} is required", position)
    return value


def _header(isa: list[str], number: int, st: list[str]) -> EnrollmentHeader:
    if st[1] != "834":
        raise _error(number, st, f"transaction set {st[1]!r} is not an 834", 1)
    version = st[3]
    if version and version != "005010X220A1":
        raise _error(number, st, f"implementation guide {version!r}; expected 005010X220A1", 3)
    return EnrollmentHeader(
        segment_number=number, interchange_control_number=isa[13], sender_id=isa[6].strip(),
        receiver_id=isa[8].strip(), control_number=st[2],
    )  # fmt: skip


def _header_segment(header: EnrollmentHeader, number: int, el: list[str]) -> None:
    sid = el[0]
    if sid == "BGN":
        header.purpose = _required(number, el, 1, "BGN01 (purpose)")
        header.reference = el[2]
        header.created = _date(number, el, 3) if el[3] else None
        header.action = el[8]
    elif sid == "REF" and el[1] == "38":
        header.master_policy = el[2]
    elif sid == "N1" and el[1] == "P5":
        header.sponsor_name, header.sponsor_id = el[2], el[4]
    elif sid == "N1" and el[1] == "IN":
        header.payer_id = el[4]
    elif sid == "DTP" and el[1] in {"007", "303"}:
        header.effective = _dtp_date(number, el)


_LOOP_STARTS = {"DSB": "2200", "LX": "2310", "COB": "2320", "LS": "2700"}


def _member(number: int, el: list[str]) -> Member:
    indicator, relationship, maintenance = el[1], el[2], el[3]
    if indicator != "Y" and indicator != "N":
        _choice(number, el, 1, {"Y", "N"}, "INS01 (subscriber indicator)")
    if maintenance not in MAINTENANCE_TYPES:
        _choice(number, el, 3, MAINTENANCE_TYPES, "maintenance type")
    # The guide says a subscriber's INS02 is 18 (self); real files send other codes
    # (the public terminate-subscriber sample has Y with 19), so it is not enforced.
    return Member(
        number, indicator == "Y", relationship or _required(number, el, 2, "INS02 (relationship)"),
        maintenance, el[4], el[5], el[8], "", "", "", "", "", "", (), "", "", "", None, "", {}, [],
    )  # fmt: skip


_AMOUNTS: dict[str, Decimal] = {}  # AMT02 -> Decimal: benefit amounts repeat


def _amount(number: int, el: list[str]) -> Decimal:
    """AMT01 and AMT02 checked, the amount parsed (and remembered)."""
    _choice(number, el, 1, AMOUNT_QUALIFIERS, "amount qualifier")
    value = _required(number, el, 2, "AMT02 (amount)")
    known = _AMOUNTS.get(value)
    if known is not None:
        return known
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or "e" in value.lower():
        raise _error(number, el, f"{value!r} is not an amount", 2)
    if len(_AMOUNTS) > 10_000:
        _AMOUNTS.clear()
    _AMOUNTS[value] = amount
    return amount


def _ends_before(number: int, el: list[str], what: str, end: date, begin: date) -> X12Error:
    return _error(number, el, f"{what} ends {end} before it begins {begin}", 3)


def _demographics(member: Member, number: int, el: list[str]) -> None:
    if el[1] != "D8":
        raise _error(number, el, f"date format {el[1]!r}; expected D8", 1)
    member.birth_date = _DATES.get(el[2]) or _date(number, el, 2)
    sex = el[3]
    if sex and sex not in SEXES:
        _choice(number, el, 3, SEXES, "sex")
    member.sex = sex


def _complete(member: Member) -> None:
    where = f"the member loop at segment {member.segment_number}"
    if not member.subscriber_id:
        raise X12Error(f"REF*0F (subscriber identifier) missing in {where}",
                       segment_number=member.segment_number, segment_id="INS")  # fmt: skip
    if not member.last_name:
        raise X12Error(f"NM1*IL (member name) missing in {where}",
                       segment_number=member.segment_number, segment_id="INS")  # fmt: skip


# Segments files repeat word for word (the same dates, plans, amounts, INS codes and
# group number in every member): `read_834` splits each text once. The lists are shared,
# so the reader only ever pads them (`widen`), which leaves their values as they were.
_REPEATED = frozenset({"DTP", "HD", "AMT", "INS"})


def read_834(source: IO[bytes] | IO[str]) -> Iterator[EnrollmentHeader | Member]:
    """Stream the file: each set's header, then its members, in file order.

    The envelope is checked as the file is read, so the last item may be followed by
    an error about the trailer: apply nothing until the iterator is exhausted.

    This is the hot path of every 834 import, so it is one loop over the segments'
    texts (`split_segments`): each is split into a short-lived element list (holding a
    chunk's lists costs more in garbage collection than splitting) or, when the same
    text came before, takes that one's list; a member's segments are handled inline,
    the commonest first; a `Segment` is built only for envelope segments and errors.
    """
    delimiters, chunks = split_segments(source)
    separator = delimiters.element
    envelope = Envelope()
    checked: set[str] = set()  # ids inside members whose form the envelope has checked
    known_date = _DATES.get
    known_amount = _AMOUNTS.get
    splits: dict[str, list[str]] = {}  # segment text -> its elements, for repeated segments
    known_split = splits.get
    isa: list[str] = []
    header: EnrollmentHeader | None = None  # the open transaction set's
    header_out = True
    member: Member | None = None
    coverage: Coverage | None = None
    loop = ""
    number = 0
    for parts in chunks:
        for part in parts:
            number += 1
            el = known_split(part)
            if el is None:
                el = part.split(separator)
                sid = el[0]
                if len(part) < 100 and (
                    sid in _REPEATED or (sid == "REF" and len(el) > 2 and el[1] == "1L")
                ):
                    if len(splits) >= 4096:
                        splits.clear()
                    splits[part] = el
            else:
                sid = el[0]
            if member is not None:  # inside a member loop, so inside a transaction set
                if sid == "DTP":
                    if len(el) < 4:
                        widen(el, 4)
                    qualifier = el[1]
                    if loop == "2300":
                        if qualifier == "348":
                            day = (known_date(el[3]) if el[2] == "D8" else None) or _dtp_date(
                                number, el
                            )
                            coverage.begin = day  # type: ignore[union-attr]
                            other = coverage.end  # type: ignore[union-attr]
                            if other is not None and other < day:
                                raise _ends_before(number, el, "coverage", other, day)
                        elif qualifier == "349":
                            day = (known_date(el[3]) if el[2] == "D8" else None) or _dtp_date(
                                number, el
                            )
                            coverage.end = day  # type: ignore[union-attr]
                            other = coverage.begin  # type: ignore[union-attr]
                            if other is not None and day < other:
                                raise _ends_before(number, el, "coverage", day, other)
                    elif loop == "2000":
                        if not qualifier:
                            _required(number, el, 1, "DTP01 (date qualifier)")
                        day = (known_date(el[3]) if el[2] == "D8" else None) or _dtp_date(
                            number, el
                        )
                        dates = member.dates
                        dates[qualifier] = day
                        if qualifier == "357" or qualifier == "356":
                            begin, end = dates.get("356"), dates.get("357")
                            if begin and end and end < begin:
                                raise _ends_before(number, el, "eligibility", end, begin)
                    continue
                if sid == "HD":
                    if len(el) < 6:
                        widen(el, 6)
                    kind = el[1]
                    if kind not in COVERAGE_MAINTENANCE_TYPES:
                        _choice(number, el, 1, COVERAGE_MAINTENANCE_TYPES, "coverage maintenance")
                    coverage = Coverage(
                        number, kind, el[3] or _required(number, el, 3, "HD03 (insurance line)"),
                        el[4], el[5], None, None, {},
                    )  # fmt: skip
                    member.coverages.append(coverage)
                    loop = "2300"
                    continue
                if sid == "REF":
                    if loop == "2000":
                        if len(el) < 3:
                            widen(el, 3)
                        qualifier = el[1]
                        if qualifier == "0F":
                            member.subscriber_id = el[2] or _required(
                                number, el, 2, "REF02 (subscriber id)"
                            )
                        elif qualifier == "1L":
                            member.group_policy_number = el[2]
                    continue
                if sid == "NM1":
                    if len(el) < 10:
                        widen(el, 10)
                    entity = el[1]
                    if entity == "IL":
                        loop = "2100A"
                        member.last_name = el[3] or _required(number, el, 3, "NM103 (last name)")
                        member.first_name, member.middle_name = el[4], el[5]
                        member.member_id = el[9]
                    elif entity == "70":
                        loop = "2100B"
                    else:
                        loop = "2310" if loop == "2300" or loop == "2310" else "2100"
                    continue
                if sid == "AMT":
                    if loop == "2300":
                        if len(el) < 3:
                            widen(el, 3)
                        qualifier = el[1]
                        amount = known_amount(el[2])
                        if amount is None or qualifier not in AMOUNT_QUALIFIERS:
                            amount = _amount(number, el)
                        coverage.amounts[qualifier] = amount  # type: ignore[union-attr]
                    continue
                if loop == "2100A":
                    if sid == "N3":
                        if len(el) < 3:
                            widen(el, 3)
                        first_line, second_line = el[1], el[2]
                        member.address_lines = (
                            (first_line, second_line) if second_line
                            else (first_line,) if first_line else ()
                        )  # fmt: skip
                        continue
                    if sid == "N4":
                        if len(el) < 4:
                            widen(el, 4)
                        member.city, member.state, member.postal_code = el[1], el[2], el[3]
                        continue
                    if sid == "DMG":
                        if len(el) < 4:
                            widen(el, 4)
                        _demographics(member, number, el)
                        continue
                if sid == "INS":  # the next member: this one is complete
                    if not member.subscriber_id or not member.last_name:
                        _complete(member)  # raises
                    yield member
                    member = _member(number, widen(el, 9) if len(el) < 9 else el)
                    coverage, loop = None, "2000"
                    continue
                if sid == "SE":  # the set's end: so is the member's
                    if not member.subscriber_id or not member.last_name:
                        _complete(member)  # raises
                    envelope.check(number, el)
                    yield member
                    member = coverage = header = None
                    continue
                if sid not in checked:
                    envelope.check(number, el)  # an envelope segment here raises
                    checked.add(sid)
                if sid in _LOOP_STARTS:
                    loop = _LOOP_STARTS[sid]
                continue
            # Outside member loops (envelopes, set headers): every segment is checked.
            envelope.check(number, el)
            if sid == "INS":
                if header is None:
                    raise _error(number, el, "INS outside a transaction set")
                if not header_out:
                    header_out = True
                    yield header
                member = _member(number, widen(el, 9) if len(el) < 9 else el)
                coverage, loop = None, "2000"
            elif sid == "SE":
                if not header_out and header is not None:
                    yield header
                header, header_out = None, True
            elif header is not None:
                _header_segment(header, number, widen(el, 9))
            elif sid == "ST":
                header, header_out = _header(isa, number, widen(el, 4)), False
            elif sid == "ISA":
                isa = widen(el, 17)
    envelope.close(number)


@dataclass(frozen=True)
class Enrollment:
    """What `--check` reports: the file's identity and its members by maintenance type."""

    interchange_control_number: str
    transaction_sets: int
    members: int
    by_maintenance_type: dict[str, int]
    coverages: int


def summarize_834(source: IO[bytes] | IO[str]) -> Enrollment:
    control = ""
    sets = coverages = 0
    types: Counter[str] = Counter()
    for item in read_834(source):
        if isinstance(item, EnrollmentHeader):
            control = item.interchange_control_number
            sets += 1
        else:
            types[item.maintenance_type] += 1
            coverages += len(item.coverages)
    return Enrollment(control, sets, sum(types.values()), dict(sorted(types.items())), coverages)

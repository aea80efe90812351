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
from payerdesk.edi.reader import Segment, read_segments

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


def parse_date(segment: Segment, position: int) -> date:
    value = segment.get(position)
    if len(value) != 8 or not value.isdigit():
        raise segment.error(f"{value!r} is not a date (CCYYMMDD)", position)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise segment.error(f"{value!r} is not a calendar date", position) from None


def _dtp_date(segment: Segment) -> date:
    qualifier = segment.elements[2]
    if qualifier == "D8":
        return parse_date(segment, 3)
    if qualifier == "RD8":  # a range: the first date is the one that applies
        first = Segment(segment.number, segment.id, ["DTP", "", "", segment.elements[3][:8]])
        return parse_date(first, 3)
    raise segment.error(f"date format {qualifier!r} is not D8 or RD8", 2)


def _choice(segment: Segment, position: int, allowed: dict[str, str] | set[str], what: str) -> str:
    value = segment.get(position)
    if value not in allowed:
        raise segment.error(
            f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}", position
        )
    return value


class _Transaction:
    """Reads one ST..SE set: the header, then member loops."""

    def __init__(self, isa: Segment, st: Segment) -> None:
        if st.get(1) != "834":
            raise st.error(f"transaction set {st.get(1)!r} is not an 834", 1)
        version = st.get(3)
        if version and version != "005010X220A1":
            raise st.error(f"implementation guide {version!r}; expected 005010X220A1", 3)
        self.header = EnrollmentHeader(
            segment_number=st.number,
            interchange_control_number=isa.get(13),
            sender_id=isa.get(6).strip(),
            receiver_id=isa.get(8).strip(),
            control_number=st.get(2),
        )
        self.member: Member | None = None
        self.loop = "header"
        self.header_out = False

    def start_member(self, segment: Segment) -> None:
        self.member = _member(segment)
        self.loop = "2000"

    def close(self) -> Iterator[EnrollmentHeader | Member]:
        """Yield what is complete: the header (once), then the open member."""
        if not self.header_out:
            self.header_out = True
            yield self.header
        member, self.member = self.member, None
        if member is not None:
            _complete(member)
            yield member

    def header_segment(self, segment: Segment) -> None:
        sid = segment.id
        if sid == "BGN":
            self.header.purpose = segment.require(1, "BGN01 (purpose)")
            self.header.reference = segment.elements[2]
            self.header.created = parse_date(segment, 3) if segment.elements[3] else None
            self.header.action = segment.elements[8]
        elif sid == "REF" and segment.elements[1] == "38":
            self.header.master_policy = segment.elements[2]
        elif sid == "N1" and segment.elements[1] == "P5":
            self.header.sponsor_name, self.header.sponsor_id = (
                segment.elements[2],
                segment.elements[4],
            )
        elif sid == "N1" and segment.elements[1] == "IN":
            self.header.payer_id = segment.elements[4]
        elif sid == "DTP" and segment.elements[1] in {"007", "303"}:
            self.header.effective = _dtp_date(segment)

    def member_segment(self, member: Member, segment: Segment) -> None:
        # The hot path of an import: the commonest segments are tested first.
        sid, loop = segment.id, self.loop
        if sid == "DTP":
            if loop == "2300":
                _coverage_date(member.coverages[-1], segment)
            elif loop == "2000":
                _member_date(member, segment)
        elif sid == "HD":
            member.coverages.append(_coverage(segment))
            self.loop = "2300"
        elif sid == "NM1":
            self.loop = _nm1_loop(segment, loop)
            if self.loop == "2100A":
                _name(member, segment)
        elif sid in _LOOP_STARTS:
            self.loop = _LOOP_STARTS[sid]
        elif sid == "AMT" and loop == "2300":
            _coverage_amount(member.coverages[-1], segment)
        elif loop == "2000":
            if sid == "REF":
                _member_reference(member, segment)
        elif loop == "2100A":
            _loop_2100a(member, segment)


_LOOP_STARTS = {"DSB": "2200", "LX": "2310", "COB": "2320", "LS": "2700"}


def _nm1_loop(segment: Segment, current: str) -> str:
    entity = segment.elements[1]
    if entity == "IL":
        return "2100A"
    if entity == "70":
        return "2100B"
    return "2310" if current in {"2300", "2310"} else "2100"


def _member(segment: Segment) -> Member:
    subscriber = _choice(segment, 1, {"Y", "N"}, "INS01 (subscriber indicator)") == "Y"
    # The guide says a subscriber's INS02 is 18 (self); real files send other codes
    # (the public terminate-subscriber sample has Y with 19), so it is not enforced.
    return Member(
        segment_number=segment.number,
        subscriber=subscriber,
        relationship=segment.require(2, "INS02 (relationship)"),
        maintenance_type=_choice(segment, 3, MAINTENANCE_TYPES, "maintenance type"),
        maintenance_reason=segment.elements[4],
        benefit_status=segment.elements[5],
        employment_status=segment.elements[8],
    )


def _member_reference(member: Member, segment: Segment) -> None:
    qualifier = segment.elements[1]
    if qualifier == "0F":
        member.subscriber_id = segment.elements[2] or segment.require(2, "REF02 (subscriber id)")
    elif qualifier == "1L":
        member.group_policy_number = segment.elements[2]


def _member_date(member: Member, segment: Segment) -> None:
    qualifier = segment.elements[1] or segment.require(1, "DTP01 (date qualifier)")
    member.dates[qualifier] = _dtp_date(segment)
    if qualifier in {"356", "357"}:
        begin, end = member.dates.get("356"), member.dates.get("357")
        if begin and end and end < begin:
            raise segment.error(f"eligibility ends {end} before it begins {begin}", 3)


def _name(member: Member, segment: Segment) -> None:
    member.last_name = segment.require(3, "NM103 (last name)")
    member.first_name = segment.elements[4]
    member.middle_name = segment.elements[5]
    member.member_id = segment.elements[9]


def _loop_2100a(member: Member, segment: Segment) -> None:
    sid = segment.id
    if sid == "N3":
        member.address_lines = tuple(line for line in segment.elements[1:3] if line)
    elif sid == "N4":
        member.city, member.state = segment.elements[1], segment.elements[2]
        member.postal_code = segment.elements[3]
    elif sid == "DMG":
        if segment.elements[1] != "D8":
            raise segment.error(f"date format {segment.elements[1]!r}; expected D8", 1)
        member.birth_date = parse_date(segment, 2)
        member.sex = _choice(segment, 3, SEXES, "sex") if segment.elements[3] else ""


def _coverage(segment: Segment) -> Coverage:
    return Coverage(
        segment_number=segment.number,
        maintenance_type=_choice(segment, 1, COVERAGE_MAINTENANCE_TYPES, "coverage maintenance"),
        insurance_line=segment.require(3, "HD03 (insurance line)"),
        plan_description=segment.elements[4],
        coverage_level=segment.elements[5],
    )


def _coverage_date(coverage: Coverage, segment: Segment) -> None:
    qualifier = segment.elements[1]
    if qualifier == "348":
        coverage.begin = _dtp_date(segment)
    elif qualifier == "349":
        coverage.end = _dtp_date(segment)
    if coverage.begin and coverage.end and coverage.end < coverage.begin:
        raise segment.error(f"coverage ends {coverage.end} before it begins {coverage.begin}", 3)


def _coverage_amount(coverage: Coverage, segment: Segment) -> None:
    qualifier = _choice(segment, 1, AMOUNT_QUALIFIERS, "amount qualifier")
    value = segment.require(2, "AMT02 (amount)")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or "e" in value.lower():
        raise segment.error(f"{value!r} is not an amount", 2)
    coverage.amounts[qualifier] = amount


def _complete(member: Member) -> None:
    where = f"the member loop at segment {member.segment_number}"
    if not member.subscriber_id:
        raise X12Error(f"REF*0F (subscriber identifier) missing in {where}",
                       segment_number=member.segment_number, segment_id="INS")  # fmt: skip
    if not member.last_name:
        raise X12Error(f"NM1*IL (member name) missing in {where}",
                       segment_number=member.segment_number, segment_id="INS")  # fmt: skip


def read_834(source: IO[bytes] | IO[str]) -> Iterator[EnrollmentHeader | Member]:
    """Stream the file: each set's header, then its members, in file order.

    The envelope is checked as the file is read, so the last item may be followed by
    an error about the trailer: apply nothing until the iterator is exhausted.
    """
    isa: Segment | None = None
    transaction: _Transaction | None = None
    for segment in read_segments(source):
        sid = segment.id
        if transaction is not None:
            member = transaction.member
            if member is not None and sid not in _MEMBER_BOUNDARIES:
                transaction.member_segment(member, segment)
            elif sid == "INS":
                yield from transaction.close()
                transaction.start_member(segment)
            elif sid == "SE":
                yield from transaction.close()
                transaction = None
            else:
                transaction.header_segment(segment)
        elif sid == "ST":
            assert isa is not None  # read_segments checks the nesting
            transaction = _Transaction(isa, segment)
        elif sid == "ISA":
            isa = segment


_MEMBER_BOUNDARIES = frozenset({"INS", "SE"})


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

"""The 834 reader against public sample files, and against every way a file goes wrong."""

import contextlib
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payerdesk.edi import EnrollmentHeader, Member, X12Error, read_834, reader, summarize_834
from tests import samples

SAMPLES = samples.X834


def members(name: str) -> list[Member]:
    with (SAMPLES / name).open("rb") as source:
        return [item for item in read_834(source) if isinstance(item, Member)]


# sample -> (INS03, subscriber?, coverage (HD01, HD03) pairs, dates the name implies)
EXPECTED = {
    "add-dependent.834": ("021", False, [("021", "HLT")], {"351": date(1998, 5, 15)}),
    "add-subscriber-coverage.834": ("001", True, [("021", "DEN")], {}),
    "cancel-dependent.834": ("024", False, [], {"357": date(1996, 8, 1)}),
    "change-subscriber-information.834": ("001", True, [], {}),
    "enroll-employee-managed-care.834": ("021", True, [("021", "HMO")], {"358": date(1996, 5, 23)}),
    "enroll-employee-multiple-products.834": (
        "021", True, [("021", "HLT"), ("021", "VIS")], {"356": date(1996, 5, 23)},
    ),
    "reinstate-employee-coverage-level.834": ("025", True, [("025", "DEN")], {}),
    "reinstate-employee.834": ("025", True, [], {"303": date(1996, 10, 1)}),
    "reinstate-member-eligiblity-ins.834": ("025", True, [], {}),
    "terminate-subscriber-eligibility.834": ("024", True, [], {"357": date(1996, 8, 1)}),
}  # fmt: skip


def test_every_sample_is_covered():
    assert {path.name for path in samples.sample_files(SAMPLES)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_reads_as_its_name_says(name):
    maintenance, subscriber, coverages, dates = EXPECTED[name]
    [member] = members(name)
    assert member.maintenance_type == maintenance
    assert member.subscriber is subscriber
    assert [(c.maintenance_type, c.insurance_line) for c in member.coverages] == coverages
    assert member.dates == dates
    assert member.subscriber_id and member.last_name and member.group_policy_number == ("123456001")


def test_a_full_member_loop_is_read():
    [member] = members("enroll-employee-multiple-products.834")
    assert (member.last_name, member.first_name, member.middle_name) == ("DOE", "JOHN", "P")
    assert member.address_lines == ("100 MARKET ST", "APT 30")
    assert (member.city, member.state, member.postal_code) == ("CAMP HILL", "PA", "17011")
    assert (member.birth_date, member.sex) == (date(1940, 8, 16), "M")
    assert [c.begin for c in member.coverages] == [date(1996, 6, 1)] * 2


def test_the_header_is_yielded_before_its_members():
    with (SAMPLES / "add-dependent.834").open("rb") as source:
        items = list(read_834(source))
    header = items[0]
    assert isinstance(header, EnrollmentHeader)
    assert (header.interchange_control_number, header.control_number) == ("000010216", "0001")
    assert (header.master_policy, header.sponsor_id, header.payer_id) == (
        "ABCD012354", "999888777", "654456654",
    )  # fmt: skip
    assert isinstance(items[1], Member)


def test_summary_counts_members_by_maintenance_type():
    text = (SAMPLES / "enroll-employee-multiple-products.834").read_text()
    body = text.split("INS*", 1)[1].split("SE*", 1)[0]
    doubled = text.replace("SE*18*", f"SE*{18 + body.count('~')}*").replace(
        "INS*" + body, "INS*" + body + "INS*" + body.replace("*021*", "*024*", 1)
    )
    summary = summarize_834(io.StringIO(doubled))
    assert (summary.members, summary.by_maintenance_type) == (2, {"021": 1, "024": 1})
    assert summary.coverages == 4


# ---- bad files: each error names the segment and the element ---------------------------

VALID = (SAMPLES / "add-dependent.834").read_text()


def read_all(text: str) -> None:
    list(read_834(io.StringIO(text)))


def recount(text: str) -> str:
    """`text` (one transaction set) with SE01 counting its segments, ST to SE."""
    head, rest = text.split("ST*", 1)
    body, tail = rest.split("~\nSE*", 1)
    count = body.count("~") + 2
    return f"{head}ST*{body}~\nSE*{count}*{tail.split('*', 1)[1]}"


def inserted(text: str, after: str, segments: tuple[str, ...]) -> str:
    """`text` with `segments` after the segment `after`, SE01 counting them."""
    added = "".join(f"{segment}~\n" for segment in segments)
    return recount(text.replace(f"{after}~\n", f"{after}~\n{added}", 1))


def in_member(text: str, *segments: str) -> str:
    """VALID with `segments` after the member's DMG (segment 13, loop 2100A)."""
    return inserted(text, "DMG*D8*19770816*M", segments)


def in_member_dates(text: str, *segments: str) -> str:
    """VALID with `segments` after the member's REF*1L (segment 10, loop 2000)."""
    return inserted(text, "REF*1L*123456001", segments)


def in_coverage(text: str, *segments: str) -> str:
    """VALID with `segments` at the end of the HD loop (after segment 16, loop 2300)."""
    return inserted(text, "DTP*348*D8*19960601", segments)


@pytest.mark.parametrize(
    ("change", "located"),
    [
        (lambda t: t.replace("SE*15*0001", "SE*14*0001"), "segment 17 (SE), SE01"),
        (lambda t: t.replace("SE*15*0001", "SE*15*0002"), "segment 17 (SE), SE02"),
        (lambda t: t.replace("GE*1*20213", "GE*2*20213"), "segment 18 (GE), GE01"),
        (lambda t: t.replace("IEA*1*000010216", "IEA*1*000010217"), "segment 19 (IEA), IEA02"),
        (lambda t: t.split("GE*")[0], "truncated"),
        (lambda t: t[: t.index("DMG") + 6], "truncated"),
        (lambda t: t.replace("INS*N*19*021", "INS*N*19*099"), "segment 8 (INS), INS03"),
        (lambda t: t.replace("INS*N*", "INS*X*"), "segment 8 (INS), INS01"),
        (lambda t: t.replace("HD*021**HLT", "HD*777**HLT"), "segment 15 (HD), HD01"),
        (lambda t: t.replace("DMG*D8*19770816", "DMG*D8*19771332"), "segment 13 (DMG), DMG02"),
        (
            lambda t: t.replace(
                "DTP*348*D8*19960601~", "DTP*348*D8*19960601~DTP*349*D8*19950101~"
            ).replace("SE*15", "SE*16"),
            "segment 17 (DTP), DTP03",
        ),
        (lambda t: t.replace("REF*0F*123456789~", "").replace("SE*15", "SE*14"), "REF*0F"),
        (lambda t: t.replace("ST*834*", "ST*820*"), "segment 3 (ST), ST01"),
        (lambda t: t.replace("ISA*", "ISB*", 1), "ISA"),
        (lambda t: "", "empty"),
        # envelopes: counts, control numbers and nesting
        (lambda t: t.replace("IEA*1*", "IEA*2*"), "segment 19 (IEA), IEA01"),
        (lambda t: t.replace("GE*1*20213", "GE*1*20214"), "segment 18 (GE), GE02"),
        (lambda t: t.replace("SE*15*0001~\n", ""), "segment 17 (GE): GE without an open GS"),
        (lambda t: t.replace("GE*1*20213~\n", ""), "segment 18 (IEA): IEA before the GE"),
        (lambda t: t.replace("ST*834*", "GS*BE*X~\nST*834*"), "segment 3 (GS): GS inside"),
        (lambda t: t.replace("GS*BE*", "ISA*00~\nGS*BE*"), "segment 2 (ISA): ISA inside"),
        (lambda t: t + "REF*38*X~", "segment 20 (REF): REF outside an interchange"),
        (lambda t: t.replace("GE*1*", "INS*Y*18*021~\nGE*1*"), "segment 18 (INS): INS outside a"),
        (lambda t: t.replace("BGN*", "GE*0*20213~\nBGN*"), "segment 4 (GE): GE without"),
        (lambda t: t.replace("GS*BE*", "BGN*00~\nGS*BE*"), "segment 2 (BGN): BGN outside a f"),
        # an envelope segment or a malformed id inside a member loop
        (lambda t: in_member(t, "ST*834*0002*005010X220A1"), "segment 14 (ST): ST inside an open"),
        (lambda t: in_member(t, "IEA*1*000010216"), "segment 14 (IEA): IEA before the GE"),
        (lambda t: in_member(t, "x1*A"), "segment 14 (x1): 'x1' is not a segment identifier"),
        (lambda t: in_member(t, "TOOLONG*A"), "segment 14 (TOOLONG): 'TOOLONG' is not a"),
        (lambda t: t.replace("~", "A"), "ISA16"),
        (lambda t: t.replace("ST*834*0001*005010X220A1", "ST*834*0001*005010X220A2"), "ST03"),
        # member loops: each element the reader relies on
        (lambda t: t.replace("INS*N*19*", "INS*N**"), "segment 8 (INS), INS02"),
        (lambda t: t.replace("REF*0F*123456789", "REF*0F*"), "segment 9 (REF), REF02"),
        (lambda t: t.replace("DTP*351*", "DTP**"), "segment 11 (DTP), DTP01"),
        (lambda t: t.replace("DTP*351*D8*", "DTP*351*XX*"), "segment 11 (DTP), DTP02"),
        (lambda t: t.replace("D8*19980515", "D8*1998051"), "segment 11 (DTP), DTP03"),
        (lambda t: t.replace("D8*19960601", "D8*1996060A"), "segment 16 (DTP), DTP03"),
        (lambda t: t.replace("NM1*IL*1*DOE", "NM1*IL*1*"), "segment 12 (NM1), NM103"),
        (lambda t: t.replace("DMG*D8*", "DMG*D6*"), "segment 13 (DMG), DMG01"),
        (lambda t: t.replace("19770816*M", "19770816*Q"), "segment 13 (DMG), DMG03"),
        (lambda t: t.replace("HD*021**HLT", "HD*021**"), "segment 15 (HD), HD03"),
        (
            lambda t: t.replace("NM1*IL*1*DOE*JOHN*P***34*103229876~\n", "").replace(
                "SE*15", "SE*14"
            ),
            "segment 8 (INS): NM1*IL (member name) missing",
        ),
        (
            lambda t: in_member_dates(t, "DTP*356*D8*19980601", "DTP*357*D8*19980501"),
            "segment 12 (DTP), DTP03: eligibility ends 1998-05-01 before it begins 1998-06-01",
        ),
        (lambda t: in_coverage(t, "AMT*FK*12e3"), "segment 17 (AMT), AMT02: '12e3' is not an"),
        (lambda t: in_coverage(t, "AMT*FK*-5"), "segment 17 (AMT), AMT02: '-5' is not an amount"),
        (lambda t: in_coverage(t, "AMT*FK*1,000"), "segment 17 (AMT), AMT02"),
        (lambda t: in_coverage(t, "AMT*FK"), "segment 17 (AMT), AMT02: AMT02 (amount) is req"),
        (lambda t: in_coverage(t, "AMT*ZZ*100"), "segment 17 (AMT), AMT01: unknown amount qual"),
        (
            lambda t: in_coverage(t, "DTP*349*D8*19950101"),
            "segment 17 (DTP), DTP03: coverage ends 1995-01-01 before it begins 1996-06-01",
        ),
    ],
)
def test_bad_files_are_refused_with_the_place(change, located):
    with pytest.raises(X12Error) as refused:
        read_all(change(VALID))
    assert located in str(refused.value)


def test_line_breaks_between_segments_are_tolerated():
    assert len(list(read_834(io.StringIO(VALID.replace("~", "~\r\n"))))) == 2


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_corruption_raises_only_the_readers_own_error(data):
    raw = bytearray(VALID.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if action == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "delete" and raw:
            del raw[at]
        elif action == "insert":
            raw.insert(at, data.draw(st.sampled_from(b"*~:>^0123456789AZ \n\x00\xff")))
        else:
            del raw[at:]
    with contextlib.suppress(X12Error):
        list(read_834(io.BytesIO(bytes(raw))))


# ---- delimiters, chunks and streaming -------------------------------------------------


def items_of(text: str | bytes) -> list[EnrollmentHeader | Member]:
    source = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
    return list(read_834(source))


def test_the_delimiters_are_the_isas():
    # ISA04's separator is the element separator, ISA16's character the terminator.
    other = VALID.replace("*", "|").replace("\n", "").replace("~", "!")
    assert other[3] == "|" and other[105] == "!"
    assert items_of(other) == items_of(VALID)
    with pytest.raises(X12Error, match=r"segment 8 \(INS\), INS03: unknown maintenance type"):
        read_all(other.replace("|021|", "|099|", 1))


def test_a_line_break_can_be_the_segment_terminator():
    assert items_of(VALID.replace("\n", "").replace("~", "\n")) == items_of(VALID)


def test_a_byte_outside_the_character_set_is_refused():
    with pytest.raises(X12Error, match="byte 0xc3 is not in the X12 character set"):
        items_of(VALID.replace("DOE", "DÖE").encode())


RICH = in_coverage(
    in_member_dates(VALID, "DTP*356*D8*19980601", "DTP*357*RD8*19981231-19990101").replace(
        "HD*021**HLT~", "HD*021**HLT*PPO*FAM~"
    ),
    "DTP*349*D8*19961231",
)


def test_ranges_amounts_and_end_dates_are_read():
    rich = in_coverage(RICH, "AMT*FK*25000.50", "AMT*C1*12")
    [member] = [item for item in items_of(rich) if isinstance(item, Member)]
    assert (member.eligibility_begin, member.eligibility_end) == (
        date(1998, 6, 1), date(1998, 12, 31),
    )  # fmt: skip
    [coverage] = member.coverages
    assert (coverage.plan_description, coverage.coverage_level) == ("PPO", "FAM")
    assert (coverage.begin, coverage.end) == (date(1996, 6, 1), date(1996, 12, 31))
    assert coverage.amounts == {"FK": Decimal("25000.50"), "C1": Decimal(12)}
    assert coverage.benefit_amount == Decimal("25000.50")


# A provider loop (2310) after the coverage: its N3 is not the member's address.
WITH_PROVIDER = in_coverage(RICH, "AMT*FK*50000", "LX*1", "NM1*P3*1*DOC", "N3*1 CLINIC RD")


def test_loops_past_the_coverage_are_read_past():
    [member] = [item for item in items_of(WITH_PROVIDER) if isinstance(item, Member)]
    assert member.address_lines == ()
    assert member.coverages[0].amounts == {"FK": Decimal(50000)}


def many_members(count: int) -> str:
    """VALID with its member loop `count` times, the same segments word for word."""
    body = VALID.split("INS*", 1)[1].split("SE*", 1)[0]
    return recount(VALID.replace("INS*" + body, ("INS*" + body) * count))


@pytest.mark.parametrize("chunk", [1, 7, 106, 4096])
def test_chunk_boundaries_change_nothing(monkeypatch, chunk):
    text = many_members(5)
    whole = items_of(text)
    monkeypatch.setattr(reader, "CHUNK", chunk)
    assert items_of(text) == whole
    assert items_of(text.encode()) == whole
    assert items_of(text.replace("~\n", "~\r\n")) == whole
    assert [item.segment_number for item in whole] == [3, 8, 17, 26, 35, 44]
    with pytest.raises(X12Error, match=r"segment 53 \(SE\), SE01"):
        items_of(text.replace("SE*51*", "SE*50*"))


def test_repeated_segments_give_each_member_its_own_objects():
    members = [item for item in items_of(many_members(3)) if isinstance(item, Member)]
    assert len(members) == 3
    first, second = members[0], members[1]
    assert (first.segment_number, second.segment_number) == (8, 17)
    assert first.coverages[0] is not second.coverages[0]
    assert first.coverages[0].amounts is not second.coverages[0].amounts
    assert first.dates is not second.dates and first.dates == second.dates
    first.coverages[0].amounts["FK"] = Decimal(1)
    assert second.coverages[0].amounts == {}


class CountingReads(io.BytesIO):
    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_the_file_is_streamed_not_read_whole(monkeypatch):
    monkeypatch.setattr(reader, "CHUNK", 4096)
    content = many_members(2000).encode()
    source = CountingReads(content)
    items = read_834(source)
    assert isinstance(next(items), EnrollmentHeader)
    assert isinstance(next(items), Member)
    assert source.bytes_read <= 2 * 4096 < len(content)
    assert sum(1 for _ in items) == 1999
    assert source.bytes_read == len(content)


def test_each_transaction_set_has_its_header_then_its_members():
    body = VALID.split("ST*", 1)[1].split("GE*", 1)[0]
    second = body.replace("834*0001*", "834*0002*").replace("*0001~", "*0002~")
    text = VALID.replace("ST*" + body, "ST*" + body + "ST*" + second).replace("GE*1*", "GE*2*")
    kinds = [(type(item).__name__, item.segment_number) for item in items_of(text)]
    assert kinds == [
        ("EnrollmentHeader", 3), ("Member", 8), ("EnrollmentHeader", 18), ("Member", 23),
    ]  # fmt: skip
    headers = [item for item in items_of(text) if isinstance(item, EnrollmentHeader)]
    assert [header.control_number for header in headers] == ["0001", "0002"]
    with pytest.raises(X12Error, match=r"segment 33 \(GE\), GE01"):
        items_of(text.replace("GE*2*", "GE*1*"))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_random_corruption_of_a_rich_file_in_small_chunks_raises_only_x12error(data):
    raw = bytearray(WITH_PROVIDER.encode())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip" and raw:
            raw[at] = data.draw(st.sampled_from(b"*~:0123456789ADFKLNRYZ-\n\x80"))
        elif action == "delete" and raw:
            del raw[at]
        else:
            raw.insert(at, data.draw(st.sampled_from(b"*~:>^0123456789AZ \n")))
    chunk = data.draw(st.sampled_from([5, 64, 1 << 20]))
    original, reader.CHUNK = reader.CHUNK, chunk
    try:
        with contextlib.suppress(X12Error):
            list(read_834(io.BytesIO(bytes(raw))))
    finally:
        reader.CHUNK = original

"""The 834 reader against public sample files, and against every way a file goes wrong."""

import contextlib
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payerdesk.edi import EnrollmentHeader, Member, X12Error, read_834, summarize_834

# shared/ sits beside the checkout, here and in CI; its samples are never edited.
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "x12" / "834"


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
    assert {path.name for path in SAMPLES.iterdir()} == set(EXPECTED)


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

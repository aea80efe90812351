"""The 820 reader against the public samples, and against every way a file goes wrong."""

import contextlib
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payerdesk.edi import X12Error, read_segments
from payerdesk.edi.x820 import RemittanceHeader, RemittanceLine, load_820, read_820
from tests import samples

SAMPLES = samples.X820

# sample -> (ISA13, BPR02, RMR lines, distinct members, ADX adjustments, BPR16)
EXPECTED = {
    "sample_820_01.txt": ("000058691", Decimal("102139.46"), 13, 12, 0, date(2026, 1, 15)),
    "sample_820_02.txt": ("000059660", Decimal("91977.81"), 23, 13, 10, date(2026, 3, 12)),
}


def load(name: str):
    with (SAMPLES / name).open("rb") as source:
        return load_820(source)


def test_every_sample_is_covered():
    assert {path.name for path in samples.sample_files(SAMPLES)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_reads_with_the_total_it_states(name):
    control, total, lines, members, adjustments, paid_on = EXPECTED[name]
    remittance = load(name)
    [header] = remittance.headers
    assert remittance.interchange_control_number == control
    assert header.total == total == sum(line.paid for line in remittance.lines)
    assert (len(remittance.lines), remittance.members) == (lines, members)
    assert sum(len(line.adjustments) for line in remittance.lines) == adjustments
    assert header.payment_date == paid_on
    assert all(line.individual and line.period_start for line in remittance.lines)


def test_the_header_names_payer_payee_and_trace():
    [header] = load("sample_820_01.txt").headers
    assert (header.handling, header.credit_debit, header.payment_method) == ("I", "C", "NON")
    assert header.trace_number == "TESTTRN01000001"
    assert (header.payer_name, header.payee_name) == (
        "TEST PAYER AGENCY",
        "TEST PAYEE ORGANIZATION",
    )


def test_a_member_line_carries_paid_billed_period_and_adjustments():
    lines = load("sample_820_02.txt").lines
    first, second = lines[0], lines[1]
    assert (first.member_id, first.last_name, first.paid, first.billed) == (
        "TESTMBR000000001", "LASTNAME01", Decimal("5555.82"), None,
    )  # fmt: skip
    assert (first.period_start, first.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (second.paid, second.billed) == (Decimal("454.72"), Decimal("5555.82"))
    [adjustment] = second.adjustments
    assert (adjustment.amount, adjustment.reason) == (Decimal("-5101.10"), "53")
    # A negative member line (a premium given back) is allowed in an 820.
    assert any(line.paid < 0 for line in lines)


def test_the_header_comes_before_its_lines():
    with (SAMPLES / "sample_820_01.txt").open("rb") as source:
        items = list(read_820(source))
    assert isinstance(items[0], RemittanceHeader)
    assert all(isinstance(item, RemittanceLine) for item in items[1:])


ORGANISATION = (
    "ENT*1*2L*FI*123456789~RMR*1L*GROUP-77**150.00~"
    "ENT*2*2J*EI*123456789~NM1*IL*1*DOE*JANE****N*M1~RMR*IK*INV1**100.00*120.00~"
    "DTM*582****RD8*20260101-20260131~ADX*-20.00*52~"
)


def envelope(body: str, total: str = "250.00") -> str:
    segments = [
        "ST*820*0001*005010X218",
        f"BPR*C*{total}*C*ACH************20260105",
        "TRN*1*T1",
        *[s for s in body.split("~") if s],
    ]
    inner = "~".join(segments) + f"~SE*{len(segments) + 1}*0001~"
    return (
        "ISA*00*          *00*          *ZZ*S              *ZZ*R              *260105*0800*^*"
        "00501*000000001*0*P*:~GS*RA*S*R*20260105*0800*1*X*005010X218~"
        + inner
        + "GE*1*1~IEA*1*000000001~"
    )


def test_organisation_level_summary_lines_are_read():
    remittance = load_820(io.StringIO(envelope(ORGANISATION)))
    group, member = remittance.lines
    assert (group.individual, group.member_id, group.paid) == (False, "", Decimal("150.00"))
    assert (member.individual, member.member_id, member.billed) == (True, "M1", Decimal("120.00"))
    assert remittance.members == 1


# ---- bad files: each error names the segment and the element ---------------------------

VALID = (SAMPLES / "sample_820_01.txt").read_text()


def read_all(text: str) -> None:
    list(read_820(io.StringIO(text)))


@pytest.mark.parametrize(
    ("change", "located"),
    [
        (
            lambda t: t.replace("BPR*I*102139.46", "BPR*I*102000.00"),
            "segment 4 (BPR), BPR02: BPR02 total 102000.00 does not equal the sum of the 13 "
            "RMR04 amount(s) 102139.46: it differs by -139.46",
        ),
        (lambda t: t.replace("BPR*I*102139.46", "BPR*I*-5.00"), "BPR02"),
        (lambda t: t.replace("BPR*I*102139.46", "BPR*I*1O2139.46"), "segment 4 (BPR), BPR02"),
        (lambda t: t.replace("BPR*I*", "BPR*Q*"), "segment 4 (BPR), BPR01"),
        (lambda t: t.replace("*C*NON*", "*C*XXX*"), "segment 4 (BPR), BPR04"),
        (lambda t: t.replace("******20260115", "******20261315"), "segment 4 (BPR), BPR16"),
        (lambda t: t.replace("******20260115", "******"), "segment 4 (BPR), BPR16"),
        (lambda t: t.replace("**8086.53~", "**80.865~", 1), "segment 15 (RMR), RMR04"),
        (lambda t: t.replace("**8086.53~", "**~", 1), "segment 15 (RMR), RMR04"),
        (lambda t: t.replace("RMR*IK*", "RMR**", 1), "segment 15 (RMR), RMR01"),
        (lambda t: t.replace("RD8*20251201-20251231", "RD8*20251231-20251201", 1), "DTM06"),
        (lambda t: t.replace("RD8*20251201-20251231", "RD8*20251201", 1), "segment 19 (DTM)"),
        (lambda t: t.replace("RD8*20251201-20251231", "RD8*20251301-20251231", 1), "DTM06"),
        (lambda t: t.replace("ENT*1*2J", "ENT*X*2J"), "segment 13 (ENT), ENT01"),
        (
            lambda t: t.replace(
                "NM1*IL*1*LASTNAME01*FIRSTNAME01****N*TESTMBR000000001~", ""
            ).replace("SE*100", "SE*99"),
            "segment 14 (RMR): RMR before the NM1*IL",
        ),
        (
            lambda t: t.replace("TRN*3*TESTTRN01000001~", "").replace("SE*100", "SE*99"),
            "TRN",
        ),
        (
            lambda t: t.replace("BPR*I*102139.46*C*NON******68-0317191******20260115~", "").replace(
                "SE*100", "SE*99"
            ),
            "BPR (financial information) is missing",
        ),
        (lambda t: t.replace("SE*100*0001", "SE*99*0001"), "SE01"),
        (lambda t: t.replace("ST*820*", "ST*834*"), "segment 3 (ST), ST01"),
        (lambda t: t.replace("005010X218~BPR", "005010X220A1~BPR"), "segment 3 (ST), ST03"),
        (lambda t: t.split("GE*")[0], "truncated"),
        (lambda t: "", "empty"),
    ],
)
def test_bad_files_are_refused_with_the_place(change, located):
    with pytest.raises(X12Error) as refused:
        read_all(change(VALID))
    assert located in str(refused.value)


def test_an_adjustment_before_its_rmr_is_refused():
    body = "ENT*1*2J*EI*1~NM1*IL*1*DOE****N*M1~ADX*-5.00*52~RMR*IK*I**250.00~"
    with pytest.raises(X12Error, match=r"segment 8 \(ADX\): ADX before the RMR"):
        load_820(io.StringIO(envelope(body)))


def test_line_breaks_between_segments_are_tolerated():
    assert len(load_820(io.StringIO(VALID.replace("~", "~\r\n"))).lines) == 13


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
            raw.insert(at, data.draw(st.sampled_from(b"*~:>^-.0123456789AZ \n\x00\xff")))
        else:
            del raw[at:]
    with contextlib.suppress(X12Error):
        load_820(io.BytesIO(bytes(raw)))


def test_an_amount_too_long_for_the_element_is_refused():
    with pytest.raises(X12Error, match="RMR04"):
        read_all(VALID.replace("**8086.53~", "**" + "9" * 30 + "~", 1))


def test_the_first_problem_in_the_file_is_the_one_reported():
    """A bad amount early in the file and a wrong SE count at its end: the amount is
    named, as the reader meets it (segments are checked one at a time, in order)."""
    text = VALID.replace("**8086.53~", "**80.865~", 1).replace("SE*100*0001", "SE*99*0001")
    with pytest.raises(X12Error, match=r"segment 15 \(RMR\), RMR04"):
        read_all(text)


def test_read_segments_numbers_pads_and_checks_the_envelope():
    segments = list(read_segments(io.StringIO(VALID)))
    assert [(s.number, s.id) for s in segments[:3]] == [(1, "ISA"), (2, "GS"), (3, "ST")]
    assert segments[-1].id == "IEA" and len(segments) == 104
    trn = segments[4]
    assert trn.elements[:3] == ["TRN", "3", "TESTTRN01000001"] and len(trn.elements) == 12
    with pytest.raises(X12Error, match=r"segment 102 \(SE\), SE01"):
        list(read_segments(io.StringIO(VALID.replace("SE*100*0001", "SE*99*0001"))))
    with pytest.raises(X12Error, match=r"segment 6 \(ref\): 'ref' is not a segment identifier"):
        list(read_segments(io.StringIO(VALID.replace("~REF*", "~ref*", 1))))
    with pytest.raises(X12Error, match="truncated"):
        list(read_segments(io.StringIO(VALID.split("GE*")[0])))

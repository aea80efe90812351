"""834 maintenance beyond add: coverage changes re-rated, reinstatements within a change,
benefit amounts from AMT, DTP*303, and full (030 audit) files reported and applied."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import Coverage, EnrollmentFile, Member, PolicyEvent
from payerdesk.groups.selectors import coverage_as_of
from payerdesk.groups.services.enrollment import ABSENCE_MEANS, enrollment_834_apply
from payerdesk.groups.services.terminations import member_reinstate
from tests.groups.x834_build import hd, loop, x834

EMPLOYEE = "100200300"


def apply(content: bytes, *, apply_audit: bool = False):
    return enrollment_834_apply(actor=None, name="t.834", content=content, apply_audit=apply_audit)


def life_on(member_id: str, day: date) -> list[tuple[str, Decimal | None, Decimal]]:
    member = Member.objects.get(member_id=member_id)
    return [
        (row.tier, row.benefit_amount, row.monthly_premium)
        for row in coverage_as_of(member=member, on=day)
    ]


@pytest.fixture
def insured(group, term_life, accident):
    apply(
        x834(
            [loop("021", "200", hd("021", "LIF", begin="20260101", amount="50000"),
                  hd("021", "AH", begin="20260101"))],
            control="000000001",
        )
    )  # fmt: skip
    return Member.objects.get(member_id="200")


def test_a_per_unit_benefit_comes_from_amt_fk_and_is_rated_per_unit(insured):
    [life, accident] = sorted(life_on("200", date(2026, 3, 1)), key=lambda r: r[0] == "EMP")
    assert (Decimal("50000"), Decimal("4.25")) in [(r[1], r[2]) for r in (life, accident)]


def test_a_per_unit_plan_without_an_amount_is_refused_at_its_hd(group, term_life):
    with pytest.raises(InvalidInput, match=r"segment 13 \(HD\): .*needs a benefit amount"):
        apply(x834([loop("021", "300", hd("021", "LIF", begin="20260101"))]))
    assert not Member.objects.exists()


def test_a_benefit_above_the_plan_maximum_is_refused(group, term_life):
    content = x834([loop("021", "300", hd("021", "LIF", begin="20260101", amount="900000"))])
    with pytest.raises(InvalidInput, match=r"\(HD\): the benefit 900000 is above the plan max"):
        apply(content)


def test_hd_001_changes_the_benefit_from_its_date_and_rerates(insured):
    result = apply(x834([loop("001", "200", hd("001", "LIF", begin="20260701", amount="100000"))]))
    assert any("-> EMP 100000 8.50/month" in change for change in result.changes)
    life = Coverage.objects.filter(member=insured, plan__product__code="term-life")
    assert [(r.start_date, r.end_date, r.benefit_amount) for r in life.order_by("start_date")] == [
        (date(2026, 1, 1), date(2026, 6, 30), Decimal("50000.00")),
        (date(2026, 7, 1), None, Decimal("100000.00")),
    ]


def test_hd_001_takes_its_date_from_dtp_303_and_tier_from_hd05(insured):
    content = x834([loop("001", "200", hd("001", "AH", "FAM"), extra=("DTP*303*D8*20260401",))])
    apply(content)
    assert sorted(r[0] for r in life_on("200", date(2026, 4, 1))) == ["EMP", "FAM"]
    assert ("EMP", None, Decimal("12.40")) in life_on("200", date(2026, 3, 31))


def test_a_change_effective_before_the_coverage_began_is_refused(insured):
    content = x834([loop("001", "200", hd("001", "AH", "FAM", begin="20251201"))])
    with pytest.raises(InvalidInput, match=r"effective 2025-12-01, not after the coverage began"):
        apply(content)


def test_a_change_for_an_unknown_member_is_refused(insured):
    with pytest.raises(InvalidInput, match="member 999 is not enrolled in group G1001"):
        apply(x834([loop("001", "999", hd("001", "AH", "FAM", begin="20260701"))]))


def test_hd_025_in_a_change_loop_reinstates_the_ended_line(insured):
    apply(x834([loop("001", "200", hd("024", "AH", end="20260331"))], control="000000002"))
    assert [r[1] for r in life_on("200", date(2026, 5, 1))] == [Decimal(50000)]  # life only
    apply(x834([loop("001", "200", hd("025", "AH"))], control="000000003"))
    assert len(life_on("200", date(2026, 5, 1))) == 2


def test_an_unapplied_hd01_is_refused_with_its_place(insured):
    with pytest.raises(InvalidInput, match=r"segment 13 \(HD\): HD01 002 is not applied"):
        apply(x834([loop("001", "200", hd("002", "AH"))]))


def test_a_termination_with_only_dtp_303_ends_the_day_before(insured):
    apply(x834([loop("024", "200", extra=("DTP*303*D8*20260501",))]))
    assert len(life_on("200", date(2026, 4, 30))) == 2
    assert life_on("200", date(2026, 5, 1)) == []


def test_a_termination_moves_one_already_set_for_later(insured):
    """Terminated to 09/30 by one file, then to 05/31 by the next (a correction)."""
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260930",))], control="000000002"))
    result = apply(x834([loop("024", "200", extra=("DTP*357*D8*20260531",))], control="000000003"))
    assert result.changes == ["Terminated member 200: 2 coverage(s) end 2026-05-31"]
    assert len(life_on("200", date(2026, 5, 31))) == 2
    assert life_on("200", date(2026, 6, 1)) == []
    # Sent again, or with a later date: it changes nothing, and says so.
    for day, control in (("20260531", "000000004"), ("20260630", "000000005")):
        again = apply(x834([loop("024", "200", extra=(f"DTP*357*D8*{day}",))], control=control))
        assert again.changes == [
            f"Member 200 has no coverage in force after {date.fromisoformat(day)}: "
            "nothing to terminate"
        ]
    assert life_on("200", date(2026, 6, 1)) == []


def test_a_bad_amount_is_refused_by_the_reader(group, term_life):
    content = x834([loop("021", "300", hd("021", "LIF", begin="20260101", amount="5O000"))])
    with pytest.raises(InvalidInput, match=r"segment 15 \(AMT\), AMT02"):
        apply(content)


# ---- 030 audit: a full file ---------------------------------------------------------


@pytest.fixture
def full_file(insured, employee) -> bytes:
    """Stored: 200 (life, accident EMP) and the employee (accident EMP). The file: 200's
    accident at FAM and no life, a new member 300, and the employee left out."""
    apply(x834([loop("001", EMPLOYEE, hd("021", "AH", begin="20260101"))], control="000000009"))
    return x834(
        [
            loop("030", "200", hd("030", "AH", "FAM")),
            loop("030", "300", hd("030", "AH", begin="20260701"), birth="19900101"),
        ],
        header="DTP*007*D8*20260701",
        control="000000010",
    )


def test_an_audit_reports_what_differs_and_changes_nothing(full_file):
    result = apply(full_file)
    assert result.audit and not result.audit_applied and result.absence_means == ABSENCE_MEANS
    text = "\n".join(result.changes)
    assert "Coverage differs: Changed member 200's Accident from 2026-07-01" in text
    assert "Coverage not in the file: member 200 Term life 10-150K ends 2026-06-30" in text
    assert "Not stored: member 300 is in the file" in text
    assert f"Missing from the file: member {EMPLOYEE}; 1 coverage(s) end 2026-06-30" in text
    assert not Member.objects.filter(member_id="300").exists()
    assert len(life_on(EMPLOYEE, date(2026, 8, 1))) == 1
    assert not EnrollmentFile.objects.filter(interchange_control_number="000000010").exists()


def test_an_audit_applied_adds_changes_and_ends_the_absent(full_file):
    result = apply(full_file, apply_audit=True)
    assert result.audit_applied
    assert life_on(EMPLOYEE, date(2026, 6, 30)) and not life_on(EMPLOYEE, date(2026, 7, 1))
    assert [r[0] for r in life_on("200", date(2026, 7, 1))] == ["FAM"]
    assert life_on("300", date(2026, 7, 1))[0][0] == "EMP"
    again = apply(full_file, apply_audit=True)
    assert again.already_imported


def test_an_audit_mixed_with_changes_is_refused(full_file):
    content = full_file.replace(
        b"INS*Y*18*030*XN*A***FT~REF*0F*300", b"INS*Y*18*021*XN*A***FT~REF*0F*300"
    )
    with pytest.raises(InvalidInput, match="holds only 030 member loops"):
        apply(content, apply_audit=True)
    assert not Member.objects.filter(member_id="300").exists()


# ---- terminations recorded, and undone as they were ---------------------------------


def _life_rows(member: Member) -> list[tuple[date, date | None, str]]:
    rows = Coverage.objects.filter(member=member, plan__product__code="term-life")
    return [(r.start_date, r.end_date, r.status) for r in rows.order_by("start_date", "pk")]


def test_a_reinstatement_keeps_the_termination_set_before_the_one_it_undoes(insured):
    """Terminated to 09/30, then to 05/31 (a correction), then reinstated: the member is
    covered again, to 09/30, not open-ended."""
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260930",))], control="000000002"))
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260531",))], control="000000003"))
    result = apply(x834([loop("025", "200")], control="000000004"))
    assert result.changes == ["Reinstated member 200: 2 coverage(s) restored"]
    assert _life_rows(insured) == [(date(2026, 1, 1), date(2026, 9, 30), "terminated")]
    assert len(life_on("200", date(2026, 9, 30))) == 2
    assert life_on("200", date(2026, 10, 1)) == []
    reinstated = PolicyEvent.objects.filter(member=insured, event="coverage_reinstated")
    assert [(e.effective_date, e.data) for e in reinstated] == [
        (date(2026, 6, 1), {"ends": "2026-09-30"})
    ] * 2


def test_a_reinstatement_in_the_same_file_restores_what_its_termination_cut(insured):
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260930",))], control="000000002"))
    apply(
        x834(
            [loop("024", "200", extra=("DTP*357*D8*20260531",)), loop("025", "200")],
            control="000000003",
        )
    )
    assert _life_rows(insured) == [(date(2026, 1, 1), date(2026, 9, 30), "terminated")]


def test_an_834_termination_is_recorded_with_its_reason_and_the_end_it_cut(insured, users):
    content = x834([loop("024", "200", extra=("DTP*357*D8*20260531",))], control="000000002")
    content = content.replace(b"INS*Y*18*024*XN", b"INS*Y*18*024*59")  # INS04 59: non-payment
    enrollment_834_apply(actor=users["groupadmin"], name="t.834", content=content)
    events = PolicyEvent.objects.filter(member=insured, event="coverage_terminated")
    assert (
        sorted((e.effective_date, e.reason, e.actor, e.data["ends_before"]) for e in events)
        == [
            (date(2026, 5, 31), "nonpayment", users["groupadmin"], None),
        ]
        * 2
    )


def test_a_user_reinstating_after_an_834_termination_keeps_its_scheduled_end(insured, users):
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260930",))], control="000000002"))
    apply(x834([loop("024", "200", extra=("DTP*357*D8*20260531",))], control="000000003"))
    member_reinstate(actor=users["groupadmin"], member=insured, reason="payment_received")
    assert _life_rows(insured)[-1] == (date(2026, 6, 1), date(2026, 9, 30), "terminated")
    assert life_on("200", date(2026, 10, 1)) == []


def test_the_member_page_shows_an_834_termination_and_reinstatement(insured, users, client_for):
    content = x834([loop("024", "200", extra=("DTP*357*D8*20260531",))], control="000000002")
    content = content.replace(b"INS*Y*18*024*XN", b"INS*Y*18*024*08")  # employment ended
    enrollment_834_apply(actor=users["groupadmin"], name="t.834", content=content)
    apply(x834([loop("025", "200")], control="000000003"))
    page = client_for(users["groupadmin"]).get(
        reverse("groups:reinstate-member", args=[insured.pk])
    )
    text = page.content.decode()
    assert "Coverage terminated effective 05/31/2026 (Employment ended) by groupadmin" in text
    assert "Coverage reinstated effective 06/01/2026 (Other)" in text

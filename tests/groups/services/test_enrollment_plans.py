"""Which plan an 834 HD loop means: HD03 (insurance line) when it names one of the
group's plans; HD04 (plan coverage description) when several share the line, as
accident, critical illness and hospital indemnity all share AH."""

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import Coverage, Member, PlanDesign, Product, RateRow
from payerdesk.groups.selectors import coverage_as_of
from payerdesk.groups.services.enrollment import enrollment_834_apply
from tests.groups.x834_build import hd, loop, x834


def apply(content: bytes):
    return enrollment_834_apply(actor=None, name="t.834", content=content)


def _plan(group, code: str, name: str, premium: str, description: str = "") -> PlanDesign:
    product = Product.objects.create(
        code=code, name=name, insurance_line="AH", x12_plan_description=description
    )
    plan = PlanDesign.objects.create(
        group=group, product=product, name=name, effective_date=date(2026, 1, 1),
        tiers=["EMP"], rate_basis="tier",
    )  # fmt: skip
    RateRow.objects.create(plan=plan, tier="EMP", rate=premium)
    return plan


@pytest.fixture
def ah_plans(group, accident):
    """Accident (no 834 description: matched by name or code), critical illness and
    hospital indemnity (matched by their HD04 descriptions), all on AH."""
    return (
        accident,
        _plan(group, "critical-illness", "Critical illness", "18.20", "CI 20K"),
        _plan(group, "hospital-indemnity", "Hospital indemnity", "9.80", "HOSP IND"),
    )


def covered(member_id: str) -> list[tuple[str, Decimal]]:
    member = Member.objects.get(member_id=member_id)
    return sorted(
        (row.plan.product.code, row.monthly_premium)
        for row in coverage_as_of(member=member, on=date(2026, 2, 1))
    )


def test_hd04_tells_apart_plans_on_the_same_insurance_line(ah_plans):
    apply(x834([loop("021", "300", hd("021", "AH", begin="20260101", description="ci  20k"),
                     hd("021", "AH", begin="20260101", description="HOSP IND"),
                     hd("021", "AH", begin="20260101", description="Accident"))]))  # fmt: skip
    assert covered("300") == [
        ("accident", Decimal("12.40")),
        ("critical-illness", Decimal("18.20")),
        ("hospital-indemnity", Decimal("9.80")),
    ]


def test_a_single_plan_on_the_line_needs_no_hd04(group, accident):
    apply(x834([loop("021", "300", hd("021", "AH", begin="20260101", description="ANYTHING"))]))
    assert covered("300") == [("accident", Decimal("12.40"))]


def test_hd04_changes_and_ends_the_plan_it_names(ah_plans):
    apply(x834([loop("021", "300", hd("021", "AH", begin="20260101", description="CI 20K"),
                     hd("021", "AH", begin="20260101", description="HOSP IND"))]))  # fmt: skip
    apply(x834([loop("001", "300", hd("024", "AH", end="20260131", description="HOSP IND"))],
               control="000000102"))  # fmt: skip
    assert covered("300") == [("critical-illness", Decimal("18.20"))]


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("", r"segment 13 \(HD\), HD04: HD04 \(plan coverage description\) is needed: group "
             r"G1001 has several plans on insurance line 'AH': Accident \(accident\); "
             r"Critical illness \(CI 20K\); Hospital indemnity \(HOSP IND\)"),
        ("DENTAL", r"segment 13 \(HD\), HD04: HD04 'DENTAL' names none of group G1001's plans "
                   r"on insurance line 'AH'"),
    ],
)  # fmt: skip
def test_a_missing_or_unknown_hd04_is_refused_at_hd04(ah_plans, description, says):
    with pytest.raises(InvalidInput, match=says):
        apply(x834([loop("021", "300", hd("021", "AH", begin="20260101",
                                          description=description))]))  # fmt: skip
    assert not Member.objects.exists() and not Coverage.objects.exists()


def test_an_hd04_two_plans_answer_to_is_refused_as_ambiguous(ah_plans):
    Product.objects.filter(code="hospital-indemnity").update(x12_plan_description="ci 20k")
    with pytest.raises(
        InvalidInput,
        match=r"segment 13 \(HD\), HD04: HD04 'CI 20K' matches "
        "more than one of group G1001's plans",
    ):
        apply(x834([loop("021", "300", hd("021", "AH", begin="20260101", description="CI 20K"))]))
    assert not Member.objects.exists()

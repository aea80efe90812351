"""A family on a tier-rated plan is billed once: the premium sits on the employee's
coverage at the family's tier, and each dependent has a coverage row of their own (so
eligibility answers for them) at that tier for no premium. Per-unit plans (spouse term
life per $1,000) rate each covered person on their own. The same on every door: 834,
census, the coverage service and API, and policy changes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.core.errors import InvalidInput
from payerdesk.groups import selectors
from payerdesk.groups.models import ChangeStatus, Coverage, Member
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.census import census_apply
from payerdesk.groups.services.enrollment import enrollment_834_apply
from payerdesk.groups.services.policy_changes import ChangeRequest, policy_change_request
from tests.groups.services.test_census import ACCIDENT, CHILD, csv_file
from tests.groups.x834_build import hd, loop, x834

EMPLOYEE, SPOUSE, CHILD_ID = "100200300", "100200300-01", "100200300-02"
MARCH = date(2026, 3, 1)


def apply(content: bytes):
    return enrollment_834_apply(actor=None, name="family.834", content=content)


def family_834(*, employee="FAM", spouse="", child="", control="000000001") -> bytes:
    """The employee on family accident and $50,000 term life; the spouse on accident
    and $20,000 spouse term life; a child on accident."""
    return x834(
        [
            loop("021", EMPLOYEE, hd("021", "AH", employee, begin="20260101"),
                 hd("021", "LIF", begin="20260101", amount="50000")),
            loop("021", SPOUSE, hd("021", "AH", spouse, begin="20260101"),
                 hd("021", "LIF", begin="20260101", amount="20000"), subscriber=EMPLOYEE,
                 relationship="01", birth="19880210", name="RIVERA*SAM"),
            loop("021", CHILD_ID, hd("021", "AH", child, begin="20260101"),
                 subscriber=EMPLOYEE, birth="20150501", name="RIVERA*KAI"),
        ],
        control=control,
    )  # fmt: skip


def held(member_id: str, on: date = MARCH) -> list[tuple[str, str, Decimal]]:
    member = Member.objects.get(member_id=member_id)
    return sorted(
        (row.plan.product.code, row.tier, row.monthly_premium)
        for row in selectors.coverage_as_of(member=member, on=on)
    )


def family_premium(on: date = MARCH) -> Decimal:
    """What a list bill sums for the family: every row in force, employee and dependents."""
    rows = Coverage.objects.filter(member__subscriber_id=EMPLOYEE, start_date__lte=on).exclude(
        end_date__lt=on
    )
    return sum((row.monthly_premium for row in rows.exclude(status="cancelled")), Decimal(0))


@pytest.fixture
def plans(group, term_life, accident):
    return term_life, accident


# ---- 834 ---------------------------------------------------------------------------------


def test_an_834_family_pays_the_tier_premium_once_and_each_dependent_is_eligible(plans, api_client):
    apply(family_834())
    assert held(EMPLOYEE) == [("accident", "FAM", Decimal("33.65")),
                              ("term-life", "EMP", Decimal("4.25"))]  # fmt: skip
    # The spouse's accident is the family's (no premium); spouse term life is rated on
    # the spouse's own age: $20,000 at 37, 20 x 0.085.
    assert held(SPOUSE) == [("accident", "FAM", Decimal("0.00")),
                            ("term-life", "EMP", Decimal("1.70"))]  # fmt: skip
    assert held(CHILD_ID) == [("accident", "FAM", Decimal("0.00"))]
    assert family_premium() == Decimal("33.65") + Decimal("4.25") + Decimal("1.70")
    answer = api_client("groupadmin").get(f"/api/eligibility?member={CHILD_ID}&date=2026-03-01")
    assert answer.json()["covered"] is True
    assert [(c["insurance_line"], c["tier"]) for c in answer.json()["coverages"]] == [("AH", "FAM")]


def test_a_stepchild_is_covered_by_a_child_tier(plans):
    apply(x834([loop("021", EMPLOYEE, hd("021", "AH", "ECH", begin="20260101")),
                loop("021", CHILD_ID, hd("021", "AH", "", begin="20260101"), subscriber=EMPLOYEE,
                     relationship="17", birth="20150501", name="RIVERA*KAI")]))  # fmt: skip
    assert held(CHILD_ID) == [("accident", "ECH", Decimal("0.00"))]


def test_a_dependents_hd05_must_be_the_employees(plans):
    with pytest.raises(InvalidInput, match=r"segment 23 \(HD\), HD05: Accident is rated by tier: "
                                           "the family is covered at the employee's tier FAM, "
                                           "not ESP"):  # fmt: skip
        apply(family_834(spouse="ESP"))
    assert not Member.objects.exists() and not Coverage.objects.exists()


def test_a_dependent_the_family_tier_does_not_cover_is_refused(plans):
    with pytest.raises(
        InvalidInput,
        match=r"\(HD\), HD05: the employee's Accident tier ECH "
        r"\(Employee and children\) does not cover a spouse",
    ):
        apply(family_834(employee="ECH"))
    assert not Member.objects.exists()


def test_a_re_tier_moves_the_dependents_and_must_still_cover_them(plans):
    apply(family_834())
    retier = loop("001", EMPLOYEE, hd("001", "AH", "ESP", begin="20260701"))
    child_ends = loop("024", CHILD_ID, subscriber=EMPLOYEE, birth="20150501",
                      extra=("DTP*357*D8*20260630",))  # fmt: skip
    with pytest.raises(
        InvalidInput,
        match=r"segment 13 \(HD\), HD05: coverage level ESP leaves "
        r"dependent 100200300-02 \(child\) covered",
    ):
        apply(x834([retier], control="000000002"))
    assert held(EMPLOYEE, date(2026, 7, 1))[0] == ("accident", "FAM", Decimal("33.65"))
    result = apply(x834([retier, child_ends], control="000000003"))
    july = date(2026, 7, 1)
    assert held(EMPLOYEE, july)[0] == ("accident", "ESP", Decimal("21.95"))
    assert held(SPOUSE, july)[0] == ("accident", "ESP", Decimal("0.00"))
    assert held(SPOUSE, date(2026, 6, 30))[0] == ("accident", "FAM", Decimal("0.00"))
    assert held(CHILD_ID, july) == [] and held(CHILD_ID, date(2026, 6, 30)) != []
    assert "2 dependent coverage(s) move to ESP" in " ".join(result.changes)
    assert family_premium(july) == Decimal("21.95") + Decimal("4.25") + Decimal("1.70")


def test_an_employees_termination_and_reinstatement_carry_the_family(plans):
    apply(family_834())
    apply(x834([loop("024", EMPLOYEE, extra=("DTP*357*D8*20260531",))], control="000000002"))
    june = date(2026, 6, 1)
    assert [held(who, june) for who in (EMPLOYEE, SPOUSE, CHILD_ID)] == [[], [], []]
    assert held(SPOUSE, date(2026, 5, 31)) != []
    apply(x834([loop("025", EMPLOYEE)], control="000000003"))
    assert held(CHILD_ID, june) == [("accident", "FAM", Decimal("0.00"))]
    assert len(held(SPOUSE, june)) == 2 and family_premium(june) == family_premium(MARCH)


def test_ending_the_employees_tier_plan_ends_the_dependents_under_it(plans):
    apply(family_834())
    apply(x834([loop("001", EMPLOYEE, hd("024", "AH", end="20260430"))], control="000000002"))
    may = date(2026, 5, 1)
    assert held(CHILD_ID, may) == [] and held(SPOUSE, may) == [
        ("term-life", "EMP", Decimal("1.70"))
    ]


# ---- census --------------------------------------------------------------------------------


def test_a_census_family_pays_the_tier_premium_once(plans):
    census_apply(actor=None, name="c.csv", content=csv_file(ACCIDENT, CHILD))
    child = Member.objects.get(member_id="501")
    [row] = selectors.coverage_as_of(member=child, on=MARCH)
    assert (row.tier, row.monthly_premium) == ("FAM", Decimal("0.00"))
    total = sum(c.monthly_premium for c in Coverage.objects.all())
    assert total == Decimal("33.65")


def test_a_census_dependent_at_another_tier_is_refused_at_its_cell(plans):
    with pytest.raises(InvalidInput, match="row 3, column tier: Accident is rated by tier"):
        census_apply(
            actor=None, name="c.csv", content=csv_file(ACCIDENT, CHILD.replace(",FAM,", ",ECH,"))
        )
    assert not Member.objects.exists()


# ---- the coverage service and API ------------------------------------------------------------


@pytest.fixture
def spouse(employee) -> Member:
    return Member.objects.create(
        group=employee.group, employee=employee, subscriber_id=employee.subscriber_id,
        member_id=SPOUSE, relationship="01", first_name="Sam", last_name="Rivera",
        birth_date=date(1988, 2, 10), sex="M",
    )  # fmt: skip


def _add(users, member, plan, tier, benefit=None):
    return services.coverage_add(
        actor=users["groupadmin"], member=member, plan=plan, tier=tier,
        benefit_amount=Decimal(benefit) if benefit else None, start_date=date(2026, 1, 1),
    )  # fmt: skip


def test_the_coverage_service_covers_a_dependent_at_the_employees_tier(
    users, employee, spouse, accident, term_life
):
    with pytest.raises(InvalidInput, match="the employee has none on 2026-01-01") as refused:
        _add(users, spouse, accident, "")
    assert refused.value.field == "plan"
    _add(users, employee, accident, "ESP")
    with pytest.raises(InvalidInput, match="not FAM") as refused:
        _add(users, spouse, accident, "FAM")
    assert refused.value.field == "tier"
    row = _add(users, spouse, accident, "")
    assert (row.tier, row.monthly_premium) == ("ESP", Decimal("0.00"))
    life = _add(users, spouse, term_life, "EMP", "20000")  # per unit: the spouse's own rate
    assert life.monthly_premium == Decimal("1.70")


def test_the_api_covers_a_dependent_without_a_tier(users, employee, spouse, accident, api_client):
    _add(users, employee, accident, "ESP")
    created = api_client("groupadmin").post(
        f"/api/members/{spouse.pk}/coverages",
        {"plan_id": accident.pk, "start_date": "2026-02-01"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert (created.json()["tier"], created.json()["monthly_premium"]) == ("ESP", "0.00")


# ---- policy changes ----------------------------------------------------------------------------

TODAY = date(2026, 6, 15)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def _change(users, member, change_type, **values):
    return policy_change_request(
        actor=users["groupadmin"], member=member,
        request=ChangeRequest(change_type=change_type, effective_date=date(2026, 7, 1), **values),
    )  # fmt: skip


def test_adding_and_removing_dependents_keeps_the_family_on_one_tier(
    today, users, employee, spouse, accident
):
    _add(users, employee, accident, "ESP")
    _add(users, spouse, accident, "")
    child = {"member_id": CHILD_ID, "first_name": "Kai", "last_name": "Rivera",
             "birth_date": "2026-06-01", "sex": "M", "relationship": "19"}  # fmt: skip
    born = TODAY - timedelta(days=14)
    added = _change(users, employee, "dependent_add", plan=accident, tier="FAM",
                    dependent_details=child, qualifying_event_date=born)  # fmt: skip
    assert added.status == ChangeStatus.APPLIED
    assert (added.old_premium, added.new_premium) == (Decimal("21.95"), Decimal("33.65"))
    july = date(2026, 7, 1)
    assert held(EMPLOYEE, july) == [("accident", "FAM", Decimal("33.65"))]
    assert held(SPOUSE, july) == [("accident", "FAM", Decimal("0.00"))]
    assert held(CHILD_ID, july) == [("accident", "FAM", Decimal("0.00"))]
    assert held(SPOUSE, date(2026, 6, 30)) == [("accident", "ESP", Decimal("0.00"))]
    # Removing the spouse to employee only would leave the child at a tier not theirs.
    with pytest.raises(InvalidInput, match="Tier EMP does not cover child 100200300-02") as refused:
        _change(users, employee, "dependent_remove", plan=accident, tier="EMP", dependent=spouse)
    assert refused.value.field == "tier"
    removed = _change(users, employee, "dependent_remove", plan=accident, tier="ECH",
                      dependent=spouse)  # fmt: skip
    assert removed.new_premium == Decimal("24.10")
    assert held(SPOUSE, july) == [] and held(CHILD_ID, july) == [
        ("accident", "ECH", Decimal("0.00"))
    ]
    assert family_premium(july) == Decimal("24.10")


def test_a_stepchild_moves_with_the_employees_tier_on_a_policy_change(
    today, users, employee, accident
):
    stepchild = Member.objects.create(
        group=employee.group, employee=employee, subscriber_id=employee.subscriber_id,
        member_id=CHILD_ID, relationship="17", first_name="Kai", last_name="Rivera",
        birth_date=date(2015, 5, 1), sex="M",
    )  # fmt: skip
    _add(users, employee, accident, "ECH")
    _add(users, stepchild, accident, "")
    # Adding the spouse moves the family to FAM, which covers a stepchild as a child.
    spouse = {"member_id": SPOUSE, "first_name": "Sam", "last_name": "Rivera",
              "birth_date": "1988-02-10", "sex": "M", "relationship": "01"}  # fmt: skip
    added = _change(users, employee, "dependent_add", plan=accident, tier="FAM",
                    dependent_details=spouse,
                    qualifying_event_date=TODAY - timedelta(days=10))  # fmt: skip
    assert added.status == ChangeStatus.APPLIED
    assert held(CHILD_ID, date(2026, 7, 1)) == [("accident", "FAM", Decimal("0.00"))]


def test_deleting_the_employees_tier_plan_ends_the_dependents_under_it(
    today, users, employee, spouse, accident
):
    _add(users, employee, accident, "ESP")
    _add(users, spouse, accident, "")
    deleted = _change(users, employee, "benefit_delete", plan=accident)
    assert deleted.status == ChangeStatus.APPLIED
    assert held(SPOUSE, date(2026, 7, 1)) == [] and held(SPOUSE, date(2026, 6, 30)) != []

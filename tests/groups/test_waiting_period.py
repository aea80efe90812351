"""A plan's waiting period: an employee is covered no sooner than that many days after
their hire date, on every door (coverage service, 834 DTP*336, census, policy change)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import Coverage, Member
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.census import census_apply
from payerdesk.groups.services.enrollment import enrollment_834_apply
from payerdesk.groups.services.policy_changes import ChangeRequest, policy_change_request
from tests.groups.services.test_census import EMPLOYEE, csv_file
from tests.groups.x834_build import hd, loop, x834

WAIT = (
    "Term life 10-150K has a 30-day waiting period: an employee hired 2026-01-10 is "
    "covered from 2026-02-09, not"
)


@pytest.fixture
def waiting(term_life):
    term_life.waiting_period_days = 30
    term_life.save()
    return term_life


def test_the_coverage_service_waits_from_the_hire_date(users, employee, waiting):
    employee.hire_date = date(2026, 1, 10)
    employee.save()

    def add(start: date):
        return services.coverage_add(
            actor=users["groupadmin"], member=employee, plan=waiting, tier="EMP",
            benefit_amount=Decimal("20000"), start_date=start,
        )  # fmt: skip

    with pytest.raises(InvalidInput, match=f"{WAIT} 2026-02-01") as refused:
        add(date(2026, 2, 1))
    assert refused.value.field == "start_date" and not Coverage.objects.exists()
    assert add(date(2026, 2, 9)).start_date == date(2026, 2, 9)


def test_an_834_hire_date_starts_the_wait(group, waiting):
    def file(begin: str, control: str) -> bytes:
        return x834([loop("021", "300", hd("021", "LIF", begin=begin, amount="20000"),
                          extra=("DTP*336*D8*20260110",))], control=control)  # fmt: skip

    with pytest.raises(InvalidInput, match=rf"segment 14 \(HD\): {WAIT} 2026-02-01"):
        enrollment_834_apply(actor=None, name="t.834", content=file("20260201", "000000001"))
    assert not Member.objects.exists()
    enrollment_834_apply(actor=None, name="t.834", content=file("20260301", "000000002"))
    assert Member.objects.get().hire_date == date(2026, 1, 10)


def test_a_census_row_inside_the_wait_is_refused_at_its_effective_date(group, waiting):
    row = EMPLOYEE.replace("2020-02-01", "2026-01-10").replace("2026-01-01", "2026-02-01")
    with pytest.raises(InvalidInput, match=f"row 2, column effective_date: {WAIT} 2026-02-01"):
        census_apply(actor=None, name="c.csv", content=csv_file(row))
    assert not Member.objects.exists()


def test_a_benefit_added_inside_the_wait_is_refused(users, employee, waiting, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 1, 20))
    employee.hire_date = date(2026, 1, 10)
    employee.save()
    with pytest.raises(InvalidInput, match=f"{WAIT} 2026-02-01") as refused:
        policy_change_request(
            actor=users["groupadmin"], member=employee,
            request=ChangeRequest(change_type="benefit_add", effective_date=date(2026, 2, 1),
                                  plan=waiting, tier="EMP", benefit_amount=Decimal("20000")),
        )  # fmt: skip
    assert refused.value.field == "effective_date" and not Coverage.objects.exists()

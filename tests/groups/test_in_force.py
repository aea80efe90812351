"""One meaning of "in force": `Coverage.objects.in_force`, and `Coverage.covers` for a
row in memory, agree on every kind of row; a cancelled coverage is never in force."""

from datetime import date
from decimal import Decimal

import pytest

from payerdesk.groups import selectors
from payerdesk.groups.models import Coverage

FEB_1, MAR_31 = date(2026, 2, 1), date(2026, 3, 31)
DAYS = [date(2026, 1, 31), FEB_1, date(2026, 2, 2), MAR_31, date(2026, 4, 1)]
ROWS = {  # name: (start, end, status)
    "open": (FEB_1, None, "active"),
    "ended": (FEB_1, MAR_31, "terminated"),
    "one day": (FEB_1, FEB_1, "terminated"),
    "cancelled": (FEB_1, FEB_1, "cancelled"),
}
IN_FORCE = {
    date(2026, 1, 31): set(),
    FEB_1: {"open", "ended", "one day"},
    date(2026, 2, 2): {"open", "ended"},
    MAR_31: {"open", "ended"},
    date(2026, 4, 1): {"open"},
}


@pytest.fixture
def rows(employee, accident) -> dict[str, Coverage]:
    return {
        name: Coverage.objects.create(
            member=employee,
            plan=accident,
            tier="EMP",
            start_date=start,
            end_date=end,
            status=status,
            monthly_premium=Decimal("12.40"),
            rated_age=39,
            rated_tobacco=False,
        )
        for name, (start, end, status) in ROWS.items()
    }


@pytest.mark.parametrize("day", DAYS)
def test_the_queryset_and_the_row_agree_and_cancelled_is_never_in_force(rows, day):
    names = {row.pk: name for name, row in rows.items()}
    queried = {names[pk] for pk in Coverage.objects.in_force(on=day).values_list("pk", flat=True)}
    in_memory = {name for name, row in rows.items() if row.covers(day)}
    assert queried == in_memory == IN_FORCE[day]


def test_groups_api_answers_from_the_same_rule(rows, employee, accident, group):
    for name in ("open", "ended", "one day"):
        rows[name].delete()
    # Only the cancelled row is left: the member is covered on no day, its start included.
    assert not selectors.member_covered(member=employee, on=FEB_1)
    assert not selectors.member_covered(member=employee, on=FEB_1, plan_id=accident.pk)
    assert selectors.members_covered(group=group, on=FEB_1) == set()
    assert not selectors.coverages_in_force(group=group, on=FEB_1).exists()
    assert selectors.coverage_as_of(member=employee, on=FEB_1) == []

"""A national desk finds a member by id in any group, or is told what more it must give."""

from datetime import date

import pytest

from payerdesk.core.errors import InvalidInput
from payerdesk.groups.models import Member
from payerdesk.groups.selectors import member_lookup
from payerdesk.groups.services import groups as services


@pytest.fixture
def second_group(users, markets, queues):
    return services.group_create(
        actor=users["groupadmin"],
        group_number="G2002",
        legal_name="Beacon Logistics Inc",
        situs_state="NJ",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="Lee Ledger",
        billing_contact_email="ap@beacon.example",
    )


def _same_id_in(group) -> Member:
    return Member.objects.create(
        group=group, subscriber_id="100200300", member_id="100200300", relationship="18",
        first_name="Sam", last_name="Okoye", birth_date=date(1979, 8, 2), sex="M",
    )  # fmt: skip


def test_a_member_is_found_by_id_in_any_group(employee):
    found = member_lookup(member_id=" 100200300 ")
    assert found.pk == employee.pk
    assert found.birth_date == date(1986, 3, 15) and found.group_id == employee.group_id


def test_an_id_in_two_groups_needs_the_group(employee, second_group):
    other = _same_id_in(second_group)
    with pytest.raises(InvalidInput, match="in several groups: give the group") as refused:
        member_lookup(member_id="100200300")
    assert refused.value.field == "group_number"
    assert member_lookup(member_id="100200300", group_number=" g2002 ").pk == other.pk
    assert member_lookup(member_id="100200300", group_number="G1001").pk == employee.pk


def test_an_unknown_member_or_a_member_not_in_the_group_is_named(employee, second_group):
    with pytest.raises(InvalidInput, match="No member '999' found") as refused:
        member_lookup(member_id="999")
    assert refused.value.field == "member_id"
    with pytest.raises(InvalidInput, match="No member '100200300' found"):
        member_lookup(member_id="100200300", group_number="G2002")

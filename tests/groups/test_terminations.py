"""Terminations and reinstatements: dates, reason codes, history kept, re-rated."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.groups import selectors, services
from payerdesk.groups.models import Coverage, Member, PolicyEvent, PremiumChange
from payerdesk.groups.terminations import (
    coverage_reinstate,
    coverage_terminate,
    group_reinstate,
    group_terminate,
    member_reinstate,
    member_terminate,
)

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def family(users, employee, term_life, accident):
    """The employee with term life ($30,000: 2.55) and family accident (33.65); a child
    covered under accident too (at the family's tier, for nothing)."""
    child = Member.objects.create(
        group=employee.group,
        employee=employee,
        subscriber_id=employee.subscriber_id,
        member_id="100200300-02",
        relationship="19",
        first_name="Kai",
        last_name="Rivera",
        birth_date=date(2015, 5, 1),
        sex="M",
    )
    add = services.coverage_add
    admin = users["groupadmin"]
    add(
        actor=admin,
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("30000"),
        start_date=date(2026, 1, 1),
    )
    add(
        actor=admin,
        member=employee,
        plan=accident,
        tier="FAM",
        benefit_amount=None,
        start_date=date(2026, 1, 1),
    )
    add(
        actor=admin,
        member=child,
        plan=accident,
        tier="FAM",
        benefit_amount=None,
        start_date=date(2026, 1, 1),
    )
    return employee, child


def covered_on(member, on):
    return sorted(row.plan.product.code for row in selectors.coverage_as_of(member=member, on=on))


def test_terminating_one_product(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    outcome = coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 8, 31),
        reason="voluntary",
    )
    row.refresh_from_db()
    assert (row.status, row.end_date) == ("terminated", date(2026, 8, 31))
    assert outcome.ended == [row]
    assert covered_on(employee, date(2026, 8, 31)) == ["accident", "term-life"]
    assert covered_on(employee, date(2026, 9, 1)) == ["accident"]
    event = PolicyEvent.objects.get(event="coverage_terminated")
    assert (event.reason, event.effective_date, event.coverage) == (
        "voluntary",
        date(2026, 8, 31),
        row,
    )


def test_terminating_an_employee_ends_their_dependents_too(users, family):
    employee, child = family
    outcome = member_terminate(
        actor=users["groupadmin"],
        member=employee,
        termination_date=date(2026, 9, 30),
        reason="employment_ended",
    )
    assert len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 10, 1)) == [] == covered_on(child, date(2026, 10, 1))
    assert Coverage.objects.count() == 3  # ended, never deleted
    with pytest.raises(Conflict, match="no coverage in force"):
        member_terminate(
            actor=users["groupadmin"],
            member=employee,
            termination_date=date(2026, 9, 30),
            reason="voluntary",
        )


def test_a_past_termination_records_the_premium_given_back(users, family, term_life):
    employee, _ = family
    member_terminate(
        actor=users["groupadmin"],
        member=employee,
        plan=term_life,
        termination_date=date(2026, 5, 15),
        reason="death",
    )
    diffs = [
        (d.period, d.old_amount, d.new_amount, d.difference)
        for d in PremiumChange.objects.order_by("period")
    ]
    assert diffs == [
        # May 16-31: 16 of 31 days of 2.55 = 1.316... -> 1.32
        (date(2026, 5, 1), Decimal("1.32"), Decimal("0.00"), Decimal("-1.32")),
        (date(2026, 6, 1), Decimal("2.55"), Decimal("0.00"), Decimal("-2.55")),
    ]


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"termination_date": date(2025, 12, 31)}, "termination_date", "before the"),
        ({"reason": "bored"}, "reason", "not a reason code"),
    ],
)
def test_bad_terminations_are_refused(users, family, term_life, values, field, says):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    arguments = {"termination_date": date(2026, 8, 31), "reason": "voluntary"} | values
    with pytest.raises(InvalidInput, match=says) as refused:
        coverage_terminate(actor=users["groupadmin"], coverage=row, **arguments)
    assert refused.value.field == field
    row.refresh_from_db()
    assert row.end_date is None and not PolicyEvent.objects.exclude(event="coverage_added").exists()


def test_only_group_administration_terminates(users, family, term_life):
    employee, _ = family
    for role in ("auditor", "rep", "employer", "salesadmin"):
        with pytest.raises(NotPermitted):
            member_terminate(
                actor=users[role],
                member=employee,
                termination_date=date(2026, 8, 31),
                reason="voluntary",
            )


def test_reinstating_restores_from_the_day_after_and_re_rates(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 3, 31),
        reason="nonpayment",
    )
    employee.tobacco = True  # rated on what is true now
    employee.save()
    new = coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="payment_received")
    assert (new.start_date, new.end_date, new.status) == (date(2026, 4, 1), None, "active")
    assert new.monthly_premium == Decimal("5.10")  # 30 x 0.170 tobacco
    assert covered_on(employee, date(2026, 4, 1)) == ["accident", "term-life"]
    row.refresh_from_db()
    assert row.end_date == date(2026, 3, 31)  # the terminated row stays as history
    assert [
        d.difference for d in PremiumChange.objects.filter(coverage=new).order_by("period")
    ] == [
        Decimal("5.10"),
        Decimal("5.10"),
        Decimal("5.10"),  # April to June, billed back
    ]
    assert PolicyEvent.objects.filter(event="coverage_reinstated", coverage=new).exists()


def test_reinstatement_refusals(users, family, term_life):
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    with pytest.raises(Conflict, match="in force") as conflict:
        coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="appeal")
    assert conflict.value.field == "coverage"
    coverage_terminate(
        actor=users["groupadmin"],
        coverage=row,
        termination_date=date(2026, 3, 31),
        reason="voluntary",
    )
    with pytest.raises(InvalidInput, match="after the coverage ended") as refused:
        coverage_reinstate(
            actor=users["groupadmin"],
            coverage=row,
            reason="appeal",
            reinstatement_date=date(2026, 3, 1),
        )
    assert refused.value.field == "reinstatement_date"
    with pytest.raises(InvalidInput) as refused:
        coverage_reinstate(actor=users["groupadmin"], coverage=row, reason="because")
    assert refused.value.field == "reason"
    with pytest.raises(Conflict):
        member_reinstate(
            actor=users["groupadmin"],
            member=employee,
            reason="appeal",
            plan=employee.group.plans.exclude(pk=term_life.pk).get(),
        )


def test_member_reinstatement_brings_back_dependents_ended_with_the_employee(users, family):
    employee, child = family
    member_terminate(
        actor=users["groupadmin"],
        member=employee,
        termination_date=date(2026, 7, 31),
        reason="employment_ended",
    )
    outcome = member_reinstate(
        actor=users["groupadmin"],
        member=employee,
        reason="rehired",
        reinstatement_date=date(2026, 9, 1),
    )
    assert len(outcome.opened) == 3
    assert covered_on(employee, date(2026, 8, 15)) == []  # the gap stays a gap
    assert covered_on(child, date(2026, 9, 1)) == ["accident"]


def test_group_termination_for_nonpayment_and_reinstatement(users, family, group):
    employee, child = family
    outcome = group_terminate(
        actor=None, group=group, termination_date=date(2026, 4, 30), reason="nonpayment"
    )
    group.refresh_from_db()
    assert group.status == "cancelled" and len(outcome.ended) == 3
    assert covered_on(employee, date(2026, 5, 1)) == []
    with pytest.raises(Conflict, match="already"):
        group_terminate(
            actor=None, group=group, termination_date=date(2026, 4, 30), reason="nonpayment"
        )
    with pytest.raises(Conflict, match="reinstate the group first"):
        member_reinstate(actor=users["groupadmin"], member=employee, reason="appeal")
    back = group_reinstate(actor=users["groupadmin"], group=group, reason="payment_received")
    group.refresh_from_db()
    assert group.status == "active" and len(back.opened) == 3
    assert {row.start_date for row in back.opened} == {date(2026, 5, 1)}
    assert covered_on(child, date(2026, 5, 1)) == ["accident"]
    events = list(PolicyEvent.objects.filter(member__isnull=True).values_list("event", flat=True))
    assert events == ["group_terminated", "group_reinstated"]
    with pytest.raises(Conflict, match="in force"):
        group_reinstate(actor=users["groupadmin"], group=group, reason="appeal")


def test_a_group_termination_before_its_effective_date_is_refused(users, family, group):
    with pytest.raises(InvalidInput) as refused:
        group_terminate(
            actor=users["groupadmin"],
            group=group,
            termination_date=date(2025, 12, 31),
            reason="group_ended",
        )
    assert refused.value.field == "termination_date"
    group.refresh_from_db()
    assert group.status == "active"


def test_changes_after_the_termination_date_are_cancelled(users, family, term_life):
    """A future-dated row that had not started by the termination date never was."""
    employee, _ = family
    row = Coverage.objects.get(member=employee, plan=term_life)
    row.end_date, row.status = date(2026, 8, 31), "terminated"
    row.save()
    later = Coverage.objects.create(
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("40000"),
        start_date=date(2026, 9, 1),
        monthly_premium=Decimal("3.40"),
        rated_age=39,
        rated_tobacco=False,
    )
    outcome = coverage_terminate(
        actor=users["groupadmin"],
        coverage=later,
        termination_date=date(2026, 7, 31),
        reason="voluntary",
    )
    later.refresh_from_db()
    row.refresh_from_db()
    assert later.status == "cancelled" and outcome.cancelled == [later]
    assert row.end_date == date(2026, 7, 31)

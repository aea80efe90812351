"""Policy changes: each rule outcome, each plan-design refusal, re-rating and history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payerdesk.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import TimelineEvent
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    ChangeStatus,
    Coverage,
    Member,
    PolicyChange,
    PolicyEvent,
    PremiumChange,
)
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.policy_changes import (
    PORTAL_RULE,
    ChangeRequest,
    policy_change_approve,
    policy_change_decline,
    policy_change_request,
)

TODAY = date(2026, 6, 15)
EOI = "evidence of insurability"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def covered(users, employee, term_life, accident):
    """$30,000 term life (2.55/month: 30 x 0.085) and employee-only accident (12.40)."""
    for plan, tier, benefit in ((term_life, "EMP", "30000"), (accident, "EMP", None)):
        services.coverage_add(
            actor=users["groupadmin"],
            member=employee,
            plan=plan,
            tier=tier,
            benefit_amount=Decimal(benefit) if benefit else None,
            start_date=date(2026, 1, 1),
        )
    return employee


def request(users, member, change_type, effective, who="groupadmin", **values):
    return policy_change_request(
        actor=users[who],
        member=member,
        request=ChangeRequest(change_type=change_type, effective_date=effective, **values),
    )


def rows(member, plan):
    return list(Coverage.objects.filter(member=member, plan=plan).order_by("start_date", "pk"))


def test_an_allowed_increase_is_applied_and_re_rated(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("40000"),
    )
    assert change.status == ChangeStatus.APPLIED and change.rule_outcome == "allow"
    assert (change.old_premium, change.new_premium) == (Decimal("2.55"), Decimal("3.40"))
    old, new = rows(covered, term_life)
    assert (old.end_date, old.status) == (date(2026, 6, 30), "terminated")
    assert (new.start_date, new.end_date, new.benefit_amount) == (date(2026, 7, 1), None, 40000)
    assert new.monthly_premium == Decimal("3.40")
    assert change.work_item is None
    assert not PremiumChange.objects.exists()  # effective in the future: nothing billed yet
    event = PolicyEvent.objects.get(event="change_applied")
    assert event.data["ended"] == old.pk and event.data["opened"] == new.pk


def test_history_stays_answerable_after_a_change(users, covered, term_life):
    request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("40000"),
    )
    june = selectors.coverage_as_of(member=covered, on=date(2026, 6, 30), plan=term_life)
    july = selectors.coverage_as_of(member=covered, on=date(2026, 7, 1), plan=term_life)
    assert [row.benefit_amount for row in june] == [Decimal("30000")]
    assert [row.benefit_amount for row in july] == [Decimal("40000")]


def test_an_increase_above_guaranteed_issue_goes_to_underwriting(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("60000"),
    )
    assert change.status == ChangeStatus.REFERRED and change.rule_outcome == "refer"
    assert EOI in change.rule
    assert change.rule_set == "default (shipped)"
    assert change.new_premium == Decimal("5.10")  # shown before anyone decides
    item = change.work_item
    assert item is not None and item.queue.slug == "underwriting" and item.kind == "policy_change"
    assert item.market == covered.group.market and item.phi
    assert EOI in item.description
    assert item.record_url == f"/groups/changes/{change.pk}/"
    assert len(rows(covered, term_life)) == 1  # nothing applied


def test_approving_a_referral_applies_it_and_closes_the_item(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("60000"),
    )
    approved = policy_change_approve(actor=users["groupadmin"], change_id=change.pk, note="EOI ok")
    assert approved.status == ChangeStatus.APPLIED and approved.decided_by == users["groupadmin"]
    assert rows(covered, term_life)[-1].monthly_premium == Decimal("5.10")
    item = approved.work_item
    assert item is not None
    item.refresh_from_db()
    assert item.status == "applied" and item.closed_at is not None
    last = TimelineEvent.objects.filter(work_item=item).last()
    assert last is not None and last.data["reason"] == "EOI ok"
    with pytest.raises(Conflict, match="already applied"):
        policy_change_approve(actor=users["groupadmin"], change_id=change.pk)


def test_declining_needs_a_reason_and_applies_nothing(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("60000"),
    )
    with pytest.raises(InvalidInput) as refused:
        policy_change_decline(actor=users["groupadmin"], change_id=change.pk, reason=" ")
    assert refused.value.field == "reason"
    declined = policy_change_decline(
        actor=users["supervisor"], change_id=change.pk, reason="No EOI received in 60 days"
    )
    assert declined.status == ChangeStatus.DECLINED
    assert declined.decline_reason == "No EOI received in 60 days"
    assert len(rows(covered, term_life)) == 1
    assert declined.work_item is not None
    declined.work_item.refresh_from_db()
    assert declined.work_item.status == "declined"
    with pytest.raises(Conflict):
        policy_change_approve(actor=users["groupadmin"], change_id=change.pk)


def test_only_underwriters_decide(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("60000"),
    )
    with pytest.raises(NotPermitted):
        policy_change_approve(actor=users["auditor"], change_id=change.pk)
    with pytest.raises(NotFound):  # a rep cannot even see group members
        policy_change_approve(actor=users["rep"], change_id=change.pk)


def test_a_past_change_records_the_premium_difference_per_period(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 4, 16),
        plan=term_life,
        benefit_amount=Decimal("40000"),
    )
    diffs = list(PremiumChange.objects.order_by("period"))
    assert [(d.period, d.old_amount, d.new_amount, d.difference) for d in diffs] == [
        # April 16-30 is 15 of 30 days: 2.55 x 15/30 = 1.275 -> 1.28; 3.40 x 15/30 = 1.70
        (date(2026, 4, 1), Decimal("1.28"), Decimal("1.70"), Decimal("0.42")),
        (date(2026, 5, 1), Decimal("2.55"), Decimal("3.40"), Decimal("0.85")),
        (date(2026, 6, 1), Decimal("2.55"), Decimal("3.40"), Decimal("0.85")),
    ]
    assert all(d.policy_change_id == change.pk for d in diffs)
    assert diffs[0].coverage == rows(covered, term_life)[-1]
    assert "Benefit increase" in diffs[0].cause


def test_a_decrease_is_re_rated_down(users, covered, term_life):
    change = request(
        users,
        covered,
        "benefit_decrease",
        date(2026, 7, 1),
        plan=term_life,
        benefit_amount=Decimal("20000"),
    )
    assert change.status == ChangeStatus.APPLIED
    assert change.new_premium == Decimal("1.70")


@pytest.mark.parametrize(
    ("change_type", "values", "field", "says"),
    [
        ("benefit_increase", {"benefit_amount": "200000"}, "benefit_amount", "plan maximum"),
        ("benefit_increase", {"benefit_amount": "30500"}, "benefit_amount", "whole number"),
        ("benefit_increase", {"benefit_amount": "20000"}, "benefit_amount", "more than"),
        ("benefit_decrease", {"benefit_amount": "5000"}, "benefit_amount", "plan minimum"),
        ("benefit_decrease", {"benefit_amount": "40000"}, "benefit_amount", "less than"),
        ("benefit_increase", {}, "benefit_amount", "new benefit amount"),
        ("benefit_increase", {"plan": None, "benefit_amount": "40000"}, "plan", "product"),
        ("benefit_add", {"benefit_amount": "20000", "tier": "EMP"}, "plan", "already has"),
        ("tobacco_change", {"tobacco": False}, "tobacco", "already rated"),
        ("tobacco_change", {}, "tobacco", "new tobacco status"),
        ("no_such_change", {}, "change_type", "not a change type"),
    ],
)
def test_changes_that_contradict_the_plan_design_are_refused(
    users, covered, term_life, change_type, values, field, says
):
    values = {"plan": term_life, **values}
    if values.get("benefit_amount"):
        values["benefit_amount"] = Decimal(values["benefit_amount"])
    with pytest.raises(InvalidInput, match=says) as refused:
        request(users, covered, change_type, date(2026, 7, 1), **values)
    assert refused.value.field == field
    assert not PolicyChange.objects.exists()
    assert len(rows(covered, term_life)) == 1


def test_dates_out_of_order_are_refused(users, covered, term_life):
    with pytest.raises(InvalidInput, match="cannot take effect 2025-12-01") as refused:
        request(
            users,
            covered,
            "benefit_increase",
            date(2025, 12, 1),
            plan=term_life,
            benefit_amount=Decimal("40000"),
        )
    assert refused.value.field == "effective_date"


def test_a_plan_of_another_group_is_refused(users, covered, term_life, markets):
    other = services.group_create(
        actor=users["supervisor"],
        group_number="G2",
        legal_name="Other",
        situs_state="NY",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="B",
        billing_contact_email="b@example.test",
    )
    term_life.pk, term_life.group = None, other
    term_life.save()
    with pytest.raises(InvalidInput, match="another group") as refused:
        request(
            users,
            covered,
            "benefit_increase",
            date(2026, 7, 1),
            plan=term_life,
            benefit_amount=Decimal("40000"),
        )
    assert refused.value.field == "plan"


def test_benefit_add_and_delete(users, employee, term_life, accident):
    services.coverage_add(
        actor=users["groupadmin"],
        member=employee,
        plan=accident,
        tier="EMP",
        benefit_amount=None,
        start_date=date(2026, 1, 1),
    )
    added = request(
        users,
        employee,
        "benefit_add",
        date(2026, 7, 1),
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("20000"),
    )
    assert added.status == ChangeStatus.APPLIED
    assert (added.old_premium, added.new_premium) == (Decimal("0.00"), Decimal("1.70"))
    deleted = request(users, employee, "benefit_delete", date(2026, 8, 1), plan=accident)
    assert deleted.status == ChangeStatus.APPLIED and deleted.new_premium == Decimal("0.00")
    assert rows(employee, accident)[0].end_date == date(2026, 7, 31)
    assert selectors.coverage_as_of(member=employee, on=date(2026, 8, 1), plan=accident) == []


def test_a_benefit_add_above_guaranteed_issue_is_referred(users, employee, term_life):
    added = request(
        users,
        employee,
        "benefit_add",
        date(2026, 7, 1),
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("75000"),
    )
    assert added.status == ChangeStatus.REFERRED and EOI in added.rule


def test_tobacco_to_non_tobacco_needs_a_signed_statement(users, covered, term_life):
    covered.tobacco = True
    covered.save()
    referred = request(users, covered, "tobacco_change", date(2026, 7, 1), tobacco=False)
    assert referred.status == ChangeStatus.REFERRED
    assert "signed non-tobacco statement" in referred.rule
    policy_change_decline(actor=users["groupadmin"], change_id=referred.pk, reason="No statement")
    allowed = request(
        users, covered, "tobacco_change", date(2026, 7, 1), tobacco=False, signed_statement=True
    )
    assert allowed.status == ChangeStatus.APPLIED
    covered.refresh_from_db()
    assert covered.tobacco is False


def test_a_tobacco_change_re_rates_every_coverage(users, covered, term_life, accident):
    change = request(users, covered, "tobacco_change", date(2026, 7, 1), tobacco=True)
    assert change.status == ChangeStatus.APPLIED
    # term life 30 x 0.170 = 5.10; accident is not tobacco-rated: 12.40 either way
    assert (change.old_premium, change.new_premium) == (Decimal("14.95"), Decimal("17.50"))
    assert rows(covered, term_life)[-1].rated_tobacco is True


SPOUSE = {
    "member_id": "100200300-01",
    "first_name": "Sam",
    "last_name": "Rivera",
    "birth_date": "1988-09-01",
    "sex": "M",
    "relationship": "01",
}


def test_adding_a_dependent_within_31_days_is_applied(users, covered, accident):
    change = request(
        users,
        covered,
        "dependent_add",
        date(2026, 7, 1),
        plan=accident,
        tier="ESP",
        dependent_details=SPOUSE,
        qualifying_event_date=TODAY - timedelta(days=31),
    )
    assert change.status == ChangeStatus.APPLIED
    assert (change.old_premium, change.new_premium) == (Decimal("12.40"), Decimal("21.95"))
    spouse = Member.objects.get(member_id="100200300-01")
    assert spouse.employee == covered and spouse.relationship == "01"
    assert change.dependent == spouse
    assert rows(covered, accident)[-1].tier == "ESP"
    # The spouse is covered too, at the family's tier, and the premium is billed once.
    [row] = selectors.coverage_as_of(member=spouse, on=date(2026, 7, 1))
    assert (row.plan, row.tier, row.monthly_premium) == (accident, "ESP", Decimal("0.00"))
    in_force = Coverage.objects.filter(
        member__subscriber_id=covered.subscriber_id, plan=accident, end_date__isnull=True
    )
    assert sum(r.monthly_premium for r in in_force) == Decimal("21.95")


def test_adding_a_dependent_late_needs_underwriting(users, covered, accident):
    change = request(
        users,
        covered,
        "dependent_add",
        date(2026, 7, 1),
        plan=accident,
        tier="ESP",
        dependent_details=SPOUSE,
        qualifying_event_date=TODAY - timedelta(days=32),
    )
    assert change.status == ChangeStatus.REFERRED
    assert "more than 31 days" in change.rule
    assert not Member.objects.filter(member_id="100200300-01").exists()
    policy_change_approve(actor=users["groupadmin"], change_id=change.pk)
    assert Member.objects.filter(member_id="100200300-01").exists()


@pytest.mark.parametrize(
    ("tier", "details", "plan_name", "field", "says"),
    [
        ("EMP", {}, "accident", "tier", "does not cover a spouse"),
        ("ECH", {}, "accident", "tier", "does not cover a spouse"),
        ("ESP", {"relationship": "19"}, "accident", "tier", "does not cover a child"),
        ("ESP", {"relationship": "18"}, "accident", "dependent.relationship", "cannot be added"),
        ("ESP", {}, "term_life", "tier", "does not offer tier ESP"),
        ("ESP", {"birth_date": "1988-02-30"}, "accident", "dependent.birth_date", "not a date"),
        ("ESP", {"first_name": ""}, "accident", "dependent.first_name", "first name"),
        ("ESP", {"member_id": "100200300"}, "accident", "dependent.member_id", "in use"),
    ],
)
def test_dependent_adds_the_plan_does_not_allow_are_refused(
    users, covered, accident, term_life, tier, details, plan_name, field, says
):
    plan = {"accident": accident, "term_life": term_life}[plan_name]
    with pytest.raises(InvalidInput, match=says) as refused:
        request(
            users,
            covered,
            "dependent_add",
            date(2026, 7, 1),
            plan=plan,
            tier=tier,
            dependent_details=SPOUSE | details,
            qualifying_event_date=TODAY - timedelta(days=5),
        )
    assert refused.value.field == field
    assert not PolicyChange.objects.exists()


def test_dependent_add_dates_out_of_order(users, covered, accident):
    with pytest.raises(InvalidInput, match="before the qualifying event") as refused:
        request(
            users,
            covered,
            "dependent_add",
            date(2026, 6, 1),
            plan=accident,
            tier="ESP",
            dependent_details=SPOUSE,
            qualifying_event_date=date(2026, 6, 10),
        )
    assert refused.value.field == "effective_date"
    with pytest.raises(InvalidInput, match="in the future") as refused:
        request(
            users,
            covered,
            "dependent_add",
            date(2026, 7, 1),
            plan=accident,
            tier="ESP",
            dependent_details=SPOUSE,
            qualifying_event_date=date(2026, 6, 20),
        )
    assert refused.value.field == "qualifying_event_date"


def test_removing_a_dependent_re_rates_and_ends_their_coverage(users, covered, accident):
    request(
        users,
        covered,
        "dependent_add",
        date(2026, 6, 1),
        plan=accident,
        tier="ESP",
        dependent_details=SPOUSE,
        qualifying_event_date=date(2026, 6, 1),
    )
    spouse = Member.objects.get(member_id="100200300-01")
    assert [(r.tier, r.monthly_premium) for r in rows(spouse, accident)] == [
        ("ESP", Decimal("0.00"))
    ]
    change = request(
        users,
        covered,
        "dependent_remove",
        date(2026, 9, 1),
        plan=accident,
        tier="EMP",
        dependent=spouse,
    )
    assert change.status == ChangeStatus.APPLIED
    assert change.new_premium == Decimal("12.40")
    assert rows(covered, accident)[-1].tier == "EMP"
    assert rows(spouse, accident)[-1].end_date == date(2026, 8, 31)
    with pytest.raises(InvalidInput) as refused:
        request(
            users,
            covered,
            "dependent_remove",
            date(2026, 9, 1),
            plan=accident,
            tier="EMP",
            dependent=covered,
        )
    assert refused.value.field == "dependent"


def test_portal_submissions_always_go_to_review(users, covered, term_life):
    covered.group.portal_users.add(users["employer"])
    change = request(
        users,
        covered,
        "benefit_increase",
        date(2026, 7, 1),
        who="employer",
        plan=term_life,
        benefit_amount=Decimal("40000"),
    )
    assert change.channel == "portal" and change.status == ChangeStatus.REFERRED
    assert change.rule_outcome == "allow" and change.rule == PORTAL_RULE
    assert change.work_item is not None
    assert len(rows(covered, term_life)) == 1
    with pytest.raises(NotPermitted):  # the employer cannot approve their own request
        policy_change_approve(actor=users["employer"], change_id=change.pk)


def test_a_portal_user_cannot_touch_another_groups_member(users, covered, term_life):
    with pytest.raises(NotFound):
        request(
            users,
            covered,
            "benefit_increase",
            date(2026, 7, 1),
            who="employer",
            plan=term_life,
            benefit_amount=Decimal("40000"),
        )
    assert not PolicyChange.objects.exists()


def test_staff_outside_the_groups_market_see_no_member(users, covered, term_life):
    with pytest.raises(NotFound):  # salesadmin serves SE; and roles without groups access
        request(
            users,
            covered,
            "benefit_increase",
            date(2026, 7, 1),
            who="salesadmin",
            plan=term_life,
            benefit_amount=Decimal("40000"),
        )
    with pytest.raises(NotPermitted):  # the auditor sees members but changes nothing
        request(
            users,
            covered,
            "benefit_increase",
            date(2026, 7, 1),
            who="auditor",
            plan=term_life,
            benefit_amount=Decimal("40000"),
        )


def test_a_tobacco_change_before_a_later_change_is_refused(users, covered, term_life):
    """Re-rating under a later row would rewrite it: date the change from then instead."""
    request(
        users,
        covered,
        "benefit_increase",
        date(2026, 8, 1),
        plan=term_life,
        benefit_amount=Decimal("40000"),
    )
    with pytest.raises(InvalidInput, match="latest change takes effect 2026-08-01") as refused:
        request(users, covered, "tobacco_change", date(2026, 7, 1), tobacco=True)
    assert refused.value.field == "effective_date"
    change = request(users, covered, "tobacco_change", date(2026, 8, 1), tobacco=True)
    assert rows(covered, term_life)[-1].monthly_premium == Decimal("6.80")  # 40 x 0.170
    assert change.status == ChangeStatus.APPLIED


def test_a_tobacco_change_re_rates_coverage_that_starts_later(users, employee, term_life):
    services.coverage_add(
        actor=users["groupadmin"],
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("10000"),
        start_date=date(2026, 9, 1),
    )
    request(users, employee, "tobacco_change", date(2026, 7, 1), tobacco=True)
    first, second = rows(employee, term_life)
    assert first.status == "cancelled"  # never in force at the old rate
    assert (second.start_date, second.monthly_premium) == (date(2026, 9, 1), Decimal("1.70"))

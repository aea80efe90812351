"""A member the employer left unpaid lapses on their own (notice, work item), is
cancelled for non-payment through the groups terminations, and reinstated when the
back premium is paid; the grace period is the plan designs'."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from payerdesk.billing.models import Delinquency
from payerdesk.billing.selectors import listbills as billing_selectors
from payerdesk.billing.services import delinquency, listbills
from payerdesk.core.errors import Conflict
from payerdesk.core.models import WorkItem
from payerdesk.groups import selectors as group_selectors
from payerdesk.groups.models import Member, PlanDesign, PolicyEvent
from payerdesk.groups.services import groups as group_services
from payerdesk.groups.services import terminations
from tests.billing.services.test_delinquency import FEB, JAN, pay, review


@pytest.fixture
def billed(users, group, make_member, cover, accident, dental):
    """January and February billed; January paid for both, February only for M1."""
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=JAN
    )
    one, two = make_member("M1"), make_member("M2")
    cover(one, accident)
    cover(one, dental)
    cover(two, accident, tier="FAM")
    for start in (JAN, FEB):
        listbills.list_bill_generate(actor=None, group=group, period_start=start)
    pay(group, {one: "42.40", two: "33.65"}, JAN)
    pay(group, {one: "42.40"}, FEB)
    return one, two


def test_the_unpaid_member_lapses_not_the_group(
    group, billed, mailoutbox, django_capture_on_commit_callbacks
):
    _, two = billed
    assert review(group, date(2026, 3, 4)).lapsed == []
    with django_capture_on_commit_callbacks(execute=True):
        assert review(group, date(2026, 3, 5)).lapsed == ["G2001/M2"]
    group.refresh_from_db()
    assert group.status == "active"
    case = Delinquency.objects.get()
    assert (case.member, case.amount_due, case.paid_through) == (two, Decimal("33.65"),
                                                                 date(2026, 1, 31))  # fmt: skip
    item = case.work_item
    assert (item.kind, item.status, item.phi) == ("member_delinquency", "lapsed", True)
    assert "M2" in item.title and "Rivera" not in item.title
    [message] = mailoutbox
    assert "Rivera" not in message.body and "M2" not in message.body
    name, content, _ = message.attachments[0]
    assert name == "lapse-notice-G2001-M2.pdf"
    text = PdfReader(BytesIO(content)).pages[0].extract_text()
    assert "member M2" in text and "33.65" in text
    assert review(group, date(2026, 3, 6)) == delinquency.ReviewResult([], [], [])


def test_paying_the_member_reinstates_them(group, billed):
    _, two = billed
    review(group, date(2026, 3, 5))
    pay(group, {two: "33.65"}, FEB)
    assert review(group, date(2026, 3, 10)).reinstated == ["G2001/M2"]
    case = Delinquency.objects.get()
    item = WorkItem.objects.get(pk=case.work_item_id)
    assert case.stage == "reinstated" and item.status == "reinstated" and item.closed_at
    assert group_selectors.coverage_as_of(member=two, on=FEB)  # never interrupted


def test_unpaid_the_member_is_cancelled_then_reinstated_by_an_administrator(users, group, billed):
    one, two = billed
    review(group, date(2026, 3, 5))
    assert review(group, date(2026, 4, 4)).cancelled == ["G2001/M2"]
    group.refresh_from_db()
    assert group.status == "active"
    assert not group_selectors.coverage_as_of(member=two, on=FEB)
    assert group_selectors.coverage_as_of(member=one, on=FEB)
    ended = PolicyEvent.objects.get(member=two, event="coverage_terminated")
    assert (ended.reason, ended.effective_date) == ("nonpayment", date(2026, 1, 31))
    case = Delinquency.objects.get()
    assert case.stage == "cancelled" and len(case.ended_coverage_ids) == 1
    # A cancelled member is not reinstated by the job: the next bill takes back their
    # February premium (not owed once cancelled).
    made = listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 3, 1))
    assert {line.amount for line in made.bill.lines.filter(member=two)} == {Decimal("-33.65")}
    pay(group, {one: "42.40"}, date(2026, 3, 1))
    assert review(group, date(2026, 4, 10)).reinstated == []
    delinquency.delinquency_reinstate(
        actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 4, 10)
    )
    case.refresh_from_db()
    assert case.stage == "reinstated"
    assert group_selectors.coverage_as_of(member=two, on=FEB)
    with pytest.raises(Conflict, match="reinstated"):
        delinquency.delinquency_reinstate(actor=users["groupadmin"], delinquency_id=case.pk)


def test_a_lapsed_member_is_not_reinstated_while_unpaid(users, group, billed):
    review(group, date(2026, 3, 5))
    case = Delinquency.objects.get()
    with pytest.raises(Conflict, match=r"33\.65 is unpaid"):
        delinquency.delinquency_reinstate(
            actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 3, 6)
        )
    delinquency.delinquency_cancel(
        actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 3, 6)
    )
    case.refresh_from_db()
    assert case.stage == "cancelled" and case.work_item.status == "cancelled"


def test_a_lapsed_member_whose_coverage_staff_ended_is_cancelled_with_nothing_to_end(
    users, group, billed
):
    _, two = billed
    review(group, date(2026, 3, 5))
    terminations.member_terminate(
        actor=users["groupadmin"], member=two, termination_date=date(2026, 1, 15),
        reason="employment_ended",
    )  # fmt: skip
    assert review(group, date(2026, 4, 4)).cancelled == ["G2001/M2"]
    case = Delinquency.objects.get()
    assert case.stage == "cancelled" and case.ended_coverage_ids == []
    assert not PolicyEvent.objects.filter(member=two, reason="nonpayment").exists()


@pytest.mark.parametrize(
    ("accident_days", "dental_days", "lapses_on"),
    [
        (10, 10, date(2026, 2, 12)),  # due 02/01, 10 days of grace end 02/11
        (10, 45, date(2026, 3, 19)),  # the most generous plan of the group: 45 days
        (31, 31, date(2026, 3, 5)),  # the default
    ],
)
def test_the_grace_period_is_the_plan_designs(
    users, group, make_member, cover, accident, dental, accident_days, dental_days, lapses_on
):
    PlanDesign.objects.filter(pk=accident.pk).update(grace_period_days=accident_days)
    PlanDesign.objects.filter(pk=dental.pk).update(grace_period_days=dental_days)
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=FEB
    )
    member = make_member("M1")
    cover(member, accident, start=FEB)
    cover(member, dental, start=FEB)
    listbills.list_bill_generate(actor=None, group=group, period_start=FEB)
    before = date.fromordinal(lapses_on.toordinal() - 1)
    assert review(group, before).lapsed == []
    assert review(group, lapses_on).lapsed == ["G2001"]
    case = Delinquency.objects.get()
    assert case.grace_ended_on == before


def test_a_reinstated_family_is_billed_the_tier_premium_once(users, group, billed, accident):
    """M2's child is covered through M2's family accident tier: reinstated with M2 at
    that tier for nothing, so the bills after it charge the family premium once."""
    one, two = billed
    child = Member.objects.create(
        group=group, employee=two, subscriber_id="M2", member_id="M2-02", relationship="19",
        first_name="Kai", last_name="Rivera", birth_date=date(2015, 5, 1), sex="M",
    )  # fmt: skip
    group_services.coverage_add(actor=None, member=child, plan=accident, tier="",
                                benefit_amount=None, start_date=JAN)  # fmt: skip
    review(group, date(2026, 3, 5))
    assert review(group, date(2026, 4, 4)).cancelled == ["G2001/M2"]
    assert not group_selectors.coverage_as_of(member=child, on=FEB)
    listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 3, 1))
    pay(group, {one: "42.40"}, date(2026, 3, 1))
    case = Delinquency.objects.get()
    delinquency.delinquency_reinstate(
        actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 4, 10)
    )
    [row] = group_selectors.coverage_as_of(member=child, on=FEB)
    assert (row.tier, row.monthly_premium) == ("FAM", Decimal("0.00"))
    april = listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 4, 1))
    by_member = {
        member: sum(line.amount for line in april.bill.lines.filter(member=member))
        for member in (one, two, child)
    }
    # February and March billed again as retroactive adds, and April: the tier once.
    assert by_member == {one: Decimal("42.40"), two: Decimal("100.95"), child: 0}
    assert april.bill.total == Decimal("143.35")


@pytest.mark.parametrize("unpaid", [2, 6])
def test_the_review_reads_balances_once_not_once_per_member(
    users, group, make_member, cover, accident, monkeypatch, unpaid
):
    """Many members unpaid in a group the employer paid: the group's balances and each
    period's payment are read once, however many members lapse."""
    listbills.billing_schedule_set(
        actor=users["groupadmin"], group=group, mode="monthly", first_period_start=JAN
    )
    members = [make_member(f"M{n}") for n in range(1, unpaid + 2)]
    for member in members:
        cover(member, accident)
    for start in (JAN, FEB):
        listbills.list_bill_generate(actor=None, group=group, period_start=start)
    pay(group, {members[0]: "12.40"}, JAN)
    pay(group, {members[0]: "12.40"}, FEB)
    calls = {"balances": 0, "paid": 0}
    for name, key in (("member_period_balances", "balances"), ("receivable_credited", "paid")):
        real = getattr(billing_selectors, name)

        def counted(*args, real=real, key=key, **kwargs):
            calls[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(billing_selectors, name, counted)
    lapsed = review(group, date(2026, 3, 5)).lapsed
    assert sorted(lapsed) == sorted(f"G2001/M{n}" for n in range(2, unpaid + 2))
    # The group's own review reads January's and February's payment, the member pass
    # each once more: as many reads for six unpaid members as for two (it was 18 for 4).
    assert calls == {"balances": 1, "paid": 4}


def test_a_member_review_forty_days_late_keeps_the_on_time_dates(
    group, billed, mailoutbox, django_capture_on_commit_callbacks
):
    _, two = billed
    with django_capture_on_commit_callbacks(execute=True):
        result = review(group, date(2026, 4, 14))  # the lapse day was 03/05
    [message] = mailoutbox
    assert "is cancelled for non-payment as of 04/04/2026" in message.body
    assert (result.lapsed, result.cancelled) == (["G2001/M2"], ["G2001/M2"])
    case = Delinquency.objects.get()
    assert (case.stage, case.lapsed_on, case.cancel_on, case.cancelled_on) == (
        "cancelled", date(2026, 3, 5), date(2026, 4, 4), date(2026, 4, 4)
    )  # fmt: skip
    assert not group_selectors.coverage_as_of(member=two, on=FEB)
    assert review(group, date(2026, 4, 15)) == delinquency.ReviewResult([], [], [])

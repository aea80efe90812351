"""Delinquency: lapse after the grace period with a notice and a work item, cancellation
for non-payment, reinstatement when the back premium is paid; aging by bucket."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from payerdesk.billing.models import Account, Delinquency, ListBill
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import delinquency, listbills
from payerdesk.billing.services.ledger import Line, journal_post
from payerdesk.core.errors import Conflict
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role
from payerdesk.groups.models import Coverage, PolicyEvent

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


@pytest.fixture
def billed(users, group, make_member, cover, accident, dental):
    """Two members; January and February billed (76.05 each); January paid."""
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
    return one, two


def pay(group, amounts, period):
    total = sum((Decimal(a) for a in amounts.values()), Decimal(0))
    journal_post(
        group=group, memo="check", source="payment", source_id="chk",
        lines=[Line(Account.CASH, debit=total)] + [
            Line(Account.PREMIUM_RECEIVABLE, credit=Decimal(a), member_id=m.pk,
                 period_start=period)
            for m, a in amounts.items()
        ],
    )  # fmt: skip


def review(group, today):
    return delinquency.delinquency_review(today=today, group=group)


def test_a_group_lapses_the_day_after_its_grace_period(
    group, billed, mailoutbox, django_capture_on_commit_callbacks
):
    # February was due 02/01; 31 days of grace end 03/04.
    assert review(group, date(2026, 3, 4)).lapsed == []
    with django_capture_on_commit_callbacks(execute=True):
        assert review(group, date(2026, 3, 5)).lapsed == ["G2001"]
    group.refresh_from_db()
    assert group.status == "lapsed"
    case = Delinquency.objects.get(group=group)
    assert (case.amount_due, case.paid_through, case.cancel_on) == (
        Decimal("76.05"), date(2026, 1, 31), date(2026, 4, 4)
    )  # fmt: skip
    item = case.work_item
    assert (item.kind, item.queue.slug, item.market, item.status) == (
        "delinquency", "group-administration", group.market, "lapsed"
    )  # fmt: skip
    [message] = mailoutbox
    assert message.to == ["payroll@acme.example"]
    assert "will be cancelled for non-payment on 04/04/2026 unless it is paid" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("lapse-notice-G2001.pdf", "application/pdf")
    text = PdfReader(BytesIO(content)).pages[0].extract_text()
    assert "76.05" in text and "04/04/2026" in text and "Jordan" not in text
    # Running the review again changes nothing.
    assert review(group, date(2026, 3, 6)) == delinquency.ReviewResult([], [], [])
    assert Delinquency.objects.count() == 1 and len(mailoutbox) == 1


def test_unpaid_it_is_cancelled_and_paying_the_back_premium_reinstates_it(group, billed, accident):
    one, two = billed
    review(group, date(2026, 3, 5))
    assert review(group, date(2026, 4, 3)).cancelled == []
    assert review(group, date(2026, 4, 4)).cancelled == ["G2001"]
    group.refresh_from_db()
    assert group.status == "cancelled"
    assert set(Coverage.objects.values_list("end_date", "status")) == {
        (date(2026, 1, 31), "terminated")
    }
    with pytest.raises(Conflict, match="cancelled"):
        listbills.list_bill_generate(actor=None, group=group, period_start=MAR)
    # Paying February (the back premium) reinstates: coverage again from February,
    # no gap, and the missed March and April are billed, due the day of reinstatement.
    pay(group, {one: "42.40", two: "33.65"}, FEB)
    assert review(group, date(2026, 4, 10)).reinstated == ["G2001"]
    group.refresh_from_db()
    assert group.status == "active"
    # The history is kept: the rows cancellation ended, and new ones from February 1.
    assert (
        sorted(Coverage.objects.values_list("start_date", "end_date", "status"))
        == [(JAN, date(2026, 1, 31), "terminated")] * 3 + [(FEB, None, "active")] * 3
    )
    events = PolicyEvent.objects.filter(group=group, member__isnull=True)
    assert list(events.values_list("event", "reason")) == [
        ("group_lapsed", "nonpayment"), ("group_terminated", "nonpayment"),
        ("group_reinstated", "payment_received"),
    ]  # fmt: skip
    case = Delinquency.objects.get(group=group)
    assert (case.stage, case.reinstated_on) == ("reinstated", date(2026, 4, 10))
    item = WorkItem.objects.get(pk=case.work_item_id)
    assert item.status == "reinstated" and item.closed_at is not None
    assert TimelineEvent.objects.filter(work_item=item, event="status_changed").count() == 2
    late = ListBill.objects.filter(group=group, period_start__in=[MAR, APR])
    assert sorted((b.period_start, b.due_date, b.total) for b in late) == [
        (MAR, date(2026, 4, 10), Decimal("76.05")),
        (APR, date(2026, 4, 10), Decimal("76.05")),
    ]
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group) == Decimal("152.10")


def test_people_cancel_early_or_reinstate_only_when_the_premium_says_so(users, group, billed):
    one, two = billed
    review(group, date(2026, 3, 5))
    case = Delinquency.objects.get(group=group)
    with pytest.raises(Conflict, match=r"76\.05 is unpaid"):
        delinquency.delinquency_reinstate(actor=users["groupadmin"], delinquency_id=case.pk)
    delinquency.delinquency_cancel(
        actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 3, 6)
    )
    case.refresh_from_db()
    assert (case.stage, case.cancelled_on) == ("cancelled", date(2026, 3, 6))
    with pytest.raises(Conflict, match="cancelled"):
        delinquency.delinquency_cancel(actor=users["groupadmin"], delinquency_id=case.pk)
    pay(group, {one: "42.40", two: "33.65"}, FEB)
    delinquency.delinquency_reinstate(
        actor=users["groupadmin"], delinquency_id=case.pk, today=date(2026, 3, 7)
    )
    group.refresh_from_db()
    assert group.status == "active"


def test_aging_puts_unpaid_premium_in_buckets_oldest_bill_first(users, group, billed, make_user):
    one, _ = billed
    listbills.list_bill_generate(actor=None, group=group, period_start=MAR)
    pay(group, {one: "10.00"}, FEB)  # applied to the oldest unpaid bill, February
    [row] = listbill_selectors.aging(user=users["supervisor"], today=date(2026, 4, 5))
    # February was due 63 days ago, March 35 days ago; January is paid.
    assert row.buckets == {
        "current": Decimal("0.00"),
        "30": Decimal("76.05"),
        "60": Decimal("66.05"),
        "90+": Decimal("0.00"),
    }
    assert (row.total, row.oldest_due) == (Decimal("142.10"), FEB)
    assert listbill_selectors.aging(user=users["groupadmin"], today=date(2026, 4, 5), market="TRI")
    assert not listbill_selectors.aging(
        user=users["supervisor"], today=date(2026, 4, 5), market="TX"
    )
    texas = make_user("texas-admin", Role.GROUP_ADMIN, ("TX",))
    assert listbill_selectors.aging(user=texas, today=date(2026, 4, 5)) == []
    assert [
        r.group
        for r in listbill_selectors.delinquent_groups(user=users["auditor"], today=date(2026, 4, 5))
    ] == [group]
    assert listbill_selectors.delinquent_groups(user=users["auditor"], today=date(2026, 1, 1)) == []


def test_bill_statuses_follow_the_payments(group, billed):
    one, _ = billed
    listbills.list_bill_statuses_refresh(group=group)
    statuses = dict(ListBill.objects.values_list("period_start", "status"))
    assert statuses == {JAN: "paid", FEB: "open"}
    pay(group, {one: "10.00"}, FEB)
    assert listbills.list_bill_statuses_refresh(group=group) == 1
    assert ListBill.objects.get(period_start=FEB).status == "partially_paid"
    ListBill.objects.filter(period_start=FEB).update(status="reconciled")
    assert listbills.list_bill_statuses_refresh(group=group) == 0


def test_a_case_whose_item_staff_closed_is_still_reinstated(users, group, billed):
    """Staff may close the cancelled case's item by hand; paying back premium then still
    reinstates the group, and the review goes on."""
    one, two = billed
    review(group, date(2026, 3, 5))
    review(group, date(2026, 4, 4))
    case = Delinquency.objects.get(group=group)
    WorkItem.objects.filter(pk=case.work_item_id).update(status="closed", closed_at=timezone.now())
    pay(group, {one: "42.40", two: "33.65"}, FEB)
    assert review(group, date(2026, 4, 10)).reinstated == ["G2001"]
    group.refresh_from_db()
    assert group.status == "active"
    assert WorkItem.objects.get(pk=case.work_item_id).status == "closed"


def _case_dates(group):
    case = Delinquency.objects.get(group=group)
    return (case.stage, case.grace_ended_on, case.lapsed_on, case.cancel_on, case.cancelled_on)


def _coverage_and_events(group):
    return (
        sorted(Coverage.objects.values_list("start_date", "end_date", "status")),
        list(
            PolicyEvent.objects.filter(group=group, member__isnull=True)
            .order_by("pk")
            .values_list("event", "effective_date")
        ),
    )


# Grace ends 03/04: the group lapses 03/05 and is cancelled on 04/04.
ON_TIME = ("cancelled", date(2026, 3, 4), date(2026, 3, 5), date(2026, 4, 4), date(2026, 4, 4))


@pytest.mark.parametrize("late_days", [0, 1, 29, 30, 40, 95])
def test_a_late_review_uses_the_dates_an_on_time_one_would(group, billed, late_days):
    """The daily review first runs `late_days` after the lapse day, then every day: the
    case's dates, the coverage ended and the policy history are the on-time ones."""
    first = date(2026, 3, 5) + timedelta(days=late_days)
    steps = []
    for day in range(31):
        result = review(group, first + timedelta(days=day))
        steps += [(day, step) for step in ("lapsed", "cancelled") if getattr(result, step)]
        assert result.reinstated == []
    cancelled_after = max(0, (date(2026, 4, 4) - first).days)
    assert steps == [(0, "lapsed"), (cancelled_after, "cancelled")]
    assert _case_dates(group) == ON_TIME
    assert _coverage_and_events(group) == (
        [(JAN, date(2026, 1, 31), "terminated")] * 3,
        [("group_lapsed", date(2026, 3, 5)), ("group_terminated", date(2026, 1, 31))],
    )

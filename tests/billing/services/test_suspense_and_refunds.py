"""Suspense is applied, refunded or written off; refunds need a second approver above the
limit and are exported once; a retroactive termination reverses premium and refunds it."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from payerdesk.billing.models import Account, BillingSchedule, Refund, Variance
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services.refunds import premium_reverse, refund_decide, refunds_export
from payerdesk.billing.services.remittances import remittance_file_receive
from payerdesk.billing.services.suspense import variance_apply, variance_refund, variance_write_off
from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.core.models import WorkItem
from payerdesk.groups.models import Coverage
from tests.billing.support import bill, x820

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
D = Decimal


@pytest.fixture
def held(group, make_member, cover, accident, users):
    """January billed to MA and MB; the 820 pays MA twice over and an unknown MZ."""
    BillingSchedule.objects.create(group=group, first_period_start=JAN)
    members = {ref: make_member(ref) for ref in ("MA", "MB")}
    for member in members.values():
        cover(member, accident)
    bill(group, JAN, {members["MA"]: "100.00", members["MB"]: "100.00"})
    remittance_file_receive(
        actor=users["groupadmin"], name="j.820",
        content=x820([("MA", "200.00", "20260101"), ("MZ", "700.00", "20260101")]),
    )  # fmt: skip
    over = Variance.objects.get(kind="over_paid")
    unknown = Variance.objects.get(kind="unknown_member")
    return group, members, over, unknown


def _balanced(group):
    rows = listbill_selectors.trial_balance(group)
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_suspense_applied_to_a_member_and_period(held, users):
    group, members, over, _ = held
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == D("800.00")
    variance_apply(actor=users["groupadmin"], variance_id=over.pk, member_id="MB", period_start=JAN)
    over.refresh_from_db()
    assert over.status == "resolved_applied" and over.resolved_by == users["groupadmin"]
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == D("700.00")
    assert (
        listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=members["MB"])
        == 0
    )
    _balanced(group)


def test_applying_to_a_member_of_another_group_is_refused(held, users):
    _, _, over, _ = held
    with pytest.raises(InvalidInput, match="No member 'NOPE'") as refused:
        variance_apply(
            actor=users["groupadmin"], variance_id=over.pk, member_id="NOPE", period_start=JAN
        )
    assert refused.value.field == "member_id"
    over.refresh_from_db()
    assert over.status == "suspense"


def test_write_off_needs_a_reason_and_clears_suspense(held, users):
    group, _, over, _ = held
    with pytest.raises(InvalidInput, match="Give a reason"):
        variance_write_off(actor=users["groupadmin"], variance_id=over.pk, reason=" ")
    variance_write_off(actor=users["groupadmin"], variance_id=over.pk, reason="employer error")
    assert listbill_selectors.balance(Account.WRITE_OFF, group=group) == D("-100.00")
    with pytest.raises(Conflict, match="not in suspense"):
        variance_write_off(actor=users["groupadmin"], variance_id=over.pk, reason="again")
    _balanced(group)


def test_the_work_item_is_resolved_when_its_last_variance_is(held, users):
    _group, _, over, unknown = held
    item = WorkItem.objects.get(kind="premium-suspense")
    assert item.title.startswith("Suspense: 2 variance(s), 800.00")
    variance_write_off(actor=users["groupadmin"], variance_id=over.pk, reason="noise")
    assert WorkItem.objects.get(pk=item.pk).closed_at is None
    variance_refund(actor=users["groupadmin"], variance_id=unknown.pk, reason="not ours")
    item.refresh_from_db()
    assert item.status == "resolved" and item.closed_at is not None
    assert item.notes.count() == 2


@override_settings(BILLING_REFUND_APPROVAL_LIMIT="500.00")
def test_a_refund_above_the_limit_needs_a_second_person(held, users):
    group, _, over, unknown = held
    small = variance_refund(actor=users["groupadmin"], variance_id=over.pk, reason="twice paid")
    assert small.status == "approved"  # 100.00 is within the limit
    big = variance_refund(actor=users["groupadmin"], variance_id=unknown.pk, reason="not ours")
    assert big.status == "requested"
    assert listbill_selectors.balance(Account.REFUNDS_PAYABLE, group=group) == D("100.00")
    with pytest.raises(NotPermitted, match="not the one who asked"):
        refund_decide(actor=users["groupadmin"], refund_id=big.pk, approve=True)
    refund_decide(actor=users["supervisor"], refund_id=big.pk, approve=True)
    assert listbill_selectors.balance(Account.REFUNDS_PAYABLE, group=group) == D("800.00")
    assert listbill_selectors.balance(Account.SUSPENSE, group=group) == 0
    _balanced(group)


def test_a_rejected_refund_puts_the_money_back_in_suspense(held, users):
    _, _, _, unknown = held
    big = variance_refund(actor=users["groupadmin"], variance_id=unknown.pk, reason="not ours")
    refund_decide(actor=users["supervisor"], refund_id=big.pk, approve=False)
    unknown.refresh_from_db()
    assert unknown.status == "suspense"
    with pytest.raises(Conflict):
        refund_decide(actor=users["admin"], refund_id=big.pk, approve=True)


def test_approved_refunds_export_once_as_a_payment_instruction(held, users):
    group, _, over, _ = held
    variance_refund(actor=users["groupadmin"], variance_id=over.pk, reason="twice paid")
    content, count = refunds_export(actor=users["groupadmin"])
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert count == 1
    assert (rows[0]["group_number"], rows[0]["amount"], rows[0]["payee"]) == (
        group.group_number, "100.00", group.legal_name,
    )  # fmt: skip
    assert "MA" not in content.decode()  # the bank gets no member ids
    assert listbill_selectors.balance(Account.REFUNDS_PAYABLE, group=group) == 0
    assert listbill_selectors.balance(Account.CASH, group=group) == D("800.00")
    assert refunds_export(actor=users["groupadmin"])[1] == 0
    _balanced(group)


def test_a_credit_claimed_by_the_employer_cannot_be_refunded(group, make_member, cover,
                                                             accident, users):  # fmt: skip
    member = make_member("MA")
    cover(member, accident)
    bill(group, JAN, {member: "100.00"})
    remittance_file_receive(
        actor=users["groupadmin"], name="c.820",
        content=x820([("MA", "100.00", "20260101"), ("MA", "-40.00", "20260201"),
                      ("MZ", "40.00", "20260101")]),
    )  # fmt: skip
    credit = Variance.objects.get(paid=D("-40.00"))
    assert credit.held == D("-40.00")
    with pytest.raises(Conflict, match="nothing to refund"):
        variance_refund(actor=users["groupadmin"], variance_id=credit.pk, reason="x")
    variance_write_off(actor=users["groupadmin"], variance_id=credit.pk, reason="accepted")
    _balanced(group)


def test_a_retro_termination_reverses_premium_and_refunds_what_was_paid(
    group, make_member, cover, accident, users
):
    member = make_member("MA")
    cover(member, accident)
    for period in (JAN, FEB, MAR):
        bill(group, period, {member: "100.00"})
    remittance_file_receive(
        actor=users["groupadmin"], name="p.820",
        content=x820([("MA", "100.00", "20260101"), ("MA", "100.00", "20260201")]),
    )  # fmt: skip
    with pytest.raises(Conflict, match="MA is still covered on 2026-02-01: end the coverage"):
        premium_reverse(actor=users["groupadmin"], member=member, since=FEB, reason="early")
    Coverage.objects.filter(member=member).update(end_date=date(2026, 1, 31))
    total, refund = premium_reverse(
        actor=users["groupadmin"], member=member, since=FEB, reason="terminated 2026-01-31"
    )
    assert total == D("200.00")  # February (paid) and March (not paid)
    assert refund is not None and refund.amount == D("100.00") and refund.status == "approved"
    assert refund.breakdown == {"2026-02-01": "100.00"}
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=member) == 0
    assert listbill_selectors.balance(Account.REFUNDS_PAYABLE, group=group) == D("100.00")
    with pytest.raises(Conflict, match="Nothing billed to reverse"):
        premium_reverse(actor=users["groupadmin"], member=member, since=FEB, reason="again")
    _balanced(group)


def test_premium_billed_for_a_coverage_cancelled_before_it_began_is_reversed(
    group, make_member, cover, accident, users
):
    """A cancellation is stored as a coverage ending on its start date; it was never in
    force, so its start date is not a day the member is "still covered"."""
    member = make_member("MA")
    cover(member, accident, start=FEB)
    bill(group, FEB, {member: "12.40"})
    Coverage.objects.filter(member=member).update(status="cancelled", end_date=FEB)
    total, refund = premium_reverse(
        actor=users["groupadmin"], member=member, since=FEB, reason="cancelled before it began"
    )
    assert (total, refund) == (D("12.40"), None)
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=member) == 0
    _balanced(group)


def test_a_decrease_reverses_the_difference_only(group, make_member, cover, accident, users):
    member = make_member("MA")
    cover(member, accident)
    bill(group, JAN, {member: "100.00"})
    total, refund = premium_reverse(
        actor=users["groupadmin"], member=member, since=JAN, reason="rate decrease",
        new_premium=D("80.00"),
    )  # fmt: skip
    assert (total, refund) == (D("20.00"), None)
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=member) == D(
        "80.00"
    )
    with pytest.raises(InvalidInput):
        premium_reverse(
            actor=users["groupadmin"], member=member, since=JAN, reason="x", new_premium=D("-1")
        )


def test_refund_pages_and_rules_refuse_roles_without_billing(held, users):
    _, _, over, _ = held
    with pytest.raises(NotPermitted):
        variance_refund(actor=users["auditor"], variance_id=over.pk, reason="x")
    assert not Refund.objects.exists()


def test_the_next_list_bill_does_not_reverse_a_reversed_termination_again(
    group, make_member, cover, accident, users
):
    from payerdesk.billing.models import ListBillLine
    from payerdesk.billing.services.listbills import billing_schedule_set, list_bill_generate

    billing_schedule_set(actor=None, group=group, mode="monthly", first_period_start=JAN)
    member = make_member("MA")
    cover(member, accident)
    for period in (JAN, FEB):
        list_bill_generate(actor=None, group=group, period_start=period)
    Coverage.objects.filter(member=member).update(end_date=date(2026, 1, 31))
    total, _ = premium_reverse(
        actor=users["groupadmin"], member=member, since=FEB, reason="terminated 2026-01-31"
    )
    assert total == D("12.40")
    march = list_bill_generate(actor=None, group=group, period_start=MAR).bill
    assert not ListBillLine.objects.filter(bill=march, kind="adjustment").exists()
    assert listbill_selectors.balance(Account.PREMIUM_RECEIVABLE, group=group, member=member) == D(
        "12.40"
    )
    _balanced(group)

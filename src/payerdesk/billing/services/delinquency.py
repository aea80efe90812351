"""Delinquency: lapse after the grace period, cancellation for non-payment, and
reinstatement when the back premium is paid (see `rules` for the dates).

Two levels, one set of stages (lapsed, cancelled, reinstated):

- the **group** lapses when a bill past its grace period was not paid at all for any
  member of it (every member billed on it still owes for its period): the group is
  lapsed, then cancelled with every coverage ended on the paid-through date, through
  `groups.services.terminations` (`group_lapse`, `group_terminate`, `group_reinstate`);
- a **member** lapses when the employer paid the bill but not that member's premium:
  the notice and work item name the member; cancellation ends the member's coverage
  (`member_terminate`, reason non-payment) and reinstatement restores it
  (`member_reinstate`). Once a member is cancelled, the next list bill takes back the
  premium billed after the paid-through date (it is no longer owed), so a cancelled
  member is reinstated by an administrator, and the periods are billed again.

Grace period: each plan design's own (`PlanDesign.grace_period_days`, 31 by default).
A bill covers several plans and a group lapse ends them all, so a group's bill is
given the most generous grace of the plans billed on it; a member's unpaid premium,
the most generous of that member's plans. Nobody lapses before every plan concerned
allows it.

`delinquency_review` is the one entry point: the daily job runs it for every group,
and it can be run for one group right after a payment is posted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from payerdesk.billing import rules
from payerdesk.billing.formats.notices import lapse_notice
from payerdesk.billing.models import (
    BillingSchedule,
    Delinquency,
    DelinquencyStage,
    ListBill,
)
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.services import listbills
from payerdesk.billing.work import BILLING_QUEUE, DELINQUENCY, MEMBER_DELINQUENCY
from payerdesk.core.documents import render_pdf
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import Priority, Queue, User, WorkItem
from payerdesk.core.money import ZERO
from payerdesk.core.notifications import notice_email_on_commit
from payerdesk.core.permissions import require_market_permission
from payerdesk.core.services import work_item_close, work_item_create, work_item_follow
from payerdesk.groups import selectors as group_selectors
from payerdesk.groups.services import groups as group_services
from payerdesk.groups.services import terminations

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup, Member

DEFAULT_GRACE_DAYS = 31
# The reason codes of groups' terminations and reinstatements that billing gives.
NONPAYMENT = "nonpayment"
PAYMENT_RECEIVED = "payment_received"


@dataclass(frozen=True)
class ReviewResult:
    """Group numbers, and for members "group/member id", per step taken."""

    lapsed: list[str]
    cancelled: list[str]
    reinstated: list[str]


# Credits to premium receivable that are the employer paying (not a bill or reversal).
PAYMENT_SOURCES = ("remittance", "suspense_apply", "payment")


def group_grace_days(group: EmployerGroup) -> int:
    """The most generous grace of the group's plan designs (31 without plans)."""
    days = group_selectors.grace_period_days(group=group)
    return days if days is not None else DEFAULT_GRACE_DAYS


def member_grace_days(member: Member) -> int:
    """The most generous grace of the plans the member was billed under."""
    days = group_selectors.grace_period_days(member=member)
    return days if days is not None else group_grace_days(member.group)


def _overdue(
    group: EmployerGroup, grace_days: int, today: date
) -> list[listbill_selectors.BillOutstanding]:
    """Bills with premium still unpaid after their grace period."""
    return [
        item
        for item in listbill_selectors.bills_outstanding(group)
        if item.outstanding > 0 and rules.grace_end(item.bill.due_date, grace_days) < today
    ]


def _unpaid_due(group: EmployerGroup, today: date) -> Decimal:
    """Back premium: everything billed and due by today that is still unpaid."""
    return sum(
        (
            i.outstanding
            for i in listbill_selectors.bills_outstanding(group)
            if i.bill.due_date <= today
        ),
        ZERO,
    )


def _paid_for(group: EmployerGroup, period: date) -> bool:
    """Whether the employer paid anything for the period, for any member."""
    return listbill_selectors.receivable_credited(
        group=group, period=period, sources=PAYMENT_SOURCES
    )


def _owed_by_member(group: EmployerGroup) -> dict[int, dict[date, Decimal]]:
    """What each member of the group owes, by period (positive balances only)."""
    owed: dict[int, dict[date, Decimal]] = defaultdict(dict)
    for (member, period), amount in listbill_selectors.member_period_balances(group).items():
        if amount > 0:
            owed[member][period] = amount
    return owed


def _member_unpaid(
    group: EmployerGroup, owed: Mapping[date, Decimal], today: date, grace_days: int | None = None
) -> list[tuple[ListBill, Decimal]]:
    """A member's unpaid periods, oldest first (`owed`: what they owe by period): each
    bill due by today, or with `grace_days` only those past their grace, and the amount."""
    bills = ListBill.objects.filter(group=group, period_start__in=owed).order_by("period_start")
    return [
        (bill, owed[bill.period_start])
        for bill in bills
        if bill.due_date <= today
        and (grace_days is None or rules.grace_end(bill.due_date, grace_days) < today)
    ]


def _unpaid_of(group: EmployerGroup, member_id: int, today: date) -> list[tuple[ListBill, Decimal]]:
    return _member_unpaid(group, _owed_by_member(group).get(member_id, {}), today)


def open_delinquency(group: EmployerGroup) -> Delinquency | None:
    """The group's own open case (not its members')."""
    return (
        Delinquency.objects.filter(group=group, member__isnull=True)
        .exclude(stage="reinstated")
        .first()
    )


def delinquency_review(
    *, today: date | None = None, group: EmployerGroup | None = None
) -> ReviewResult:
    """Refresh bill statuses, then lapse, cancel or reinstate each billed group, and
    each member the employer left unpaid, as the payments say. Idempotent; run it for
    one group after posting its payment."""
    today = today or timezone.localdate()
    result = ReviewResult([], [], [])
    schedules = BillingSchedule.objects.select_related("group", "group__market").exclude(
        group__in=group_selectors.groups_terminated()
    )
    if group is not None:
        schedules = schedules.filter(group=group)
    for schedule in schedules:
        number = schedule.group.group_number
        with transaction.atomic():
            steps = _review_one(schedule, today)
            member_steps = _review_members(schedule.group, today)
        for step in steps:
            getattr(result, step).append(number)
        for member_step, member_ref in member_steps:
            getattr(result, member_step).append(f"{number}/{member_ref}")
    return result


def _review_one(schedule: BillingSchedule, today: date) -> list[str]:
    """The group's steps today: a review that runs late lapses and cancels in one run,
    each on the day the rules give (`_lapse`)."""
    group = group_services.group_lock(schedule.group_id)
    listbills.list_bill_statuses_refresh(group=group)
    current = open_delinquency(group)
    if current is None:
        grace = group_grace_days(group)
        overdue = _overdue(group, grace, today)
        unpaid = [item for item in overdue if not _paid_for(group, item.bill.period_start)]
        if not unpaid or not group_selectors.group_active(group):
            return []  # a period paid for anyone is the members' case
        current = _lapse(group, grace, unpaid, today)
        if today >= current.cancel_on:
            _cancel(current, group, current.cancel_on, actor=None)
            return ["lapsed", "cancelled"]
        return ["lapsed"]
    if _unpaid_due(group, today) <= 0:
        _reinstate(current, group, today, actor=None)
        return ["reinstated"]
    if current.stage == DelinquencyStage.LAPSED and today >= current.cancel_on:
        _cancel(current, group, current.cancel_on, actor=None)
        return ["cancelled"]
    return []


def _review_members(group: EmployerGroup, today: date) -> list[tuple[str, str]]:
    """Members the employer paid the bill without: lapse past their plans' grace,
    cancel when the lapse runs out, reinstate a lapsed member once paid up."""
    group.refresh_from_db(fields=["status"])
    steps: list[tuple[str, str]] = []
    cases = Delinquency.objects.filter(group=group, member__isnull=False).exclude(
        stage="reinstated"
    )
    open_members = {case.member_id: case for case in cases.select_related("member")}
    for case in open_members.values():
        assert case.member is not None
        if case.stage != DelinquencyStage.LAPSED:
            continue  # cancelled: reinstated by an administrator (see the module doc)
        if not _unpaid_of(group, case.member.pk, today):
            _reinstate(case, group, today, actor=None)
            steps.append(("reinstated", case.member.member_id))
        elif today >= case.cancel_on and group_selectors.group_active(group):
            _cancel(case, group, case.cancel_on, actor=None)
            steps.append(("cancelled", case.member.member_id))
    if not group_selectors.group_active(group) or open_delinquency(group) is not None:
        return steps  # the group's own case covers its members
    # Read once for the whole group: a period's payment and each member's balance.
    owed = _owed_by_member(group)
    paid: dict[date, bool] = {}

    def paid_for(period: date) -> bool:
        if period not in paid:
            paid[period] = _paid_for(group, period)
        return paid[period]

    owing = {
        member
        for member, periods in owed.items()
        if member not in open_members and any(paid_for(period) for period in periods)
    }
    for member in group_selectors.members_by_pk(owing):
        overdue = [
            (bill, amount)
            for bill, amount in _member_unpaid(
                group, owed[member.pk], today, member_grace_days(member)
            )
            if paid_for(bill.period_start)
        ]
        if overdue:
            case = _lapse_member(group, member, overdue, today)
            steps.append(("lapsed", member.member_id))
            if today >= case.cancel_on:
                _cancel(case, group, case.cancel_on, actor=None)
                steps.append(("cancelled", member.member_id))
    return steps


def _queue() -> Queue:
    queue = Queue.objects.filter(slug=BILLING_QUEUE).first()
    if queue is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No {BILLING_QUEUE!r} queue for delinquent groups.", field="queue"
        )
    return queue


def _lapse(
    group: EmployerGroup,
    grace_days: int,
    overdue: list[listbill_selectors.BillOutstanding],
    today: date,
) -> Delinquency:
    first = overdue[0].bill
    amount = sum((item.outstanding for item in overdue), ZERO)
    grace_ended_on = rules.grace_end(first.due_date, grace_days)
    lapsed_on = rules.lapse_date(grace_ended_on)
    terminations.group_lapse(actor=None, group=group, lapsed_on=lapsed_on)
    item = work_item_create(
        actor=None,
        kind=DELINQUENCY.code,
        title=f"Delinquent group {group.group_number}: {amount} unpaid since {first.due_date}",
        queue=_queue(),
        market=group.market,
        priority=Priority.HIGH,
    )
    delinquency = Delinquency.objects.create(
        group=group,
        bill=first,
        stage=DelinquencyStage.LAPSED,
        amount_due=amount,
        grace_ended_on=grace_ended_on,
        lapsed_on=lapsed_on,
        cancel_on=rules.cancel_date(lapsed_on),
        paid_through=first.period_start - timedelta(days=1),
        work_item=item,
    )
    _send_notice(
        delinquency,
        today,
        f"Premium past due: group {group.group_number} has lapsed",
        f"Premium of {amount} for group {group.group_number} is unpaid past its grace "
        f"period. Coverage {_cancellation(delinquency, today)}. The notice is attached.",
    )
    return delinquency


def _lapse_member(
    group: EmployerGroup, member: Member, overdue: list[tuple[ListBill, Decimal]], today: date
) -> Delinquency:
    first = overdue[0][0]
    amount = sum((owed for _, owed in overdue), ZERO)
    grace_ended_on = rules.grace_end(first.due_date, member_grace_days(member))
    lapsed_on = rules.lapse_date(grace_ended_on)
    # The member is named by id only: titles and emails are seen outside the record.
    item = work_item_create(
        actor=None,
        kind=MEMBER_DELINQUENCY.code,
        title=f"Delinquent member {member.member_id} of group {group.group_number}: "
        f"{amount} unpaid since {first.due_date}",
        queue=_queue(),
        market=group.market,
        priority=Priority.HIGH,
    )
    delinquency = Delinquency.objects.create(
        group=group,
        member=member,
        bill=first,
        stage=DelinquencyStage.LAPSED,
        amount_due=amount,
        grace_ended_on=grace_ended_on,
        lapsed_on=lapsed_on,
        cancel_on=rules.cancel_date(lapsed_on),
        paid_through=first.period_start - timedelta(days=1),
        work_item=item,
    )
    _send_notice(
        delinquency,
        today,
        f"Premium past due: a member of group {group.group_number} has lapsed",
        f"Premium of {amount} for one member of group {group.group_number} was not paid "
        "with the list bill and is past its grace period. That member's coverage "
        f"{_cancellation(delinquency, today)}. The notice, attached, names the member.",
    )
    return delinquency


def _cancellation(delinquency: Delinquency, today: date) -> str:
    """What the lapse email says of the cancellation: a late review cancels in the same
    run when the cancellation date has passed."""
    on = f"{delinquency.cancel_on:%m/%d/%Y}"
    if delinquency.cancel_on <= today:
        return f"is cancelled for non-payment as of {on}, the premium being still unpaid"
    return f"will be cancelled for non-payment on {on} unless it is paid"


def _send_notice(delinquency: Delinquency, today: date, subject: str, body: str) -> None:
    group = delinquency.group
    document = lapse_notice(delinquency, issued_on=today)
    suffix = f"-{delinquency.member.member_id}" if delinquency.member else ""
    notice_email_on_commit(
        [group.billing_contact_email], subject, body,
        attachment=(f"lapse-notice-{group.group_number}{suffix}.pdf", "application/pdf",
                    render_pdf(document)),
    )  # fmt: skip


def _cancel(
    delinquency: Delinquency, group: EmployerGroup, cancelled_on: date, actor: User | None
) -> None:
    """Cancel on `cancelled_on`: the case's `cancel_on` for the review, whatever day it
    runs; the day an administrator cancels early."""
    reason = NONPAYMENT
    ended: list[int] = []  # none when staff ended the member's coverage already
    if delinquency.member is None:
        outcome = terminations.group_terminate(
            actor=actor, group=group, termination_date=delinquency.paid_through, reason=reason
        )
        ended = [row.pk for row in outcome.ended + outcome.cancelled]
    elif terminations.coverage_in_force_after(delinquency.member, delinquency.paid_through):
        outcome = terminations.member_terminate(
            actor=actor, member=delinquency.member,
            termination_date=delinquency.paid_through, reason=reason,
        )  # fmt: skip
        ended = [row.pk for row in outcome.ended + outcome.cancelled]
    delinquency.stage = DelinquencyStage.CANCELLED
    delinquency.cancelled_on = cancelled_on
    delinquency.ended_coverage_ids = ended
    delinquency.save(update_fields=["stage", "cancelled_on", "ended_coverage_ids"])
    if _item_open(delinquency):
        work_item_follow(
            actor=actor, item_id=delinquency.work_item_id, to_status="cancelled",
            reason="Cancelled for non-payment",
        )  # fmt: skip


def _item_open(delinquency: Delinquency) -> bool:
    """Staff may close the item by hand (e.g. after the cancellation): the case goes on
    without it, and one such group does not stop the daily review of the others."""
    return WorkItem.objects.filter(pk=delinquency.work_item_id, closed_at__isnull=True).exists()


def _reinstate(
    delinquency: Delinquency, group: EmployerGroup, today: date, actor: User | None
) -> None:
    reason = PAYMENT_RECEIVED
    if delinquency.member is None:
        terminations.group_reinstate(actor=actor, group=group, reason=reason)
    elif delinquency.stage == DelinquencyStage.CANCELLED and delinquency.ended_coverage_ids:
        terminations.member_reinstate(actor=actor, member=delinquency.member, reason=reason)
    delinquency.stage = DelinquencyStage.REINSTATED
    delinquency.reinstated_on = today
    delinquency.save(update_fields=["stage", "reinstated_on"])
    if _item_open(delinquency):
        work_item_close(
            actor=actor, item_id=delinquency.work_item_id, status="reinstated",
            reason="Back premium paid: reinstated",
        )  # fmt: skip
    if delinquency.member is None:
        _bill_the_gap(group, today, actor)


def _bill_the_gap(group: EmployerGroup, today: date, actor: User | None) -> None:
    """Bills stop while a group is cancelled; once it is reinstated, the periods
    missed up to today are billed, due today at the earliest."""
    schedule = listbills.schedule_of(group)
    last = ListBill.objects.filter(group=group).order_by("-period_start").first()
    if last is None:
        return
    for period in listbills.periods_after(schedule, last.period_end, today):
        listbills.list_bill_generate(
            actor=actor, group=group, period_start=period.start, issued_on=today
        )


def _still_owed(delinquency: Delinquency, group: EmployerGroup, today: date) -> Decimal:
    if delinquency.member is None:
        return _unpaid_due(group, today)
    return sum((owed for _, owed in _unpaid_of(group, delinquency.member.pk, today)), ZERO)


def delinquency_cancel(
    *, actor: User, delinquency_id: int, today: date | None = None
) -> Delinquency:
    """An administrator cancels a lapsed group (or member) for non-payment before the
    automatic date."""
    today = today or timezone.localdate()
    with transaction.atomic():
        delinquency = _locked(delinquency_id)
        require_market_permission(actor, "billing.change_delinquency", delinquency.group.market)
        if delinquency.stage != DelinquencyStage.LAPSED:
            raise Conflict(
                ErrorCode.INVALID,
                f"Delinquency {delinquency.pk} is {delinquency.get_stage_display().lower()}.",
            )
        group = group_services.group_lock(delinquency.group_id)
        if _still_owed(delinquency, group, today) <= 0:
            raise Conflict(ErrorCode.INVALID, "The back premium is paid: reinstate instead.")
        _cancel(delinquency, group, today, actor)
    return delinquency


def delinquency_reinstate(
    *, actor: User, delinquency_id: int, today: date | None = None
) -> Delinquency:
    """Reinstate a lapsed or cancelled group or member; refused while back premium is
    unpaid. A cancelled member's unpaid premium was taken back by the next bill: their
    reinstatement bills it again (the next bill's retroactive adds)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        delinquency = _locked(delinquency_id)
        require_market_permission(actor, "billing.change_delinquency", delinquency.group.market)
        if delinquency.stage == DelinquencyStage.REINSTATED:
            raise Conflict(ErrorCode.INVALID, f"Delinquency {delinquency.pk} is reinstated.")
        group = group_services.group_lock(delinquency.group_id)
        unpaid = _still_owed(delinquency, group, today)
        if unpaid > 0:
            raise Conflict(
                ErrorCode.INVALID, f"Back premium of {unpaid} is unpaid: reinstatement waits."
            )
        _reinstate(delinquency, group, today, actor)
    return delinquency


def _locked(delinquency_id: int) -> Delinquency:
    found = (
        Delinquency.objects.select_for_update(of=("self",))
        .select_related("group", "group__market", "work_item", "member")
        .filter(pk=delinquency_id)
        .first()
    )
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No delinquency {delinquency_id}.")
    return found

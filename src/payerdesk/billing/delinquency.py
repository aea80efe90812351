"""Delinquency: lapse after the grace period, cancellation for non-payment, and
reinstatement when the back premium is paid (see `rules` for the dates).

`delinquency_review` is the one entry point: the daily job runs it for every group,
and it can be run for one group right after a payment is posted.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from payerdesk.billing import listbills, rules, selectors
from payerdesk.billing.models import (
    ZERO,
    BillingSchedule,
    Delinquency,
    DelinquencyStage,
    ListBill,
)
from payerdesk.billing.notices import lapse_notice
from payerdesk.billing.work import BILLING_QUEUE, DELINQUENCY
from payerdesk.core.documents import render_pdf
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import Priority, Queue, TimelineEvent, User, WorkItem
from payerdesk.core.notifications import notice_email_on_commit
from payerdesk.core.services import work_item_create
from payerdesk.groups import services as group_services
from payerdesk.groups.models import EmployerGroup, GroupStatus


@dataclass(frozen=True)
class ReviewResult:
    lapsed: list[str]
    cancelled: list[str]
    reinstated: list[str]


def _overdue(group: EmployerGroup, grace_days: int, today: date) -> list[selectors.BillOutstanding]:
    """Bills with premium still unpaid after their grace period."""
    return [
        item
        for item in selectors.bills_outstanding(group)
        if item.outstanding > 0 and rules.grace_end(item.bill.due_date, grace_days) < today
    ]


def _unpaid_due(group: EmployerGroup, today: date) -> Decimal:
    """Back premium: everything billed and due by today that is still unpaid."""
    return sum(
        (i.outstanding for i in selectors.bills_outstanding(group) if i.bill.due_date <= today),
        ZERO,
    )


def open_delinquency(group: EmployerGroup) -> Delinquency | None:
    return Delinquency.objects.filter(group=group).exclude(stage="reinstated").first()


def delinquency_review(
    *, today: date | None = None, group: EmployerGroup | None = None
) -> ReviewResult:
    """Refresh bill statuses, then lapse, cancel or reinstate each billed group as its
    payments say. Idempotent; run it for one group after posting its payment."""
    today = today or timezone.localdate()
    result = ReviewResult([], [], [])
    schedules = BillingSchedule.objects.select_related("group", "group__market").exclude(
        group__status=GroupStatus.TERMINATED
    )
    if group is not None:
        schedules = schedules.filter(group=group)
    for schedule in schedules:
        number = schedule.group.group_number
        with transaction.atomic():
            step = _review_one(schedule, today)
        if step:
            getattr(result, step).append(number)
    return result


def _review_one(schedule: BillingSchedule, today: date) -> str | None:
    group = EmployerGroup.objects.select_for_update().get(pk=schedule.group_id)
    listbills.list_bill_statuses_refresh(group=group)
    current = open_delinquency(group)
    if current is None:
        overdue = _overdue(group, schedule.grace_days, today)
        if overdue and group.status == GroupStatus.ACTIVE:
            _lapse(group, schedule, overdue, today)
            return "lapsed"
        return None
    if _unpaid_due(group, today) <= 0:
        _reinstate(current, group, today, actor=None)
        return "reinstated"
    if current.stage == DelinquencyStage.LAPSED and today >= current.cancel_on:
        _cancel(current, group, today, actor=None)
        return "cancelled"
    return None


def _lapse(
    group: EmployerGroup,
    schedule: BillingSchedule,
    overdue: list[selectors.BillOutstanding],
    today: date,
) -> Delinquency:
    queue = Queue.objects.filter(slug=BILLING_QUEUE).first()
    if queue is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No {BILLING_QUEUE!r} queue for delinquent groups.", field="queue"
        )
    first = overdue[0].bill
    amount = sum((item.outstanding for item in overdue), ZERO)
    group_services.group_lapse_for_nonpayment(actor=None, group=group)
    item = work_item_create(
        actor=None,
        kind=DELINQUENCY.code,
        title=f"Delinquent group {group.group_number}: {amount} unpaid since {first.due_date}",
        queue=queue,
        market=group.market,
        priority=Priority.HIGH,
    )
    delinquency = Delinquency.objects.create(
        group=group,
        bill=first,
        stage=DelinquencyStage.LAPSED,
        amount_due=amount,
        grace_ended_on=rules.grace_end(first.due_date, schedule.grace_days),
        lapsed_on=today,
        cancel_on=today + timedelta(days=rules.CANCEL_AFTER_LAPSE_DAYS),
        paid_through=first.period_start - timedelta(days=1),
        work_item=item,
    )
    document = lapse_notice(delinquency, issued_on=today)
    notice_email_on_commit(
        [group.billing_contact_email],
        f"Premium past due: group {group.group_number} has lapsed",
        f"Premium of {amount} for group {group.group_number} is unpaid past its grace "
        f"period. Coverage will be cancelled for non-payment on {delinquency.cancel_on:%m/%d/%Y} "
        "unless it is paid. The notice is attached.",
        attachment=(f"lapse-notice-{group.group_number}.pdf", "application/pdf",
                    render_pdf(document)),
    )  # fmt: skip
    return delinquency


def _cancel(
    delinquency: Delinquency, group: EmployerGroup, today: date, actor: User | None
) -> None:
    ended = group_services.group_cancel_for_nonpayment(
        actor=actor, group=group, paid_through=delinquency.paid_through
    )
    delinquency.stage = DelinquencyStage.CANCELLED
    delinquency.cancelled_on = today
    delinquency.ended_coverage_ids = ended
    delinquency.save(update_fields=["stage", "cancelled_on", "ended_coverage_ids"])
    _item_moved(delinquency.work_item, "cancelled", actor, "Cancelled for non-payment")


def _reinstate(
    delinquency: Delinquency, group: EmployerGroup, today: date, actor: User | None
) -> None:
    group_services.group_reinstate_after_payment(
        actor=actor, group=group, coverage_ids=list(delinquency.ended_coverage_ids)
    )
    delinquency.stage = DelinquencyStage.REINSTATED
    delinquency.reinstated_on = today
    delinquency.save(update_fields=["stage", "reinstated_on"])
    _item_moved(delinquency.work_item, "reinstated", actor, "Back premium paid: reinstated")
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


def _item_moved(item: WorkItem, status: str, actor: User | None, summary: str) -> None:
    """Move the delinquency's work item with the delinquency. The core's transition
    service asks for a person; a job moving it on its own is recorded the same way."""
    previous = item.status
    if previous == status or status not in DELINQUENCY.statuses:
        return
    item.status = status
    item.closed_at = timezone.now() if DELINQUENCY.is_closed(status) else None
    item.save(update_fields=["status", "closed_at"])
    TimelineEvent.objects.create(
        work_item=item, actor=actor, event=TimelineEvent.Event.STATUS_CHANGED,
        summary=summary, data={"previous": previous, "status": status},
    )  # fmt: skip


def delinquency_cancel(
    *, actor: User, delinquency_id: int, today: date | None = None
) -> Delinquency:
    """An administrator cancels a lapsed group for non-payment before the automatic date."""
    today = today or timezone.localdate()
    with transaction.atomic():
        delinquency = _locked(delinquency_id)
        group_services.require_market_permission(
            actor, "billing.change_delinquency", delinquency.group.market
        )
        if delinquency.stage != DelinquencyStage.LAPSED:
            raise Conflict(
                ErrorCode.INVALID,
                f"Delinquency {delinquency.pk} is {delinquency.get_stage_display().lower()}.",
            )
        group = EmployerGroup.objects.select_for_update().get(pk=delinquency.group_id)
        if _unpaid_due(group, today) <= 0:
            raise Conflict(ErrorCode.INVALID, "The back premium is paid: reinstate instead.")
        _cancel(delinquency, group, today, actor)
    return delinquency


def delinquency_reinstate(
    *, actor: User, delinquency_id: int, today: date | None = None
) -> Delinquency:
    """Reinstate a lapsed or cancelled group; refused while back premium is unpaid."""
    today = today or timezone.localdate()
    with transaction.atomic():
        delinquency = _locked(delinquency_id)
        group_services.require_market_permission(
            actor, "billing.change_delinquency", delinquency.group.market
        )
        if delinquency.stage == DelinquencyStage.REINSTATED:
            raise Conflict(ErrorCode.INVALID, f"Delinquency {delinquency.pk} is reinstated.")
        group = EmployerGroup.objects.select_for_update().get(pk=delinquency.group_id)
        unpaid = _unpaid_due(group, today)
        if unpaid > 0:
            raise Conflict(
                ErrorCode.INVALID, f"Back premium of {unpaid} is unpaid: reinstatement waits."
            )
        _reinstate(delinquency, group, today, actor)
    return delinquency


def _locked(delinquency_id: int) -> Delinquency:
    found = (
        Delinquency.objects.select_for_update(of=("self",))
        .select_related("group", "group__market", "work_item")
        .filter(pk=delinquency_id)
        .first()
    )
    if found is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No delinquency {delinquency_id}.")
    return found

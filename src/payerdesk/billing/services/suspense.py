"""Resolving money held in suspense: apply it to a member and period, refund it, or
write it off with a reason. Each is one journal entry, a note on the work item, and,
when the last variance of the item is settled, the item resolved."""

import contextlib
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from payerdesk.billing.models import Account, Refund, Remittance, Variance, VarianceStatus
from payerdesk.billing.services import refunds
from payerdesk.billing.services.ledger import journal_post
from payerdesk.billing.services.reconciliation import signed_line
from payerdesk.billing.services.status import list_bills_refresh
from payerdesk.billing.work import BILLING_QUEUE, SUSPENSE
from payerdesk.core import services as core_services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import Queue, User, WorkItem
from payerdesk.core.permissions import require_market_permission
from payerdesk.groups import selectors as group_selectors

PERMISSION = "billing.change_variance"


def suspense_item_open(*, remittance: Remittance, count: int, held: Decimal) -> WorkItem:
    """The work item for what a remittance could not apply (in the caller's transaction)."""
    queue = Queue.objects.filter(slug=BILLING_QUEUE).first()
    if queue is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No {BILLING_QUEUE!r} queue is configured.", field="queue"
        )
    group = remittance.group
    return core_services.work_item_create(
        actor=None,
        kind=SUSPENSE,
        title=f"Suspense: {count} variance(s), {held} from {group.group_number}",
        queue=queue,
        market=group.market,
        description=f"Remittance {remittance.pk} ({remittance.get_source_display()}) "
        f"for {group.legal_name}: {count} amount(s) could not be applied.",
    )


def _held(actor: User, variance_id: int) -> Variance:
    variance = (
        Variance.objects.select_for_update(of=("self",))
        .select_related("group", "group__market", "remittance")
        .filter(pk=variance_id)
        .first()
    )
    if variance is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Variance {variance_id} does not exist.")
    if not actor.has_perm(PERMISSION):
        raise NotPermitted("Your role does not resolve suspense.")
    require_market_permission(actor, PERMISSION, variance.group.market)
    if variance.status != VarianceStatus.SUSPENSE:
        raise Conflict(
            ErrorCode.INVALID,
            f"Variance {variance.pk} is {variance.get_status_display().lower()}, not in suspense.",
        )
    return variance


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput(ErrorCode.INVALID, "Give a reason.", field="reason")
    return text[:200]


def _settle(actor: User, variance: Variance, status: str, note: str, reason: str) -> None:
    variance.status = status
    variance.reason = reason
    variance.resolved_by = actor
    variance.resolved_at = timezone.now()
    variance.save(update_fields=["status", "reason", "resolved_by", "resolved_at"])
    if variance.period_start:
        list_bills_refresh(group=variance.group, periods=[variance.period_start])
    item = variance.work_item
    if item is None:
        return
    core_services.work_item_note_add(actor=actor, item_id=item.pk, body=note)
    if not Variance.objects.filter(work_item=item, status=VarianceStatus.SUSPENSE).exists():
        _resolve_item(actor, item.pk)


def _resolve_item(actor: User, item_id: int) -> None:
    """Close the item when the actor may; otherwise its holder closes it."""
    item = WorkItem.objects.get(pk=item_id)
    if item.closed_at is not None:
        return
    if item.assignee_id is None:
        core_services.work_item_claim(actor=actor, item_id=item_id)
    with contextlib.suppress(Conflict):  # held by someone else: the note tells them
        core_services.work_item_transition(
            actor=actor, item_id=item_id, to_status="resolved", reason="suspense cleared"
        )


def variance_apply(
    *,
    actor: User,
    variance_id: int,
    member_id: str,
    period_start: date,
) -> Variance:
    """Apply the whole held amount to a member's premium for a period."""
    with transaction.atomic():
        variance = _held(actor, variance_id)
        held = variance.held
        member = group_selectors.member_in_group(group=variance.group, member_id=member_id)
        if member is None:
            raise InvalidInput(
                ErrorCode.INVALID,
                f"No member {member_id!r} in group {variance.group.group_number}.",
                field="member_id",
            )
        journal_post(
            group=variance.group,
            lines=[
                signed_line(Account.SUSPENSE, held, variance.member_id, variance.period_start),
                signed_line(Account.PREMIUM_RECEIVABLE, -held, member.pk, period_start),
            ],
            memo=f"suspense of variance {variance.pk} applied",
            source="suspense_apply",
            source_id=str(variance.pk),
            created_by=actor,
        )
        if period_start != variance.period_start:
            list_bills_refresh(group=variance.group, periods=[period_start])
        _settle(
            actor, variance, VarianceStatus.RESOLVED_APPLIED,
            f"Variance {variance.pk}: {held} applied to {member_id} for {period_start}.",
            f"applied to {member_id} {period_start}",
        )  # fmt: skip
        return variance


def variance_write_off(*, actor: User, variance_id: int, reason: str) -> Variance:
    text = _reason(reason)
    with transaction.atomic():
        variance = _held(actor, variance_id)
        held = variance.held
        journal_post(
            group=variance.group,
            lines=[
                signed_line(Account.SUSPENSE, held, variance.member_id, variance.period_start),
                signed_line(Account.WRITE_OFF, -held, variance.member_id, variance.period_start),
            ],
            memo=f"suspense of variance {variance.pk} written off: {text}",
            source="suspense_write_off",
            source_id=str(variance.pk),
            created_by=actor,
        )
        _settle(
            actor, variance, VarianceStatus.WRITTEN_OFF,
            f"Variance {variance.pk}: {held} written off ({text}).", text,
        )  # fmt: skip
        return variance


def variance_refund(*, actor: User, variance_id: int, reason: str) -> Refund:
    """Give the held money back; above the approval limit a second person approves."""
    text = _reason(reason)
    with transaction.atomic():
        variance = _held(actor, variance_id)
        if variance.held <= 0:
            raise Conflict(
                ErrorCode.INVALID,
                f"Variance {variance.pk} holds {variance.held}: the employer claims a credit, "
                "there is nothing to refund. Apply it or write it off.",
            )
        refund = refunds.refund_request(
            actor=actor, group=variance.group, amount=variance.held, reason=text,
            from_account=Account.SUSPENSE, member_id=variance.member_id,
            breakdown={str(variance.period_start or ""): str(variance.held)}, variance=variance,
        )  # fmt: skip
        _settle(
            actor, variance, VarianceStatus.REFUNDED,
            f"Variance {variance.pk}: refund {refund.pk} of {variance.held} "
            f"({refund.get_status_display().lower()}).", text,
        )  # fmt: skip
        return refund

"""Refunds and premium reversals.

A refund is requested from suspense (a variance) or from premium paid for periods a
retroactive change reversed. Above `settings.BILLING_REFUND_APPROVAL_LIMIT` a second
person approves it (never the requester); on approval the money moves to refunds
payable, and the export (a CSV payment instruction) pays it out of cash.
"""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from payerdesk.billing.ledger import Line, journal_post
from payerdesk.billing.models import Account, JournalLine, ListBillLine
from payerdesk.billing.reconciliation import signed_line
from payerdesk.billing.remit_models import Refund, RefundStatus, Variance
from payerdesk.billing.status import list_bills_refresh
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import User
from payerdesk.groups.models import EmployerGroup, Member
from payerdesk.groups.services import require_market_permission

PERMISSION = "billing.change_refund"
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def approval_limit() -> Decimal:
    return Decimal(str(getattr(settings, "BILLING_REFUND_APPROVAL_LIMIT", "500.00")))


def _authorise(actor: User, group: EmployerGroup) -> None:
    if not actor.has_perm(PERMISSION):
        raise NotPermitted("Your role does not handle premium refunds.")
    require_market_permission(actor, PERMISSION, group.market)


def _post_approval(actor: User | None, refund: Refund) -> None:
    """Out of suspense (or the member's receivable credit) into refunds payable."""
    lines: list[Line] = []
    for period, amount in sorted(refund.breakdown.items()):
        start = date.fromisoformat(period) if period else None
        lines.append(signed_line(refund.from_account, Decimal(amount), refund.member_id, start))
    lines.append(Line(Account.REFUNDS_PAYABLE, credit=refund.amount, member_id=refund.member_id))
    journal_post(
        group=refund.group, lines=lines, memo=f"refund {refund.pk} approved: {refund.reason}",
        source="refund", source_id=str(refund.pk), created_by=actor,
    )  # fmt: skip


def refund_request(
    *,
    actor: User,
    group: EmployerGroup,
    amount: Decimal,
    reason: str,
    from_account: str,
    breakdown: dict[str, str],
    member_id: int | None = None,
    variance: Variance | None = None,
) -> Refund:
    _authorise(actor, group)
    if amount <= 0:
        raise InvalidInput(
            ErrorCode.INVALID, f"A refund of {amount} is not above zero.", field="amount"
        )
    if sum((Decimal(v) for v in breakdown.values()), ZERO) != amount:
        raise InvalidInput(
            ErrorCode.INVALID, "The periods do not add up to the refund.", field="amount"
        )
    within = amount <= approval_limit()
    with transaction.atomic():
        refund = Refund.objects.create(
            group=group, member_id=member_id, variance=variance, from_account=from_account,
            amount=amount, breakdown=breakdown, reason=reason.strip()[:200],
            status=RefundStatus.APPROVED if within else RefundStatus.REQUESTED,
            requested_by=actor, decided_at=timezone.now() if within else None,
        )  # fmt: skip
        if within:
            _post_approval(actor, refund)
    return refund


def _locked(refund_id: int) -> Refund:
    refund = (
        Refund.objects.select_for_update(of=("self",))
        .select_related("group", "group__market")
        .filter(pk=refund_id)
        .first()
    )
    if refund is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"Refund {refund_id} does not exist.")
    return refund


def refund_decide(*, actor: User, refund_id: int, approve: bool) -> Refund:
    """A second person approves or rejects a refund above the limit."""
    with transaction.atomic():
        refund = _locked(refund_id)
        _authorise(actor, refund.group)
        if refund.status != RefundStatus.REQUESTED:
            raise Conflict(
                ErrorCode.INVALID, f"Refund {refund.pk} is {refund.get_status_display()}."
            )
        if refund.requested_by_id == actor.pk:
            raise NotPermitted("A second person approves a refund: not the one who asked.")
        refund.status = RefundStatus.APPROVED if approve else RefundStatus.REJECTED
        refund.decided_by, refund.decided_at = actor, timezone.now()
        refund.save(update_fields=["status", "decided_by", "decided_at"])
        if approve:
            _post_approval(actor, refund)
        elif refund.variance_id is not None:
            # Back into suspense, to be applied or written off instead.
            Variance.objects.filter(pk=refund.variance_id).update(
                status="suspense", resolved_by=None, resolved_at=None
            )
        return refund


EXPORT_COLUMNS = ["refund", "payee", "group_number", "amount", "currency", "reason", "approved"]


def refunds_export(*, actor: User, group: EmployerGroup | None = None) -> tuple[bytes, int]:
    """Approved refunds as a CSV payment instruction; each is paid (refunds payable to
    cash) and marked exported, so it is never paid twice. Members are not named: the
    payee is the employer."""
    rows: list[list[str]] = []
    with transaction.atomic():
        pending = Refund.objects.select_for_update(of=("self",)).select_related("group__market")
        pending = pending.filter(status=RefundStatus.APPROVED)
        if group is not None:
            pending = pending.filter(group=group)
        for refund in pending.order_by("pk"):
            _authorise(actor, refund.group)
            journal_post(
                group=refund.group,
                lines=[
                    Line(Account.REFUNDS_PAYABLE, debit=refund.amount, member_id=refund.member_id),
                    Line(Account.CASH, credit=refund.amount),
                ],
                memo=f"refund {refund.pk} paid", source="refund_paid",
                source_id=str(refund.pk), created_by=actor,
            )  # fmt: skip
            refund.status, refund.exported_at = RefundStatus.EXPORTED, timezone.now()
            refund.save(update_fields=["status", "exported_at"])
            rows.append(
                [str(refund.pk), refund.group.legal_name, refund.group.group_number,
                 str(refund.amount), "USD", refund.reason,
                 refund.decided_at.date().isoformat() if refund.decided_at else ""]
            )  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode(), len(rows)


def _billed_since(member: Member, since: date) -> dict[date, Decimal]:
    """Premium billed per period starting on or after `since`, less what earlier
    reversals already took back."""
    billed: dict[date, Decimal] = defaultdict(Decimal)
    for period, amount in (
        ListBillLine.objects.filter(member=member, period_start__gte=since)
        .values_list("period_start")
        .annotate(total=Sum("amount"))
    ):
        billed[period] += amount
    for period, credit in (
        JournalLine.objects.filter(
            member=member, account=Account.PREMIUM_RECEIVABLE, period_start__gte=since,
            entry__source="reversal",
        )
        .values_list("period_start")
        .annotate(total=Sum("credit") - Sum("debit"))
    ):  # fmt: skip
        billed[period] -= credit
    return {period: amount.quantize(CENT) for period, amount in billed.items() if amount > 0}


def premium_reverse(
    *, actor: User, member: Member, since: date, reason: str, new_premium: Decimal | None = None
) -> tuple[Decimal, Refund | None]:
    """Reverse premium billed since a retroactive termination (or, with `new_premium`
    per period, down to a decreased premium); what was already paid for those periods
    becomes a refund. Returns the amount reversed and the refund, if any."""
    group = member.group
    _authorise(actor, group)
    if not reason.strip():
        raise InvalidInput(ErrorCode.INVALID, "Give a reason.", field="reason")
    if new_premium is not None and new_premium < 0:
        raise InvalidInput(ErrorCode.INVALID, "A premium cannot be negative.", field="new_premium")
    with transaction.atomic():
        billed = _billed_since(member, since)
        cut = {p: a - (new_premium or ZERO) for p, a in billed.items() if a > (new_premium or ZERO)}
        if not cut:
            raise Conflict(ErrorCode.INVALID, f"Nothing billed to reverse since {since}.")
        total = sum(cut.values(), ZERO)
        lines = [Line(Account.PREMIUM_INCOME, debit=total, member_id=member.pk)] + [
            Line(Account.PREMIUM_RECEIVABLE, credit=a, member_id=member.pk, period_start=p)
            for p, a in sorted(cut.items())
        ]
        journal_post(
            group=group, lines=lines, memo=f"premium reversed since {since}: {reason}"[:200],
            source="reversal", source_id=str(member.pk), created_by=actor,
        )  # fmt: skip
        list_bills_refresh(group=group, periods=cut)
        credits = _credits(member, list(cut))
        refund = None
        if credits:
            refund = refund_request(
                actor=actor, group=group, amount=sum(credits.values(), ZERO),
                reason=f"premium paid after {since}: {reason}",
                from_account=Account.PREMIUM_RECEIVABLE, member_id=member.pk,
                breakdown={p.isoformat(): str(a) for p, a in credits.items()},
            )  # fmt: skip
    return total, refund


def _credits(member: Member, periods: list[date]) -> dict[date, Decimal]:
    """Periods where the member's receivable is now a credit: premium paid, then reversed,
    less any refund already taken from them."""
    rows = (
        JournalLine.objects.filter(
            member=member, account=Account.PREMIUM_RECEIVABLE, period_start__in=periods
        )
        .values_list("period_start")
        .annotate(net=Sum("debit") - Sum("credit"))
    )
    # SQLite sums lose the scale: money is put back to cents.
    credits = {period: (-net).quantize(CENT) for period, net in rows if net < 0}
    for breakdown in Refund.objects.filter(
        member=member, status=RefundStatus.REQUESTED, from_account=Account.PREMIUM_RECEIVABLE
    ).values_list("breakdown", flat=True):
        for period, amount in breakdown.items():
            if period and date.fromisoformat(period) in credits:
                credits[date.fromisoformat(period)] -= Decimal(amount)
    return {period: amount for period, amount in credits.items() if amount > 0}

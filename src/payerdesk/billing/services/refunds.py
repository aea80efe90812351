"""Refunds and premium reversals.

A refund is requested from suspense (a variance) or from premium paid for periods a
retroactive change reversed. Above `settings.BILLING_REFUND_APPROVAL_LIMIT` a second
person approves it (never the requester); on approval the money moves to refunds
payable, and the export (a CSV payment instruction, or a NACHA file for the bank)
pays it out of cash.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from payerdesk.billing.checks import refund_approval_limit
from payerdesk.billing.formats import nacha
from payerdesk.billing.models import (
    Account,
    BillingSchedule,
    JournalLine,
    LineKind,
    ListBill,
    ListBillLine,
    Refund,
    RefundStatus,
    Variance,
)
from payerdesk.billing.services.ledger import Line, journal_post
from payerdesk.billing.services.reconciliation import signed_line
from payerdesk.billing.services.status import list_bills_refresh
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, to_cents
from payerdesk.core.permissions import require_market_permission
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup, Member

PERMISSION = "billing.change_refund"


def approval_limit() -> Decimal:
    return refund_approval_limit(settings.BILLING_REFUND_APPROVAL_LIMIT)


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
    periods = [date.fromisoformat(period) for period in refund.breakdown if period]
    list_bills_refresh(group=refund.group, periods=periods)


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


def _approved(actor: User, group: EmployerGroup | None) -> list[Refund]:
    """Approved refunds not yet paid, locked, each checked against the actor."""
    pending = Refund.objects.select_for_update(of=("self",)).select_related("group__market")
    pending = pending.filter(status=RefundStatus.APPROVED)
    if group is not None:
        pending = pending.filter(group=group)
    found = list(pending.order_by("pk"))
    for refund in found:
        _authorise(actor, refund.group)
    return found


def _pay(actor: User, refund: Refund) -> None:
    """Refunds payable to cash, and marked exported, so it is never paid twice."""
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


def refunds_export(*, actor: User, group: EmployerGroup | None = None) -> tuple[bytes, int]:
    """Approved refunds as a CSV payment instruction; each is paid (refunds payable to
    cash) and marked exported, so it is never paid twice. Members are not named: the
    payee is the employer."""
    rows: list[list[str]] = []
    with transaction.atomic():
        for refund in _approved(actor, group):
            _pay(actor, refund)
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


def ach_origin() -> nacha.Origin:
    return nacha.Origin(
        odfi_routing=settings.BILLING_ACH_ODFI_ROUTING,
        odfi_name=settings.BILLING_ACH_ODFI_NAME,
        company_name=settings.BILLING_ACH_COMPANY_NAME,
        company_id=settings.BILLING_ACH_COMPANY_ID,
    )


def _credit(refund: Refund) -> nacha.Credit:
    schedule = BillingSchedule.objects.filter(group=refund.group).first()
    label = f"refund {refund.pk} (group {refund.group.group_number})"
    if schedule is None or not schedule.refund_routing_number:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"{label}: the group's billing schedule has no bank account for refunds.",
            field="refund_routing_number",
        )
    return nacha.Credit(
        routing=schedule.refund_routing_number, account=schedule.refund_account_number,
        account_type=schedule.refund_account_type, amount=refund.amount,
        receiver_id=f"REFUND {refund.pk}", receiver_name=refund.group.legal_name, label=label,
    )  # fmt: skip


def refunds_export_ach(
    *,
    actor: User,
    effective_date: date,
    sec_code: str = "CCD",
    group: EmployerGroup | None = None,
) -> tuple[bytes, int]:
    """Approved refunds as one NACHA batch of credits to the employers' accounts (CCD:
    the payee is a company; PPD for a consumer). Every refund is checked first: one
    with a bad or missing bank account is named and nothing is paid or marked."""
    if effective_date < timezone.localdate():
        raise InvalidInput(
            ErrorCode.INVALID, f"The effective date {effective_date} is in the past.",
            field="effective_date",
        )  # fmt: skip
    with transaction.atomic():
        pending = _approved(actor, group)
        if not pending:
            raise Conflict(ErrorCode.INVALID, "No approved refund is waiting to be paid.")
        credits = [_credit(refund) for refund in pending]
        try:
            content = nacha.build(
                origin=ach_origin(), credits=credits, sec_code=sec_code,
                effective_date=effective_date, created_at=timezone.localtime(),
            )  # fmt: skip
        except nacha.NachaError as error:
            field = "sec_code" if "SEC code" in str(error) else "refund"
            raise InvalidInput(ErrorCode.INVALID, str(error), field=field) from None
        for refund in pending:
            _pay(actor, refund)
    return content, len(pending)


PlanPeriod = tuple[int, date]  # (plan id, period start)


def _billed_since(member: Member, since: date) -> dict[PlanPeriod, tuple[Decimal, int, date]]:
    """Premium billed per plan and period starting on or after `since`, net of every
    adjustment (earlier reversals included): amount, a coverage id, the period end."""
    rows = (
        ListBillLine.objects.filter(member=member, period_start__gte=since)
        .values_list("coverage__plan_id", "period_start")
        .annotate(total=Sum("amount"), coverage=Max("coverage_id"), end=Max("period_end"))
        .order_by()
    )
    return {
        (plan, start): (to_cents(total), coverage, end)
        for plan, start, total, coverage, end in rows
        if total > 0
    }


def _cuts(
    member: Member, billed: dict[PlanPeriod, tuple[Decimal, int, date]], new: Decimal | None
) -> dict[PlanPeriod, Decimal]:
    """What to take back per plan and period. A termination must already be in the
    coverage history, or the next list bill would bill it again as a retroactive add."""
    if new is None:
        for plan, start in billed:
            if group_selectors.member_covered(member=member, on=start, plan_id=plan):
                raise Conflict(
                    ErrorCode.INVALID,
                    f"{member.member_id} is still covered on {start}: end the coverage "
                    "first, then reverse its premium.",
                )
        return {key: amount for key, (amount, _, _) in billed.items()}
    periods = [start for _, start in billed]
    if len(periods) != len(set(periods)):
        raise InvalidInput(
            ErrorCode.INVALID,
            f"{member.member_id} has several coverages billed: a decrease is reversed "
            "through the next list bill, from the coverage history.",
            field="new_premium",
        )
    return {key: amount - new for key, (amount, _, _) in billed.items() if amount > new}


def _adjust(
    member: Member,
    billed: dict[PlanPeriod, tuple[Decimal, int, date]],
    cuts: dict[PlanPeriod, Decimal],
    reason: str,
) -> None:
    """The reversal as adjustment lines on the group's latest bill, for the periods they
    correct, so the list bill's own retroactive adjustments do not take it back twice."""
    latest = ListBill.objects.filter(group=member.group).order_by("-period_start").first()
    assert latest is not None  # something was billed, so there is a bill
    ListBillLine.objects.bulk_create(
        ListBillLine(
            bill=latest, member=member, coverage_id=billed[key][1], period_start=key[1],
            period_end=billed[key][2], kind=LineKind.ADJUSTMENT, amount=-cut,
            note=f"Premium reversed: {reason}"[:200],
        )
        for key, cut in cuts.items()
    )  # fmt: skip


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
        cuts = _cuts(member, billed, new_premium)
        if not cuts:
            raise Conflict(ErrorCode.INVALID, f"Nothing billed to reverse since {since}.")
        _adjust(member, billed, cuts, reason.strip())
        by_period: dict[date, Decimal] = defaultdict(Decimal)
        for (_, start), cut in cuts.items():
            by_period[start] += cut
        total = sum(by_period.values(), ZERO)
        lines = [Line(Account.PREMIUM_INCOME, debit=total, member_id=member.pk)] + [
            Line(Account.PREMIUM_RECEIVABLE, credit=a, member_id=member.pk, period_start=p)
            for p, a in sorted(by_period.items())
        ]
        journal_post(
            group=group, lines=lines, memo=f"premium reversed since {since}: {reason}"[:200],
            source="reversal", source_id=str(member.pk), created_by=actor,
        )  # fmt: skip
        credits = _credits(member, list(by_period))
        refund = None
        if credits:
            refund = refund_request(
                actor=actor, group=group, amount=sum(credits.values(), ZERO),
                reason=f"premium paid after {since}: {reason}",
                from_account=Account.PREMIUM_RECEIVABLE, member_id=member.pk,
                breakdown={p.isoformat(): str(a) for p, a in credits.items()},
            )  # fmt: skip
        list_bills_refresh(group=group, periods=by_period)
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
    credits = {period: to_cents(-net) for period, net in rows if net < 0}
    for breakdown in Refund.objects.filter(
        member=member, status=RefundStatus.REQUESTED, from_account=Account.PREMIUM_RECEIVABLE
    ).values_list("breakdown", flat=True):
        for period, amount in breakdown.items():
            if period and date.fromisoformat(period) in credits:
                credits[date.fromisoformat(period)] -= Decimal(amount)
    return {period: amount for period, amount in credits.items() if amount > 0}

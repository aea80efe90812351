"""List bills: one line per member per coverage for a period, plus adjustments that
carry any retroactive change (add, termination, rate change) into the next bill.

Generation is set-based: coverages are read as plain tuples, lines are written with
`bulk_create` in chunks, and the bill posts one journal entry (premium receivable per
member and period against premium income).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F, Max, Sum

from payerdesk.billing import rules, schedules
from payerdesk.billing.models import (
    Account,
    BillingSchedule,
    Delinquency,
    DelinquencyStage,
    LineKind,
    ListBill,
    ListBillLine,
    ListBillStatus,
)
from payerdesk.billing.services.ledger import SqlParam, journal_post_per_member
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.core.money import ZERO, to_cents
from payerdesk.core.permissions import require_market_permission
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

CHUNK = 5000
# id, member id, plan id, monthly premium: a coverage in force on a period's first day
CoverageRow = tuple[int, int, int, Decimal]
Key = tuple[int, int, date]  # member id, plan id, period start


@dataclass(frozen=True)
class Generated:
    bill: ListBill
    created: bool  # False: the bill for that period already existed, nothing changed


def _chunks(rows: Iterable[ListBillLine]) -> Iterator[list[ListBillLine]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _require(actor: User | None, group: EmployerGroup, perm: str) -> None:
    if actor is not None:
        require_market_permission(actor, perm, group.market)


def billing_schedule_set(
    *,
    actor: User | None,
    group: EmployerGroup,
    mode: str,
    first_period_start: date,
    bill_day: int = 1,
    lead_days: int = 15,
    tolerance: Decimal = ZERO,
    refund_routing_number: str = "",
    refund_account_number: str = "",
    refund_account_type: str = "checking",
) -> BillingSchedule:
    """Create or change a group's billing schedule, with the employer's bank account
    for refunds paid by ACH (both or neither; the routing number's check digit is
    verified). The grace period is the plan designs' (`PlanDesign.grace_period_days`)."""
    _require(actor, group, "billing.change_billingschedule")
    if mode not in schedules.PERIODS_PER_YEAR:
        raise InvalidInput(ErrorCode.INVALID, f"Unknown billing mode {mode!r}.", field="mode")
    checks = (
        (first_period_start.day <= 28, "first_period_start", "Start on a day from 1 to 28."),
        (1 <= bill_day <= 28, "bill_day", "The bill day is from 1 to 28."),
        (0 <= lead_days <= 90, "lead_days", "Lead days are from 0 to 90."),
        (tolerance >= 0, "tolerance", "The tolerance cannot be negative."),
    )
    for ok, field, message in checks:
        if not ok:
            raise InvalidInput(ErrorCode.INVALID, message, field=field)
    routing, account = _refund_account(
        refund_routing_number, refund_account_number, refund_account_type
    )
    schedule, _ = BillingSchedule.objects.update_or_create(
        group=group,
        defaults={
            "mode": mode,
            "first_period_start": first_period_start,
            "bill_day": bill_day,
            "lead_days": lead_days,
            "tolerance": tolerance,
            "refund_routing_number": routing,
            "refund_account_number": account,
            "refund_account_type": refund_account_type,
        },
    )
    return schedule


def _refund_account(routing: str, account: str, kind: str) -> tuple[str, str]:
    from payerdesk.billing.formats import nacha

    routing, account = routing.strip(), account.strip().replace(" ", "")
    if kind not in ("checking", "savings"):
        raise InvalidInput(
            ErrorCode.INVALID, f"Account type {kind!r} is not checking or savings.",
            field="refund_account_type",
        )  # fmt: skip
    if bool(routing) != bool(account):
        missing = "refund_account_number" if routing else "refund_routing_number"
        raise InvalidInput(
            ErrorCode.INVALID, "Give both the routing and the account number, or neither.",
            field=missing,
        )  # fmt: skip
    if routing:
        problem = nacha.routing_problem(routing) or nacha.account_problem(account)
        if problem:
            field = "refund_routing_number" if "routing" in problem else "refund_account_number"
            raise InvalidInput(ErrorCode.INVALID, problem, field=field)
    return routing, account


def schedule_of(group: EmployerGroup) -> BillingSchedule:
    schedule = BillingSchedule.objects.filter(group=group).first()
    if schedule is None:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"Group {group.group_number} has no billing schedule: set one first.",
            field="group",
        )
    return schedule


def period_for(schedule: BillingSchedule, day: date) -> schedules.Period:
    return schedules.period_containing(schedule.mode, schedule.first_period_start, day)


def periods_after(schedule: BillingSchedule, last_end: date, today: date) -> list[schedules.Period]:
    """Periods after `last_end` that have started by `today`."""
    first = last_end + timedelta(days=1)
    return schedules.periods_between(schedule.mode, schedule.first_period_start, first, today)


def list_bill_generate(
    *,
    actor: User | None,
    group: EmployerGroup,
    period_start: date,
    issued_on: date | None = None,
) -> Generated:
    """The group's list bill for the period holding `period_start`; generated once.

    `actor` None: the scheduled job. `issued_on`: a late bill (a reinstated group's
    missed periods) is dated and due no earlier than that day. Refused for a cancelled
    or terminated group and for a period before the schedule starts.
    """
    _require(actor, group, "billing.add_listbill")
    schedule = schedule_of(group)
    if period_start < schedule.first_period_start:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"Billing for {group.group_number} starts {schedule.first_period_start}.",
            field="period",
        )
    period = period_for(schedule, period_start)
    with transaction.atomic():
        # One generator per group at a time: the second waits, then finds the bill.
        BillingSchedule.objects.select_for_update().filter(pk=schedule.pk).first()
        existing = ListBill.objects.filter(group=group, period_start=period.start).first()
        if existing is not None:
            return Generated(existing, created=False)
        group.refresh_from_db(fields=["status"])
        if group_selectors.group_ended(group):
            raise Conflict(
                ErrorCode.INVALID,
                f"Group {group.group_number} is {group.get_status_display().lower()}: "
                "no new bills.",
                field="group",
            )
        bill = _generate(actor, group, schedule, period, issued_on)
    return Generated(bill, created=True)


def _generate(
    actor: User | None,
    group: EmployerGroup,
    schedule: BillingSchedule,
    period: schedules.Period,
    issued_on: date | None,
) -> ListBill:
    bill_date, due_date = rules.bill_dates(
        period, bill_day=schedule.bill_day, lead_days=schedule.lead_days
    )
    if issued_on is not None:
        bill_date, due_date = max(bill_date, issued_on), max(due_date, issued_on)
    bill = ListBill.objects.create(
        group=group, period_start=period.start, period_end=period.end, bill_date=bill_date,
        due_date=due_date, total=ZERO, generated_by=actor,
    )  # fmt: skip
    _insert_premium_lines(bill, schedule, period)
    if ListBill.objects.filter(group=group, period_start__lt=period.start).exists():
        adjustments = _adjustment_lines(bill, schedule)
        for chunk in _chunks(adjustments):
            ListBillLine.objects.bulk_create(chunk)
    total = bill.lines.aggregate(total=Sum("amount"))["total"] or ZERO
    bill.total = to_cents(total)
    bill.save(update_fields=["total"])
    _post(bill, actor)
    return bill


def _insert_premium_lines(
    bill: ListBill, schedule: BillingSchedule, period: schedules.Period
) -> None:
    """One premium line per coverage in force on the period's first day that owes
    something for it, in one INSERT ... SELECT from groups' in-force QuerySet (as a
    subquery: the rule of "in force" stays groups' own): the few distinct monthly rates
    are turned into this period's deduction in Python (`schedules.deduction`) and joined
    in as a table of values. A coverage owing nothing (a dependent on a tier-rated plan,
    covered by the employee's tier premium) gets no line: the rates whose deduction is
    $0.00 are left out of the table."""
    in_force = group_selectors.coverages_in_force(group=bill.group_id, on=period.start)
    premiums = in_force.values_list("monthly_premium", flat=True).distinct().order_by()
    rates = [to_cents(Decimal(str(rate))) for rate in premiums]
    due = [(rate, schedules.deduction(rate, schedule.mode, period.index)) for rate in rates]
    due = [(rate, amount) for rate, amount in due if amount != ZERO]
    if not due:
        return
    # Named columns, so the statement below reads the subquery by name, not position.
    coverages = in_force.annotate(
        bill_subscriber=F("member__subscriber_id"), bill_member=F("member__member_id")
    ).values("id", "member_id", "plan_id", "monthly_premium", "bill_subscriber", "bill_member")
    sql, params = coverages.order_by().query.sql_with_params()
    rate_rows = " UNION ALL ".join(["SELECT %s AS premium, %s AS amount"] * len(due))
    rate_params: list[SqlParam] = []
    for rate, amount in due:
        rate_params += [rate, amount]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ListBillLine._meta.db_table} "  # noqa: S608 - SQL from the ORM
            "(bill_id, member_id, coverage_id, period_start, period_end, kind, amount, note) "
            f"SELECT %s, c.member_id, c.id, %s, %s, '{LineKind.PREMIUM}', r.amount, '' "
            f"FROM ({sql}) c JOIN ({rate_rows}) r ON r.premium = c.monthly_premium "
            "ORDER BY c.bill_subscriber, c.bill_member, c.plan_id",
            [bill.pk, period.start, period.end, *params, *rate_params],
        )


def _in_force_on(group: EmployerGroup, day: date) -> dict[tuple[int, int], CoverageRow]:
    """The group's coverages in force on `day`, by (member, plan)."""
    rows = (
        group_selectors.coverages_in_force(group=group, on=day)
        .order_by()
        .values_list("id", "member_id", "plan_id", "monthly_premium")
    )
    return {(row[1], row[2]): row for row in rows.iterator(chunk_size=CHUNK)}


def _adjustment_lines(bill: ListBill, schedule: BillingSchedule) -> Iterator[ListBillLine]:
    """What each earlier billed period should have been, from today's coverage history,
    minus what was billed for it: the difference, line by line."""
    earlier = list(
        ListBill.objects.filter(group=bill.group, period_start__lt=bill.period_start)
        .values_list("period_start", "period_end")
        .order_by("period_start")
    )
    if not earlier:
        return
    billed: dict[Key, tuple[Decimal, int]] = {
        # SQLite sums decimals as floats: back to the cent.
        (member, plan, start): (to_cents(amount), coverage)
        for member, plan, start, amount, coverage in ListBillLine.objects.filter(
            bill__group=bill.group, bill__period_start__lt=bill.period_start
        )
        .values_list("member_id", "coverage__plan_id", "period_start")
        .annotate(amount=Sum("amount"), coverage=Max("coverage_id"))
        .order_by()
    }
    for start, end in earlier:
        index = period_for(schedule, start).index
        for (member, plan), row in _in_force_on(bill.group, start).items():
            due = schedules.deduction(row[3], schedule.mode, index)
            was, _ = billed.pop((member, plan, start), (ZERO, 0))
            if due != was:
                yield _adjustment(bill, member, row[0], start, end, due, was)
    for (member, _plan, start), (was, coverage) in billed.items():
        # Billed, and not covered on the period's first day (any longer).
        if was != ZERO:
            end = next(e for s, e in earlier if s == start)
            yield _adjustment(bill, member, coverage, start, end, ZERO, was)


def _adjustment(
    bill: ListBill, member: int, coverage: int, start: date, end: date, due: Decimal, was: Decimal
) -> ListBillLine:
    if was == ZERO:
        note = f"Retroactive add: {start:%m/%d/%Y} not billed before"
    elif due == ZERO:
        note = f"Retroactive termination: {start:%m/%d/%Y} billed {was}, not covered"
    else:
        note = f"Rate change: {start:%m/%d/%Y} billed {was}, due {due}"
    return ListBillLine(
        bill=bill, member_id=member, coverage_id=coverage, period_start=start, period_end=end,
        kind=LineKind.ADJUSTMENT, amount=due - was, note=note,
    )  # fmt: skip


BILL_AMOUNTS_SQL = (
    "SELECT member_id, period_start, SUM(amount) AS amount FROM {table} "
    "WHERE bill_id = %s GROUP BY member_id, period_start"
)


def _post(bill: ListBill, actor: User | None) -> None:
    """Debit premium receivable per member and period (credit it for a net decrease),
    against premium income: one entry, written set-based."""
    journal_post_per_member(
        group=bill.group,
        account=Account.PREMIUM_RECEIVABLE,
        against=Account.PREMIUM_INCOME,
        amounts_sql=BILL_AMOUNTS_SQL.format(table=ListBillLine._meta.db_table),
        params=[bill.pk],
        memo=f"List bill {bill.period_start:%m/%d/%Y}-{bill.period_end:%m/%d/%Y}",
        source="list_bill",
        source_id=str(bill.pk),
        effective_date=bill.bill_date,
        created_by=actor,
    )


def list_bills_generate_due(*, today: date) -> list[Generated]:
    """Generate every bill whose bill date has come, for groups that are still billed:
    from the period of the group's last bill (its first period when it has none), so a
    period a missed run left unbilled is billed too, dated as it would have been. A
    lapsed group is billed until its cancellation date, as the daily review would have
    cancelled it then. Safe to run any number of times."""
    made = []
    schedules_due = BillingSchedule.objects.select_related("group", "group__market").exclude(
        group__in=group_selectors.groups_ended()
    )
    for schedule in schedules_due:
        group = schedule.group
        last = ListBill.objects.filter(group=group).order_by("-period_start").first()
        cancel_on = (
            Delinquency.objects.filter(
                group=group, member__isnull=True, stage=DelinquencyStage.LAPSED
            )
            .values_list("cancel_on", flat=True)
            .first()
        )
        for period in schedules.periods_between(
            schedule.mode,
            schedule.first_period_start,
            schedule.first_period_start if last is None else last.period_start,
            today + timedelta(days=schedule.lead_days),
        ):
            bill_date, _ = rules.bill_dates(
                period, bill_day=schedule.bill_day, lead_days=schedule.lead_days
            )
            if bill_date <= today and (cancel_on is None or bill_date < cancel_on):
                made.append(list_bill_generate(actor=None, group=group, period_start=period.start))
    return made


def list_bill_statuses_refresh(*, group: EmployerGroup) -> int:
    """Set each bill's status from what is left to pay on it (payments apply to the
    oldest bill first): open, partially paid or paid. A reconciled bill keeps its
    status: reconciliation owns it. Returns the number of bills changed."""
    from payerdesk.billing.selectors.listbills import bills_outstanding

    changed = 0
    with transaction.atomic():
        for item in bills_outstanding(group):
            bill = item.bill
            if bill.status == ListBillStatus.RECONCILED:
                continue
            if item.outstanding <= 0:
                status = ListBillStatus.PAID
            elif item.outstanding < item.billed:
                status = ListBillStatus.PARTIALLY_PAID
            else:
                status = ListBillStatus.OPEN
            if bill.status != status:
                ListBill.objects.filter(pk=bill.pk).update(status=status)
                changed += 1
    return changed

"""Terminating and reinstating coverage: one product, one member, or the whole group.

Rows are ended (or, when they had not started by the termination date, cancelled),
never deleted; a reinstatement opens a new, re-rated row from the day after the
coverage ended unless another date is given. Every row touched gets a `PolicyEvent`,
and a termination or reinstatement dated in the past records the premium difference
per period for billing.

Billing's delinquency job calls, for a group whose premium is unpaid past its grace
period::

    group_lapse(actor=None, group=group, lapsed_on=today)
    group_terminate(actor=None, group=group, termination_date=paid_through,
                    reason="nonpayment")
    group_reinstate(actor=None, group=group, reason="payment_received")

`termination_date` is the last covered day; the group is then "cancelled for
non-payment" (any other reason leaves it "terminated"). A lapsed group is still in
force: reinstating it before it is cancelled only makes it active again. For a member
whose own premium is unpaid, billing uses `member_terminate` / `member_reinstate` with
the same reasons.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.groups import rating, rerating
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    GroupStatus,
    Member,
    PlanDesign,
    PolicyEvent,
    ReinstatementReason,
    TerminationReason,
)
from payerdesk.groups.services import require_market_permission

Event = PolicyEvent.Event
STOPPED = (GroupStatus.TERMINATED, GroupStatus.CANCELLED, GroupStatus.LAPSED)


@dataclass
class Outcome:
    """What a termination or reinstatement did, row by row."""

    ended: list[Coverage] = field(default_factory=list)
    cancelled: list[Coverage] = field(default_factory=list)
    opened: list[Coverage] = field(default_factory=list)

    def extend(self, other: "Outcome") -> None:
        self.ended += other.ended
        self.cancelled += other.cancelled
        self.opened += other.opened


def _invalid(message: str, field_name: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field_name)


def _allowed(actor: User | None, group: EmployerGroup) -> None:
    """`actor` None: a trusted job (billing's delinquency run)."""
    if actor is not None:
        require_market_permission(actor, "groups.change_coverage", group.market)


def _reason(reason: str, choices: type[TerminationReason] | type[ReinstatementReason]) -> str:
    if reason not in choices.values:
        raise _invalid(
            f"{reason!r} is not a reason code; use {', '.join(choices.values)}.", "reason"
        )
    return reason


def _rows(member: Member, plan: PlanDesign) -> list[Coverage]:
    return list(
        member.coverages.filter(plan=plan)
        .exclude(status=CoverageStatus.CANCELLED)
        .select_related("plan", "member")
        .order_by("start_date")
    )


def _active_plans(member: Member) -> list[PlanDesign]:
    """The plans whose latest row for the member is still active."""
    plans = {row.plan_id: row.plan for row in member.coverages.select_related("plan")}
    return [plan for plan in plans.values() if _latest_is(member, plan, CoverageStatus.ACTIVE)]


def _latest_is(member: Member, plan: PlanDesign, status: str) -> bool:
    rows = _rows(member, plan)
    return bool(rows) and rows[-1].status == status


def _terminate_plan(
    actor: User | None,
    member: Member,
    plan: PlanDesign,
    last_day: date,
    reason: str,
    *,
    cancel_later: bool = False,
) -> Outcome:
    """`cancel_later`: a group's termination cancels coverage that had not started by
    its date; one member's termination dated before their coverage is a mistake."""
    rows = _rows(member, plan)
    if not rows or rows[-1].status != CoverageStatus.ACTIVE:
        ended = f" (it ended {rows[-1].end_date})" if rows else ""
        raise Conflict(
            ErrorCode.INVALID,
            f"Member {member.pk} has no {plan.name} coverage in force to terminate{ended}.",
            field="plan",
        )
    if last_day < rows[0].start_date and not cancel_later:
        raise _invalid(
            f"The termination date {last_day} is before the {plan.name} coverage "
            f"started ({rows[0].start_date}).",
            "termination_date",
        )
    outcome = Outcome()
    for row in rows:
        if row.end_date is not None and row.end_date <= last_day:
            continue  # history before the termination stays as it was
        was_end, first_dropped = row.end_date, max(row.start_date, last_day + timedelta(days=1))
        rerating.end_row(row, last_day)
        (outcome.cancelled if row.status == CoverageStatus.CANCELLED else outcome.ended).append(row)
        rerating.premium_changes_record(
            coverage=row,
            old_monthly=row.monthly_premium,
            new_monthly=rerating.ZERO,
            start=first_dropped,
            end=was_end,
            cause=f"Termination ({reason}) after {last_day}",
        )
        PolicyEvent.objects.create(
            group=member.group,
            member=member,
            coverage=row,
            event=Event.COVERAGE_TERMINATED,
            effective_date=last_day,
            reason=reason,
            actor=actor,
            data={"cancelled": row.status == CoverageStatus.CANCELLED},
        )
    return outcome


def _family(member: Member) -> list[Member]:
    """A member, and for an employee their dependents: they are covered through them."""
    return [member, *member.dependents.all()] if member.employee_id is None else [member]


def coverage_terminate(
    *, actor: User | None, coverage: Coverage, termination_date: date, reason: str
) -> Outcome:
    """End a member's coverage under one plan after `termination_date` (the last day
    covered); rows that had not started by then are cancelled."""
    _allowed(actor, coverage.member.group)
    _reason(reason, TerminationReason)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=coverage.member_id)
        return _terminate_plan(actor, member, coverage.plan, termination_date, reason)


def member_terminate(
    *,
    actor: User | None,
    member: Member,
    termination_date: date,
    reason: str,
    plan: PlanDesign | None = None,
) -> Outcome:
    """End a member's coverage (one plan, or all), an employee's dependents' with it."""
    _allowed(actor, member.group)
    _reason(reason, TerminationReason)
    if plan is not None and plan.group_id != member.group_id:
        raise _invalid(f"{plan.name} belongs to another group.", "plan")
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).get()
        outcome = Outcome()
        for person in _family(member):
            plans = [plan] if plan is not None else _active_plans(person)
            for each in plans:
                if person.pk != member.pk and not _latest_is(person, each, CoverageStatus.ACTIVE):
                    continue  # a dependent not covered under this plan
                # Premium never paid: coverage not yet started is cancelled.
                later = reason == TerminationReason.NONPAYMENT
                outcome.extend(
                    _terminate_plan(
                        actor, person, each, termination_date, reason, cancel_later=later
                    )
                )
        if not (outcome.ended or outcome.cancelled):
            raise Conflict(
                ErrorCode.INVALID,
                f"Member {member.pk} has no coverage in force to terminate.",
                field="plan",
            )
        return outcome


def group_terminate(
    *, actor: User | None, group: EmployerGroup, termination_date: date, reason: str
) -> Outcome:
    """End every member's coverage in the group after `termination_date` and mark the
    group terminated (cancelled, for non-payment). `actor` None for billing's job."""
    _allowed(actor, group)
    _reason(reason, TerminationReason)
    with transaction.atomic():
        group = EmployerGroup.objects.select_for_update().get(pk=group.pk)
        if group.status in (GroupStatus.TERMINATED, GroupStatus.CANCELLED):
            raise Conflict(
                ErrorCode.INVALID,
                f"Group {group.group_number} is already {group.get_status_display().lower()}.",
                field="group",
            )
        # Non-payment of the first premium: never in force, cancelled from the start.
        first_allowed = group.effective_date - timedelta(days=1 if reason == "nonpayment" else 0)
        if termination_date < first_allowed:
            raise _invalid(
                f"The termination date {termination_date} is before the group's "
                f"effective date {group.effective_date}.",
                "termination_date",
            )
        outcome = Outcome()
        for member in group.members.order_by("pk"):
            for plan in _active_plans(member):
                outcome.extend(
                    _terminate_plan(
                        actor, member, plan, termination_date, reason, cancel_later=True
                    )
                )
        group.status = GroupStatus.CANCELLED if reason == "nonpayment" else GroupStatus.TERMINATED
        group.save(update_fields=["status"])
        PolicyEvent.objects.create(
            group=group,
            event=Event.GROUP_TERMINATED,
            effective_date=termination_date,
            reason=reason,
            actor=actor,
            data={"coverages": [row.pk for row in outcome.ended + outcome.cancelled]},
        )
        return outcome


def group_lapse(*, actor: User | None, group: EmployerGroup, lapsed_on: date) -> EmployerGroup:
    """Premium is unpaid past the grace period: the group is lapsed. Its coverage stays
    in force until it is cancelled for non-payment (`group_terminate`) or the premium
    is paid (`group_reinstate`). `actor` None for billing's job."""
    _allowed(actor, group)
    with transaction.atomic():
        group = EmployerGroup.objects.select_for_update().get(pk=group.pk)
        if group.status != GroupStatus.ACTIVE:
            raise Conflict(
                ErrorCode.INVALID,
                f"Group {group.group_number} is {group.get_status_display().lower()}, "
                "not active: only an active group lapses.",
                field="group",
            )
        group.status = GroupStatus.LAPSED
        group.save(update_fields=["status"])
        PolicyEvent.objects.create(
            group=group,
            event=Event.GROUP_LAPSED,
            effective_date=lapsed_on,
            reason=TerminationReason.NONPAYMENT,
            actor=actor,
        )
        return group


def _restore_cancelled(actor: User | None, row: Coverage, reason: str) -> Coverage | None:
    """A coverage a termination cancelled before it started is restored as it was
    planned, from its own start, re-rated; None when the member has since been covered
    under the plan again."""
    member, plan = Member.objects.select_related("group").get(pk=row.member_id), row.plan
    if any(
        other.end_date is None or other.end_date >= row.start_date for other in _rows(member, plan)
    ):
        return None
    try:
        rated = rating.rate(
            plan, tier=row.tier, benefit=row.benefit_amount, birth_date=member.birth_date,
            tobacco=member.tobacco, start=row.start_date,
        )  # fmt: skip
    except rating.RatingError as error:
        raise _invalid(error.message, error.field) from None
    new = Coverage.objects.create(
        member=member, plan=plan, tier=row.tier, benefit_amount=row.benefit_amount,
        start_date=row.start_date, monthly_premium=rated.monthly_premium,
        rated_age=rated.age, rated_tobacco=rated.tobacco,
    )  # fmt: skip
    rerating.premium_changes_record(
        coverage=new, old_monthly=rerating.ZERO, new_monthly=new.monthly_premium,
        start=new.start_date, end=None, cause=f"Reinstatement ({reason}) from {new.start_date}",
    )  # fmt: skip
    PolicyEvent.objects.create(
        group=member.group, member=member, coverage=new, event=Event.COVERAGE_REINSTATED,
        effective_date=new.start_date, reason=reason, actor=actor, data={"after": row.pk},
    )  # fmt: skip
    return new


def _reinstate_row(actor: User | None, row: Coverage, reason: str, start: date | None) -> Coverage:
    """Open a re-rated row for a terminated coverage, from the day after it ended."""
    # Fresh: rated on what is true of the member now (tobacco status), not a cached copy.
    member, plan = Member.objects.select_related("group").get(pk=row.member_id), row.plan
    rows = _rows(member, plan)
    latest = rows[-1] if rows else row
    if latest.status != CoverageStatus.TERMINATED or latest.end_date is None:
        raise Conflict(
            ErrorCode.INVALID,
            f"The {plan.name} coverage of member {member.pk} is "
            "in force: only terminated coverage is reinstated.",
            field="coverage",
        )
    begin = start or latest.end_date + timedelta(days=1)
    if begin <= latest.end_date:
        raise _invalid(
            f"Reinstatement must start after the coverage ended ({latest.end_date}); "
            f"{begin} overlaps it.",
            "reinstatement_date",
        )
    try:
        rated = rating.rate(
            plan,
            tier=latest.tier,
            benefit=latest.benefit_amount,
            birth_date=member.birth_date,
            tobacco=member.tobacco,
            start=begin,
        )
    except rating.RatingError as error:
        raise _invalid(error.message, error.field) from None
    new = Coverage.objects.create(
        member=member,
        plan=plan,
        tier=latest.tier,
        benefit_amount=latest.benefit_amount,
        start_date=begin,
        monthly_premium=rated.monthly_premium,
        rated_age=rated.age,
        rated_tobacco=rated.tobacco,
    )
    rerating.premium_changes_record(
        coverage=new,
        old_monthly=rerating.ZERO,
        new_monthly=new.monthly_premium,
        start=begin,
        end=None,
        cause=f"Reinstatement ({reason}) from {begin}",
    )
    PolicyEvent.objects.create(
        group=member.group,
        member=member,
        coverage=new,
        event=Event.COVERAGE_REINSTATED,
        effective_date=begin,
        reason=reason,
        actor=actor,
        data={"after": latest.pk},
    )
    return new


def _group_in_force(group: EmployerGroup) -> None:
    if group.status in STOPPED:
        raise Conflict(
            ErrorCode.INVALID,
            f"Group {group.group_number} is "
            f"{group.get_status_display().lower()}: reinstate the group first.",
            field="group",
        )


def coverage_reinstate(
    *, actor: User | None, coverage: Coverage, reason: str, reinstatement_date: date | None = None
) -> Coverage:
    """Reinstate a terminated coverage, re-rated, from the day after it ended (or a
    later `reinstatement_date`, leaving a gap)."""
    _allowed(actor, coverage.member.group)
    _reason(reason, ReinstatementReason)
    _group_in_force(coverage.member.group)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=coverage.member_id).get()
        return _reinstate_row(actor, coverage, reason, reinstatement_date)


def member_reinstate(
    *,
    actor: User | None,
    member: Member,
    reason: str,
    plan: PlanDesign | None = None,
    reinstatement_date: date | None = None,
) -> Outcome:
    """Reinstate a member's terminated coverage (one plan, or all), and the dependents'
    coverage that ended with the employee's."""
    _allowed(actor, member.group)
    _reason(reason, ReinstatementReason)
    _group_in_force(member.group)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).get()
        latest = _terminated_latest(member, plan)
        if not latest:
            raise Conflict(
                ErrorCode.INVALID,
                f"Member {member.pk} has no terminated coverage to reinstate.",
                field="plan",
            )
        ended_on = {row.end_date for row in latest}
        rows = latest + [
            row
            for dep in _family(member)[1:]
            for row in _terminated_latest(dep, plan)
            if row.end_date in ended_on
        ]
        return Outcome(
            opened=[_reinstate_row(actor, row, reason, reinstatement_date) for row in rows]
        )


def _terminated_latest(member: Member, plan: PlanDesign | None) -> list[Coverage]:
    plans = {row.plan_id: row.plan for row in member.coverages.select_related("plan")}
    found = []
    for each in plans.values():
        if plan is not None and each.pk != plan.pk:
            continue
        rows = _rows(member, each)
        if rows and rows[-1].status == CoverageStatus.TERMINATED:
            found.append(rows[-1])
    return found


def group_reinstate(
    *, actor: User | None, group: EmployerGroup, reason: str, reinstatement_date: date | None = None
) -> Outcome:
    """Put a terminated group back in force and reinstate, re-rated, the coverage its
    termination ended, from the day after (no gap) unless a date is given."""
    _allowed(actor, group)
    _reason(reason, ReinstatementReason)
    with transaction.atomic():
        group = EmployerGroup.objects.select_for_update().get(pk=group.pk)
        if group.status not in STOPPED:
            raise Conflict(
                ErrorCode.INVALID,
                f"Group {group.group_number} is in force: only a terminated group is reinstated.",
                field="group",
            )
        # A lapsed group ended nothing: it is active again and its coverage goes on.
        ended = (
            None
            if group.status == GroupStatus.LAPSED
            else PolicyEvent.objects.filter(group=group, event=Event.GROUP_TERMINATED).last()
        )
        ids = ended.data.get("coverages", []) if ended else []
        outcome = Outcome()
        rows_ended = Coverage.objects.filter(pk__in=ids).select_related("member", "plan")
        for row in rows_ended.order_by("pk"):
            if row.status == CoverageStatus.CANCELLED:
                restored = _restore_cancelled(actor, row, reason)
                outcome.opened += [restored] if restored else []
                continue
            rows = _rows(row.member, row.plan)
            if rows and rows[-1].pk == row.pk and row.status == CoverageStatus.TERMINATED:
                outcome.opened.append(_reinstate_row(actor, row, reason, reinstatement_date))
        group.status = GroupStatus.ACTIVE
        group.save(update_fields=["status"])
        PolicyEvent.objects.create(
            group=group,
            event=Event.GROUP_REINSTATED,
            effective_date=min(row.start_date for row in outcome.opened)
            if outcome.opened
            else (ended.effective_date + timedelta(days=1) if ended else timezone.localdate()),
            reason=reason,
            actor=actor,
            data={"coverages": [row.pk for row in outcome.opened]},
        )
        return outcome

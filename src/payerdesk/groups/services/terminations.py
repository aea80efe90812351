"""Terminating and reinstating coverage: one product, one member, or the whole group.

Rows are ended (or, when they had not started by the termination date, cancelled),
never deleted; a reinstatement opens new, re-rated rows from the day after the
coverage ended unless another date is given, restoring what the termination cut: a
future-dated change it cancelled comes back from its own date (the row before it ends
the day before), and a dependent on a tier-rated plan is covered at the employee's tier
for nothing (the family rule, `rating.rate_member`; employees are reinstated first).
Every row touched gets a `PolicyEvent`,
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

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput
from payerdesk.core.models import User
from payerdesk.core.money import ZERO
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
from payerdesk.groups.rules import rating, rerating
from payerdesk.groups.selectors import end_before_termination

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
        permissions.require_market_permission(actor, "groups.change_coverage", group.market)


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


def _in_force_after(rows: list[Coverage], last_day: date) -> bool:
    """Whether a plan's rows (in start order) cover anything after `last_day`: the latest
    runs on, or is set to end later (a termination already scheduled, which an earlier
    one moves)."""
    return bool(rows) and rows[-1].runs_past(last_day)


def _plans_in_force_after(member: Member, last_day: date) -> list[PlanDesign]:
    plans = {row.plan_id: row.plan for row in member.coverages.select_related("plan")}
    return [plan for plan in plans.values() if _in_force_after(_rows(member, plan), last_day)]


def coverage_in_force_after(member: Member, last_day: date) -> bool:
    """Whether terminating the member after `last_day` would end anything: their own
    coverage, or (for an employee) a dependent's."""
    return any(_plans_in_force_after(person, last_day) for person in _family(member))


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
    if not _in_force_after(rows, last_day):
        ends = f" (it ends {rows[-1].end_date})" if rows else ""
        raise Conflict(
            ErrorCode.INVALID,
            f"Member {member.pk} has no {plan.name} coverage in force after {last_day} "
            f"to terminate{ends}.",
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
        if not row.runs_past(last_day):
            continue  # history before the termination stays as it was
        was_end, first_dropped = row.end_date, max(row.start_date, last_day + timedelta(days=1))
        rerating.end_row(row, last_day)
        (outcome.cancelled if row.status == CoverageStatus.CANCELLED else outcome.ended).append(row)
        rerating.premium_changes_record(
            coverage=row,
            old_monthly=row.monthly_premium,
            new_monthly=ZERO,
            start=first_dropped,
            end=was_end,
            cause=f"Termination ({reason}) after {last_day}",
        )
        termination_event(actor, member, row, last_day, reason, was_end).save()
    return outcome


def termination_event(
    actor: User | None, member: Member, row: Coverage, last_day: date, reason: str,
    was_end: date | None,
) -> PolicyEvent:  # fmt: skip
    """The record of `row`'s termination after `last_day`, unsaved (imports write theirs
    with the chunk). It keeps the end the row had before for a reinstatement
    (`selectors.end_before_termination`): a termination that was scheduled for later still
    holds once this one is undone."""
    return PolicyEvent(
        group_id=member.group_id,
        member=member,
        coverage=row,
        event=Event.COVERAGE_TERMINATED,
        effective_date=last_day,
        reason=reason,
        actor=actor,
        data={
            "cancelled": row.status == CoverageStatus.CANCELLED,
            "ends_before": was_end.isoformat() if was_end else None,
        },
    )


def reinstatement_event(
    actor: User | None, member: Member, row: Coverage, start: date, reason: str,
    data: dict[str, object],
) -> PolicyEvent:  # fmt: skip
    """The record of `row` in force again from `start`, unsaved: a new row (`data` names
    the one it follows) or, from an import, the terminated row reopened (`data`: its end)."""
    return PolicyEvent(
        group_id=member.group_id, member=member, coverage=row,
        event=Event.COVERAGE_REINSTATED, effective_date=start, reason=reason, actor=actor,
        data=data,
    )  # fmt: skip


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
            plans = [plan] if plan is not None else _plans_in_force_after(person, termination_date)
            for each in plans:
                if person.pk != member.pk and not _in_force_after(
                    _rows(person, each), termination_date
                ):
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
        first_allowed = group.effective_date - timedelta(
            days=1 if reason == TerminationReason.NONPAYMENT else 0
        )
        if termination_date < first_allowed:
            raise _invalid(
                f"The termination date {termination_date} is before the group's "
                f"effective date {group.effective_date}.",
                "termination_date",
            )
        outcome = Outcome()
        for member in group.members.order_by("pk"):
            for plan in _plans_in_force_after(member, termination_date):
                outcome.extend(
                    _terminate_plan(
                        actor, member, plan, termination_date, reason, cancel_later=True
                    )
                )
        group.status = (
            GroupStatus.CANCELLED
            if reason == TerminationReason.NONPAYMENT
            else GroupStatus.TERMINATED
        )
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


def _cancelled_with(member: Member, plan: PlanDesign, last_day: date) -> list[Coverage]:
    """The member's rows under `plan` that the termination after `last_day` cancelled
    because they had not started (a future-dated change), in start order; one per
    start date (the latest written, when a row was restored and cancelled again)."""
    ids = PolicyEvent.objects.filter(
        member=member, event=Event.COVERAGE_TERMINATED, effective_date=last_day,
        coverage__plan=plan, coverage__status=CoverageStatus.CANCELLED,
        coverage__start_date__gt=last_day,
    ).values_list("coverage_id", flat=True)  # fmt: skip
    by_start = {
        row.start_date: row
        for row in Coverage.objects.filter(pk__in=ids).select_related("plan").order_by("pk")
    }
    return [by_start[day] for day in sorted(by_start)]


def _rated(
    member: Member, plan: PlanDesign, row: Coverage, start: date, *, current: bool
) -> rating.Rated:
    """`row`'s terms re-rated from `start` under the family rule (`rate_member`): a
    dependent on a tier-rated plan at the employee's tier then, for nothing. `current`:
    the row that runs on open-ended is rated on what is true of the member now (tobacco
    status); a row that a later one replaces keeps the status it was rated with."""
    dependent_on_tier = member.employee_id is not None and rating.priced_on_employee(plan)
    try:
        return rating.rate_member(
            member, plan, tier="" if dependent_on_tier else row.tier,
            benefit=row.benefit_amount, start=start,
            tobacco=None if current else row.rated_tobacco,
        )  # fmt: skip
    except rating.RatingError as error:
        raise _invalid(error.message, error.field) from None


def _reinstate_history(
    actor: User | None,
    member: Member,
    plan: PlanDesign,
    latest: Coverage | None,
    later: list[Coverage],
    reason: str,
    begin: date,
) -> list[Coverage]:
    """Open re-rated rows from `begin` that restore the history a termination cut:
    `latest` (the row it ended, None when everything had yet to start) until the first
    of `later` (the rows it cancelled, in start order), each of those from its own start
    (or `begin`, when later) to the day before the next one; the last runs on
    open-ended, or to the end a termination scheduled before this one had set. A row
    wholly before `begin` is left out. Call for an employee before
    their dependents: a dependent on a tier-rated plan takes the employee's tier."""
    pieces = ([latest] if latest is not None else []) + later
    opened: list[Coverage] = []
    for n, piece in enumerate(pieces):
        start = max(piece.start_date, begin)
        following = pieces[n + 1].start_date if n + 1 < len(pieces) else None
        end = (
            following - timedelta(days=1)
            if following is not None
            else end_before_termination(piece)
        )
        if end is not None and end < start:
            continue  # replaced, or set to end, before the reinstatement starts
        rated = _rated(member, plan, piece, start, current=following is None)
        new = Coverage.objects.create(
            member=member, plan=plan, tier=rated.tier, benefit_amount=piece.benefit_amount,
            start_date=start, end_date=end,
            status=CoverageStatus.ACTIVE if end is None else CoverageStatus.TERMINATED,
            monthly_premium=rated.monthly_premium, rated_age=rated.age,
            rated_tobacco=rated.tobacco,
        )  # fmt: skip
        rerating.premium_changes_record(
            coverage=new, old_monthly=ZERO, new_monthly=new.monthly_premium,
            start=start, end=end, cause=f"Reinstatement ({reason}) from {start}",
        )  # fmt: skip
        reinstatement_event(actor, member, new, start, reason, {"after": piece.pk}).save()
        opened.append(new)
    return opened


def _reinstate_row(
    actor: User | None, row: Coverage, reason: str, start: date | None
) -> list[Coverage]:
    """Open re-rated rows for a terminated coverage from the day after it ended, with
    the future-dated changes its termination cancelled back from their own dates."""
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
    later = _cancelled_with(member, plan, latest.end_date)
    return _reinstate_history(actor, member, plan, latest, later, reason, begin)


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
    later `reinstatement_date`, leaving a gap), with the future-dated changes the
    termination cancelled back from their own dates. Returns the row in force from the
    reinstatement date."""
    _allowed(actor, coverage.member.group)
    _reason(reason, ReinstatementReason)
    _group_in_force(coverage.member.group)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=coverage.member_id).get()
        return _reinstate_row(actor, coverage, reason, reinstatement_date)[0]


@dataclass(frozen=True)
class _Ended:
    """One plan of a member as a termination left it: `latest`, the row it ended (None
    when nothing under the plan had started), and `later`, the rows it cancelled."""

    plan: PlanDesign
    last_day: date
    latest: Coverage | None
    later: list[Coverage]


def _ended_plans(member: Member, plan: PlanDesign | None) -> list[_Ended]:
    """The member's plans (one, or all) whose coverage a termination ended or
    cancelled: the latest row is terminated, or every row was cancelled (the day of
    that termination is then its event's)."""
    plans = {row.plan_id: row.plan for row in member.coverages.select_related("plan")}
    found = []
    for each in plans.values():
        if plan is not None and each.pk != plan.pk:
            continue
        rows = _rows(member, each)
        if rows and rows[-1].status == CoverageStatus.TERMINATED and rows[-1].end_date:
            last_day = rows[-1].end_date
            found.append(_Ended(each, last_day, rows[-1], _cancelled_with(member, each, last_day)))
        elif not rows:
            event = (
                PolicyEvent.objects.filter(
                    member=member, coverage__plan=each, event=Event.COVERAGE_TERMINATED
                )
                .order_by("at", "pk")
                .last()
            )
            later = _cancelled_with(member, each, event.effective_date) if event else []
            if event is not None and later:
                found.append(_Ended(each, event.effective_date, None, later))
    return found


def _begin(ended: _Ended, start: date | None) -> date:
    if ended.latest is None:
        return start or ended.later[0].start_date
    begin = start or ended.last_day + timedelta(days=1)
    if begin <= ended.last_day:
        raise _invalid(
            f"Reinstatement must start after the coverage ended ({ended.last_day}); "
            f"{begin} overlaps it.",
            "reinstatement_date",
        )
    return begin


def member_reinstate(
    *,
    actor: User | None,
    member: Member,
    reason: str,
    plan: PlanDesign | None = None,
    reinstatement_date: date | None = None,
) -> Outcome:
    """Reinstate a member's terminated coverage (one plan, or all), and the dependents'
    coverage that ended with the employee's: the history the termination cut comes
    back (future-dated changes from their own dates; coverage that had not started, as
    planned), the employee's rows first so that a dependent on a tier-rated plan is
    covered at the employee's tier, for nothing."""
    _allowed(actor, member.group)
    _reason(reason, ReinstatementReason)
    _group_in_force(member.group)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).get()
        own = _ended_plans(member, plan)
        # Coverage that had not started comes back with the termination the others
        # ended in (or, when that is all there is, the latest one).
        ended_on = {each.last_day for each in own if each.latest is not None}
        if not ended_on and own:
            ended_on = {max(each.last_day for each in own)}
        own = [each for each in own if each.last_day in ended_on]
        if not own:
            raise Conflict(
                ErrorCode.INVALID,
                f"Member {member.pk} has no terminated coverage to reinstate.",
                field="plan",
            )
        people = [(member, own)] + [
            (dep, [each for each in _ended_plans(dep, plan) if each.last_day in ended_on])
            for dep in _family(member)[1:]
        ]
        outcome = Outcome()
        for person, plans in people:
            for each in plans:
                outcome.opened += _reinstate_history(
                    actor, person, each.plan, each.latest, each.later, reason,
                    _begin(each, reinstatement_date),
                )  # fmt: skip
        return outcome


def _group_ended(ids: list[int]) -> list[tuple[Member, _Ended]]:
    """What a group termination (the coverage ids it recorded) did to each member's
    plan, employees before their dependents; a plan the member has since been covered
    under again is left out."""
    touched: dict[tuple[int, int], list[Coverage]] = defaultdict(list)
    rows = Coverage.objects.filter(pk__in=ids).select_related("member__group", "plan")
    for row in rows.order_by("start_date", "pk"):
        touched[(row.member_id, row.plan_id)].append(row)
    found = []
    for cut in touched.values():
        member, plan = cut[0].member, cut[0].plan
        rows_now = _rows(member, plan)
        ended = [row for row in cut if row.status == CoverageStatus.TERMINATED]
        later = [row for row in cut if row.status == CoverageStatus.CANCELLED]
        if ended:
            latest = ended[-1]
            if rows_now[-1].pk != latest.pk or latest.end_date is None:
                continue  # reinstated since
            later = [row for row in later if row.start_date > latest.end_date]
            found.append((member, _Ended(plan, latest.end_date, latest, later)))
        elif not any(row.end_date is None or row.end_date >= later[0].start_date
                     for row in rows_now):  # fmt: skip
            found.append((member, _Ended(plan, later[0].start_date, None, later)))
    found.sort(key=lambda item: (item[0].employee_id is not None, item[0].pk, item[1].plan.pk))
    return found


def group_reinstate(
    *, actor: User | None, group: EmployerGroup, reason: str, reinstatement_date: date | None = None
) -> Outcome:
    """Put a terminated group back in force and reinstate, re-rated, the coverage its
    termination ended, from the day after (no gap) unless a date is given: the history
    it cut comes back as `member_reinstate` restores it."""
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
        for member, each in _group_ended(ids):
            outcome.opened += _reinstate_history(
                actor, member, each.plan, each.latest, each.later, reason,
                _begin(each, reinstatement_date),
            )  # fmt: skip
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

"""Policy changes: requested, decided by the underwriting rules, applied and re-rated.

A change the rules allow is applied at once (re-rated from the plan design); one they
refer, and every change an employer submits through the portal, waits in the
underwriting queue as a work item until an underwriter approves or declines it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import Queue, SlaPolicy, User, WorkItem
from payerdesk.core.money import ZERO
from payerdesk.core.roles import Role, group_name, has_role
from payerdesk.core.services import work_item_close, work_item_create
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    ChangeChannel,
    ChangeStatus,
    ChangeType,
    Coverage,
    CoverageStatus,
    EmployerGroup,
    Member,
    PlanDesign,
    PolicyChange,
    PolicyEvent,
    Product,
    Relationship,
    RuleOutcome,
    UnderwritingRuleSet,
)
from payerdesk.groups.rules import rating, rerating, underwriting
from payerdesk.groups.work import POLICY_CHANGE

UNDERWRITING_QUEUE = "underwriting"
PORTAL_RULE = "Changes submitted through the employer portal are reviewed by underwriting"
# Which tiers cover a dependent of each relationship.
TIERS_COVERING = rating.TIERS_COVERING
DEPENDENT_FIELDS = ("member_id", "first_name", "last_name", "birth_date", "sex", "relationship")
PLAN_CHANGES = {
    ChangeType.BENEFIT_ADD,
    ChangeType.BENEFIT_DELETE,
    ChangeType.BENEFIT_INCREASE,
    ChangeType.BENEFIT_DECREASE,
    ChangeType.DEPENDENT_ADD,
    ChangeType.DEPENDENT_REMOVE,
}


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field)


@dataclass
class Effect:
    """One coverage row the change ends (`old`), opens (`plan` with `premium`), or both.
    `new_dependent`: the row opened is the dependent's that the change adds."""

    old: Coverage | None
    plan: PlanDesign | None = None
    tier: str = ""
    benefit: Decimal | None = None
    tobacco: bool = False
    rated: rating.Rated | None = None
    new_dependent: bool = False

    @property
    def old_premium(self) -> Decimal:
        return self.old.monthly_premium if self.old else ZERO

    @property
    def new_premium(self) -> Decimal:
        return self.rated.monthly_premium if self.rated else ZERO


@dataclass
class Quote:
    """What a change would do: the rows it touches and the facts the rules read."""

    effects: list[Effect] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    ends_dependent: Member | None = None
    dependent_details: dict[str, str] = field(default_factory=dict)

    @property
    def old_premium(self) -> Decimal:
        return sum((e.old_premium for e in self.effects), ZERO)

    @property
    def new_premium(self) -> Decimal:
        return sum((e.new_premium for e in self.effects), ZERO)


@dataclass(frozen=True)
class ChangeRequest:
    """The requested values; which apply depends on `change_type`."""

    change_type: str
    effective_date: date
    plan: PlanDesign | None = None
    benefit_amount: Decimal | None = None
    tier: str = ""
    tobacco: bool | None = None
    signed_statement: bool = False
    qualifying_event_date: date | None = None
    dependent: Member | None = None
    dependent_details: dict[str, str] = field(default_factory=dict)


# --- who may ask -------------------------------------------------------------------------


def _channel(actor: User, member: Member) -> str:
    """Staff who administer the member's market, or the employer's own administrator.
    A member the actor may not see reads as nonexistent."""
    if not selectors.members_visible_to(actor).filter(pk=member.pk).exists():
        raise NotFound(ErrorCode.NOT_FOUND, f"Member {member.pk} does not exist.")
    if has_role(actor, Role.EMPLOYER):
        return ChangeChannel.PORTAL
    permissions.require_market_permission(actor, "groups.change_coverage", member.group.market)
    return ChangeChannel.STAFF


def may_underwrite(actor: User, change: PolicyChange) -> bool:
    """Group administrators serving the group's market, supervisors and administrators."""
    if not actor.has_perm("groups.change_coverage") or has_role(actor, Role.EMPLOYER):
        return False
    market_ids = permissions.market_ids_of(actor)
    return not permissions.is_market_scoped(actor) or change.member.group.market_id in market_ids


# --- quoting: what the change does, checked against the plan design ------------------------


def _rate(
    member: Member, plan: PlanDesign, tier: str, benefit: Decimal | None, tobacco: bool, start: date
) -> rating.Rated:
    """As `rating.rate_member`: a dependent on a tier-rated plan pays nothing."""
    try:
        rating.check_benefit(plan, benefit)
        return rating.rate_member(
            member, plan, tier=tier, benefit=benefit, start=start, tobacco=tobacco
        )
    except rating.RatingError as error:
        field_name = {"benefit": "benefit_amount"}.get(error.field, error.field)
        raise _invalid(error.message, field_name) from None


def _plan(member: Member, request: ChangeRequest) -> PlanDesign:
    plan = request.plan
    if plan is None:
        raise _invalid("Choose the product (plan) this change is for.", "plan")
    if plan.group_id != member.group_id:
        raise _invalid(f"{plan.name} belongs to another group.", "plan")
    if request.effective_date < plan.effective_date:
        raise _invalid(
            f"{plan.name} starts {plan.effective_date}; a change cannot take "
            f"effect {request.effective_date}.",
            "effective_date",
        )
    return plan


def _rows_of(member: Member, plan: PlanDesign) -> list[Coverage]:
    return list(
        member.coverages.filter(plan=plan)
        .exclude(status=CoverageStatus.CANCELLED)
        .select_related("plan__product")
        .order_by("start_date")
    )


def _plans_in_force(member: Member, on: date) -> list[PlanDesign]:
    """Plans whose latest row is active and runs on or after `on`: a tobacco change
    re-rates them (a coverage starting later is re-rated from its own start)."""
    plans = []
    for row in member.coverages.filter(status=CoverageStatus.ACTIVE).select_related("plan"):
        latest = _rows_of(member, row.plan)[-1]
        if latest.pk == row.pk and (row.end_date is None or row.end_date >= on):
            plans.append(row.plan)
    return plans


def _row_in_force(member: Member, plan: PlanDesign, on: date) -> Coverage:
    """The member's active row under `plan` on `on`, which must be its latest row."""
    rows = _rows_of(member, plan)
    if not rows:
        raise _invalid(f"The member has no {plan.name} coverage.", "plan")
    latest = rows[-1]
    if latest.start_date > on:
        what = "its latest change takes effect" if len(rows) > 1 else "the coverage starts"
        raise _invalid(
            f"Under {plan.name} {what} {latest.start_date}; a change cannot take effect "
            f"{on}, before it.",
            "effective_date",
        )
    if latest.status != CoverageStatus.ACTIVE or not latest.covers(on):
        raise _invalid(
            f"The {plan.name} coverage is not in force on {on} (it ended "
            f"{latest.end_date}): reinstate it first.",
            "effective_date",
        )
    return latest


def _benefit_change(member: Member, request: ChangeRequest, quote: Quote) -> None:
    plan = _plan(member, request)
    old = _row_in_force(member, plan, request.effective_date)
    new = request.benefit_amount
    if new is None:
        raise _invalid("Give the new benefit amount.", "benefit_amount")
    was = old.benefit_amount or ZERO
    increase = request.change_type == ChangeType.BENEFIT_INCREASE
    if (increase and new <= was) or (not increase and new >= was):
        word = "more" if increase else "less"
        raise _invalid(
            f"A benefit {'increase' if increase else 'decrease'} needs an amount "
            f"{word} than the current {was}.",
            "benefit_amount",
        )
    rated = _rate(member, plan, old.tier, new, member.tobacco, request.effective_date)
    quote.effects.append(Effect(old, plan, old.tier, new, member.tobacco, rated))
    quote.facts.update(old_benefit=float(was), new_benefit=float(new), old_tier=old.tier)


def _benefit_add(member: Member, request: ChangeRequest, quote: Quote) -> None:
    plan = _plan(member, request)
    later = member.coverages.filter(plan=plan).exclude(status=CoverageStatus.CANCELLED)
    if later.exclude(end_date__lt=request.effective_date).exists():
        raise _invalid(
            f"The member already has {plan.name} coverage on or after {request.effective_date}.",
            "plan",
        )
    if not request.tier and member.employee_id is None:
        raise _invalid("Choose the coverage tier.", "tier")
    try:
        rating.check_waiting_period(plan, member.hire_date, request.effective_date)
    except rating.RatingError as error:
        raise _invalid(error.message, "effective_date") from None
    rated = _rate(
        member, plan, request.tier, request.benefit_amount, member.tobacco, request.effective_date
    )
    quote.effects.append(
        Effect(None, plan, rated.tier, request.benefit_amount, member.tobacco, rated)
    )
    benefit = request.benefit_amount
    quote.facts.update(
        new_benefit=float(benefit) if benefit is not None else None, new_tier=request.tier
    )


def _benefit_delete(member: Member, request: ChangeRequest, quote: Quote) -> None:
    plan = _plan(member, request)
    old = _row_in_force(member, plan, request.effective_date)
    quote.effects.append(Effect(old))
    if rating.priced_on_employee(plan):  # the dependents were covered through the employee
        quote.effects.extend(Effect(row) for _, row in _family_rows(member, plan, request))
    benefit = old.benefit_amount
    quote.facts.update(
        old_benefit=float(benefit) if benefit is not None else None, old_tier=old.tier
    )


def _tobacco_change(member: Member, request: ChangeRequest, quote: Quote) -> None:
    if request.tobacco is None:
        raise _invalid("Give the new tobacco status.", "tobacco")
    if request.tobacco == member.tobacco:
        status = "a tobacco user" if member.tobacco else "a non-tobacco user"
        raise _invalid(f"The member is already rated as {status}.", "tobacco")
    for plan in _plans_in_force(member, request.effective_date):
        rows = _rows_of(member, plan)
        old = rows[-1]
        if len(rows) > 1 and old.start_date > request.effective_date:
            old = _row_in_force(member, plan, request.effective_date)  # refuses, naming why
        start = max(old.start_date, request.effective_date)
        rated = _rate(member, old.plan, old.tier, old.benefit_amount, request.tobacco, start)
        quote.effects.append(
            Effect(old, old.plan, old.tier, old.benefit_amount, request.tobacco, rated)
        )
    quote.facts.update(
        from_tobacco=member.tobacco,
        to_tobacco=request.tobacco,
        signed_statement=request.signed_statement,
    )


def _retier(member: Member, request: ChangeRequest, quote: Quote, relationship: str) -> str:
    """Move the employee's coverage under `plan` to the requested tier, which must be
    offered and (for an add) cover the dependent's relationship; the dependents who stay
    covered move with it. The tier."""
    plan = _plan(member, request)
    old = _row_in_force(member, plan, request.effective_date)
    tier = request.tier or old.tier
    if tier not in plan.tiers:
        raise _invalid(
            f"{plan.name} does not offer tier {tier} (offers {', '.join(plan.tiers)}).", "tier"
        )
    covering = rating.tiers_covering(relationship)
    if request.change_type == ChangeType.DEPENDENT_ADD and tier not in covering:
        label = Relationship(relationship).label.lower()
        raise _invalid(
            f"Tier {tier} does not cover a {label}: choose {' or '.join(sorted(covering))}.",
            "tier",
        )
    if tier != old.tier:
        rated = _rate(
            member, plan, tier, old.benefit_amount, member.tobacco, request.effective_date
        )
        quote.effects.append(Effect(old, plan, tier, old.benefit_amount, member.tobacco, rated))
        _family_follow(member, plan, request, quote, tier)
    quote.facts.update(old_tier=old.tier, new_tier=tier, relationship=relationship)
    return tier


def _family_rows(
    member: Member, plan: PlanDesign, request: ChangeRequest
) -> list[tuple[Member, Coverage]]:
    """The employee's dependents' open rows under `plan` on the change's date, but the
    dependent a removal takes off."""
    dependents = member.dependents.order_by("pk")
    if request.dependent is not None:
        dependents = dependents.exclude(pk=request.dependent.pk)
    found = []
    for dependent in dependents:
        for row in selectors.coverage_as_of(member=dependent, on=request.effective_date, plan=plan):
            if row.status == CoverageStatus.ACTIVE and row.end_date is None:
                found.append((dependent, row))
    return found


def _family_follow(
    member: Member, plan: PlanDesign, request: ChangeRequest, quote: Quote, tier: str
) -> None:
    """On a tier-rated plan the dependents are covered at the employee's tier: each one
    still covered moves to the new tier (for no premium), which must cover them."""
    if not rating.priced_on_employee(plan):
        return
    for dependent, row in _family_rows(member, plan, request):
        covering = rating.tiers_covering(dependent.relationship)
        if tier not in covering:
            raise _invalid(
                f"Tier {tier} does not cover {dependent.get_relationship_display().lower()} "
                f"{dependent.member_id}, who stays covered under {plan.name}: choose "
                f"{' or '.join(sorted(covering))}.",
                "tier",
            )
        rated = rating.Rated(ZERO, row.rated_age, row.rated_tobacco, tier)
        quote.effects.append(Effect(row, plan, tier, row.benefit_amount, row.rated_tobacco, rated))


def _dependent_details(member: Member, details: dict[str, str]) -> dict[str, str]:
    clean = {name: str(details.get(name) or "").strip() for name in DEPENDENT_FIELDS}
    for name in DEPENDENT_FIELDS:
        if not clean[name]:
            raise _invalid(f"Give the dependent's {name.replace('_', ' ')}.", f"dependent.{name}")
    if clean["relationship"] not in TIERS_COVERING:
        labels = dict(Relationship.choices)
        allowed = ", ".join(f"{code} ({labels[code]})" for code in TIERS_COVERING)
        raise _invalid(
            f"Relationship {clean['relationship']!r} cannot be added as a "
            f"dependent; use {allowed}.",
            "dependent.relationship",
        )
    if clean["sex"] not in {"F", "M", "U"}:
        raise _invalid("Sex is F, M or U.", "dependent.sex")
    try:
        born = date.fromisoformat(clean["birth_date"])
    except ValueError:
        raise _invalid(
            f"{clean['birth_date']!r} is not a date (YYYY-MM-DD).", "dependent.birth_date"
        ) from None
    if born > timezone.localdate():
        raise _invalid("The birth date is in the future.", "dependent.birth_date")
    if Member.objects.filter(group=member.group_id, member_id=clean["member_id"]).exists():
        raise _invalid(
            f"Member id {clean['member_id']} is already in use in this group.",
            "dependent.member_id",
        )
    clean["birth_date"] = born.isoformat()
    return clean


def _dependent_add(member: Member, request: ChangeRequest, quote: Quote) -> None:
    if member.relationship != Relationship.SELF:
        raise _invalid("Dependents are added to the employee, not to a dependent.", "member")
    details = _dependent_details(member, request.dependent_details)
    event = request.qualifying_event_date
    if event is None:
        raise _invalid(
            "Give the date of the qualifying event (marriage, birth, ...).", "qualifying_event_date"
        )
    today = timezone.localdate()
    if event > today:
        raise _invalid(f"The qualifying event {event} is in the future.", "qualifying_event_date")
    if request.effective_date < event:
        raise _invalid(
            f"The change cannot take effect {request.effective_date}, before the "
            f"qualifying event {event}.",
            "effective_date",
        )
    tier = _retier(member, request, quote, details["relationship"])
    plan = _plan(member, request)
    try:
        rated = rating.rate_dependent(
            plan, relationship=details["relationship"], tier=tier, employee_tier=tier,
            benefit=request.benefit_amount, birth_date=date.fromisoformat(details["birth_date"]),
            tobacco=False, start=request.effective_date,
        )  # fmt: skip
    except rating.RatingError as error:
        field_name = {"benefit": "benefit_amount"}.get(error.field, error.field)
        raise _invalid(error.message, field_name) from None
    # The dependent is covered under the plan too: on a tier-rated plan at the family's
    # tier for nothing (the employee's premium is the family's), else rated on their own.
    quote.effects.append(
        Effect(None, plan, tier, request.benefit_amount, False, rated, new_dependent=True)
    )
    quote.dependent_details = details
    quote.facts["days_since_event"] = (today - event).days


def _dependent_remove(member: Member, request: ChangeRequest, quote: Quote) -> None:
    dependent = request.dependent
    if dependent is None or dependent.employee_id != member.pk:
        raise _invalid("Choose one of this employee's dependents to remove.", "dependent")
    _retier(member, request, quote, dependent.relationship)
    quote.ends_dependent = dependent
    for old in selectors.coverage_as_of(member=dependent, on=request.effective_date):
        if old.status == CoverageStatus.ACTIVE and old.end_date is None:
            quote.effects.append(Effect(old))


QUOTERS = {
    ChangeType.BENEFIT_ADD: _benefit_add,
    ChangeType.BENEFIT_DELETE: _benefit_delete,
    ChangeType.BENEFIT_INCREASE: _benefit_change,
    ChangeType.BENEFIT_DECREASE: _benefit_change,
    ChangeType.TOBACCO_CHANGE: _tobacco_change,
    ChangeType.DEPENDENT_ADD: _dependent_add,
    ChangeType.DEPENDENT_REMOVE: _dependent_remove,
}


def policy_change_quote(*, member: Member, request: ChangeRequest, channel: str) -> Quote:
    """What the change would do and the facts for the rules; refuses (InvalidInput naming
    the field) a change the plan design does not allow. Changes nothing."""
    if request.change_type not in QUOTERS:
        raise _invalid(
            f"{request.change_type!r} is not a change type; use {', '.join(ChangeType.values)}.",
            "change_type",
        )
    quote = Quote()
    QUOTERS[ChangeType(request.change_type)](member, request, quote)
    plan = request.plan
    gi = plan.guaranteed_issue if plan is not None else None
    new_benefit = quote.facts.get("new_benefit")
    quote.facts.update(
        change_type=request.change_type,
        channel=channel,
        state=member.group.situs_state,
        group=member.group.group_number,
        product=plan.product.code if plan is not None else None,
        guaranteed_issue=float(gi) if gi is not None else None,
        above_guaranteed_issue=bool(
            gi is not None and new_benefit is not None and new_benefit > gi
        ),
        member_age=rating.age_on(member.birth_date, request.effective_date),
    )
    return quote


def _decide(member: Member, request: ChangeRequest, quote: Quote) -> underwriting.Decision:
    """Rules of each product the change touches; the first referral stops it."""
    products = [e.plan.product for e in quote.effects if e.plan is not None]
    if request.plan is not None:
        products.insert(0, request.plan.product)
    decisions = [
        underwriting.decide(
            underwriting.source_for(group=member.group, product=product),
            quote.facts | {"product": product.code},
        )
        for product in dict.fromkeys(products)
    ] or [
        underwriting.decide(underwriting.source_for(group=member.group, product=None), quote.facts)
    ]
    referred = [d for d in decisions if d.outcome == RuleOutcome.REFER]
    return referred[0] if referred else decisions[0]


# --- services ------------------------------------------------------------------------------


def underwriting_queue() -> Queue:
    """The underwriting queue, worked by group administrators; created on first use."""
    queue = Queue.objects.filter(slug=UNDERWRITING_QUEUE).first()
    if queue is not None:
        return queue
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Two business days",
        defaults={"clock": SlaPolicy.Clock.BUSINESS_DAYS, "amount": 2},
    )
    queue = Queue.objects.create(
        slug=UNDERWRITING_QUEUE,
        name="Underwriting",
        sla_policy=policy,
        description="Policy changes the underwriting rules referred, and every change "
        "an employer submits through the portal.",
    )
    queue.worker_roles.set(Group.objects.filter(name=group_name(Role.GROUP_ADMIN)))
    return queue


def policy_change_request(*, actor: User, member: Member, request: ChangeRequest) -> PolicyChange:
    """Record a change request, decide it by the rules, and apply it (allowed, by staff)
    or send it to the underwriting queue (referred, or from the employer portal)."""
    channel = _channel(actor, member)
    with transaction.atomic():
        member = (
            Member.objects.select_for_update().select_related("group__market").get(pk=member.pk)
        )
        quote = policy_change_quote(member=member, request=request, channel=channel)
        decision = _decide(member, request, quote)
        change = PolicyChange.objects.create(
            member=member,
            change_type=request.change_type,
            plan=request.plan,
            effective_date=request.effective_date,
            new_benefit_amount=request.benefit_amount,
            new_tier=request.tier,
            new_tobacco=request.tobacco,
            signed_statement=request.signed_statement,
            qualifying_event_date=request.qualifying_event_date,
            dependent=request.dependent,
            dependent_details=quote.dependent_details,
            requested_by=actor,
            channel=channel,
            status=ChangeStatus.REFERRED,
            rule_outcome=decision.outcome,
            rule=decision.rule[:300],
            rule_set=decision.rule_set[:120],
            old_premium=quote.old_premium,
            new_premium=quote.new_premium,
        )
        if decision.outcome == RuleOutcome.ALLOW and channel == ChangeChannel.STAFF:
            _apply(change, quote, actor)
        else:
            if decision.outcome == RuleOutcome.ALLOW:
                change.rule = PORTAL_RULE
            _refer(change)
        return change


def _refer(change: PolicyChange) -> None:
    group = change.member.group
    change.work_item = work_item_create(
        actor=None,
        kind=POLICY_CHANGE.code,
        title=f"Underwriting: {change.get_change_type_display()} (change #{change.pk}, "
        f"group {group.group_number})",
        queue=underwriting_queue(),
        market=group.market,
        description=f"Stopped by: {change.rule}\nRule set: {change.rule_set}",
    )
    change.save(update_fields=["work_item", "rule"])


def _request_of(change: PolicyChange) -> ChangeRequest:
    return ChangeRequest(
        change_type=change.change_type,
        effective_date=change.effective_date,
        plan=change.plan,
        benefit_amount=change.new_benefit_amount,
        tier=change.new_tier,
        tobacco=change.new_tobacco,
        signed_statement=change.signed_statement,
        qualifying_event_date=change.qualifying_event_date,
        dependent=change.dependent,
        dependent_details=dict(change.dependent_details),
    )


def _apply(change: PolicyChange, quote: Quote, actor: User) -> None:
    """End each touched row the day before the change, open its re-rated successor,
    record per-period differences for a past date, and the audit trail."""
    member = change.member
    day_before = change.effective_date - timedelta(days=1)
    cause = f"Policy change #{change.pk}: {change.get_change_type_display()}"
    if change.change_type == ChangeType.TOBACCO_CHANGE and change.new_tobacco is not None:
        member.tobacco = change.new_tobacco
        member.save(update_fields=["tobacco"])
    if change.change_type == ChangeType.DEPENDENT_ADD:
        details = dict(change.dependent_details)
        change.dependent = Member.objects.create(
            group=member.group,
            employee=member,
            subscriber_id=member.subscriber_id,
            member_id=details["member_id"],
            relationship=details["relationship"],
            first_name=details["first_name"],
            last_name=details["last_name"],
            birth_date=date.fromisoformat(details["birth_date"]),
            sex=details["sex"],
        )
    for effect in quote.effects:
        _apply_effect(change, effect, day_before, cause, actor)
    change.status = ChangeStatus.APPLIED
    change.old_premium, change.new_premium = quote.old_premium, quote.new_premium
    change.save(update_fields=["status", "old_premium", "new_premium", "dependent"])


def _apply_effect(
    change: PolicyChange, effect: Effect, day_before: date, cause: str, actor: User
) -> None:
    old, new_row = effect.old, None
    start = change.effective_date
    if old is not None:
        start = max(start, old.start_date)
        end = old.end_date
        rerating.end_row(old, day_before)
    else:
        end = None
    if effect.plan is not None and effect.rated is not None:
        member = old.member if old is not None else change.member
        if effect.new_dependent and change.dependent is not None:
            member = change.dependent
        new_row = Coverage.objects.create(
            member=member,
            plan=effect.plan,
            tier=effect.tier,
            benefit_amount=effect.benefit,
            start_date=start,
            end_date=end,
            monthly_premium=effect.rated.monthly_premium,
            rated_age=effect.rated.age,
            rated_tobacco=effect.rated.tobacco,
        )
    row = new_row or old
    assert row is not None
    rerating.premium_changes_record(
        coverage=row,
        old_monthly=effect.old_premium,
        new_monthly=effect.new_premium,
        start=start,
        end=end,
        cause=cause,
        policy_change_id=change.pk,
    )
    PolicyEvent.objects.create(
        group=change.member.group,
        member=row.member,
        coverage=row,
        event=PolicyEvent.Event.CHANGE_APPLIED,
        effective_date=start,
        actor=actor,
        data={
            "policy_change": change.pk,
            "ended": old.pk if old else None,
            "opened": new_row.pk if new_row else None,
            "old_premium": str(effect.old_premium),
            "new_premium": str(effect.new_premium),
        },
    )


def _locked_referral(change_id: int, actor: User) -> PolicyChange:
    change = (
        PolicyChange.objects.select_for_update(of=("self",))
        .select_related("member__group__market", "plan__product", "work_item")
        .filter(pk=change_id)
        .first()
    )
    if change is None or not selectors_change_visible(actor, change):
        raise NotFound(ErrorCode.NOT_FOUND, f"Policy change {change_id} does not exist.")
    if not may_underwrite(actor, change):
        raise NotPermitted("Only group administrators and supervisors underwrite changes.")
    if change.status != ChangeStatus.REFERRED:
        raise Conflict(
            ErrorCode.ITEM_CLOSED,
            f"Policy change #{change.pk} is already {change.get_status_display().lower()}.",
            field="status",
        )
    return change


def selectors_change_visible(actor: User, change: PolicyChange) -> bool:
    return selectors.members_visible_to(actor).filter(pk=change.member_id).exists()


def _close_item(item: WorkItem | None, actor: User, status: str, reason: str) -> None:
    """Close the underwriting work item with the decision. Its kind allows the decided
    statuses only through `work_item_close`, so the queue can never say approved while
    nothing applied."""
    if item is not None:
        work_item_close(actor=actor, item_id=item.pk, status=status, reason=reason)


def policy_change_approve(*, actor: User, change_id: int, note: str = "") -> PolicyChange:
    """An underwriter approves a referred change: it is applied and re-rated as of now."""
    with transaction.atomic():
        change = _locked_referral(change_id, actor)
        member = Member.objects.select_for_update().get(pk=change.member_id)
        change.member = member
        quote = policy_change_quote(
            member=member, request=_request_of(change), channel=change.channel
        )
        _close_item(change.work_item, actor, "applied", note.strip())
        change.decided_by, change.decided_at = actor, timezone.now()
        change.save(update_fields=["decided_by", "decided_at"])
        _apply(change, quote, actor)
        return change


def policy_change_decline(*, actor: User, change_id: int, reason: str) -> PolicyChange:
    """An underwriter declines a referred change, saying why; nothing is applied."""
    if not reason.strip():
        raise _invalid("Say why the change is declined.", "reason")
    with transaction.atomic():
        change = _locked_referral(change_id, actor)
        _close_item(change.work_item, actor, "declined", reason.strip())
        change.status = ChangeStatus.DECLINED
        change.decided_by, change.decided_at = actor, timezone.now()
        change.decline_reason = reason.strip()
        change.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        return change


# --- underwriting rule sets ---------------------------------------------------------------


@dataclass(frozen=True)
class RuleSetUpload:
    rule_set: UnderwritingRuleSet
    created: bool  # False: the same table is already the newest version of that scope


def rule_set_upload(
    *,
    actor: User,
    content: bytes | str,
    name: str = "",
    group: EmployerGroup | None = None,
    product: Product | None = None,
    state: str = "",
) -> RuleSetUpload:
    """Store a new version of the rule set for a scope, validated first; the same table
    as the scope's newest version changes nothing and says so."""
    if not actor.has_perm("groups.add_underwritingruleset"):
        raise NotPermitted("Only supervisors and administrators upload underwriting rules.")
    state = state.strip().upper()
    if state and (len(state) != 2 or not state.isalpha()):
        raise _invalid(f"{state!r} is not a two-letter state code.", "state")
    if group is not None and state:
        raise _invalid("A group's rules follow its situs state: give a group or a state.", "state")
    graph = underwriting.validate(content)
    digest = underwriting.content_hash(graph)
    scope = {"group": group, "product": product, "state": state}
    with transaction.atomic():
        latest = (
            UnderwritingRuleSet.objects.select_for_update().filter(**scope).order_by("-version")
        ).first()
        if latest is not None and latest.sha256 == digest:
            return RuleSetUpload(latest, created=False)
        created = UnderwritingRuleSet.objects.create(
            **scope,
            version=(latest.version + 1) if latest else 1,
            name=(name.strip() or "Underwriting rules")[:200],
            content=graph,
            sha256=digest,
            uploaded_by=actor,
        )
        return RuleSetUpload(created, created=True)


@dataclass(frozen=True)
class Preview:
    """What a change would do and how the rules would decide it; nothing is saved."""

    quote: Quote
    decision: underwriting.Decision
    channel: str

    @property
    def goes_to_review(self) -> bool:
        return self.decision.outcome == RuleOutcome.REFER or self.channel == ChangeChannel.PORTAL


def policy_change_preview(*, actor: User, member: Member, request: ChangeRequest) -> Preview:
    """Old and new premium and the rules' answer, shown before the user confirms."""
    channel = _channel(actor, member)
    quote = policy_change_quote(member=member, request=request, channel=channel)
    return Preview(quote, _decide(member, request, quote), channel)

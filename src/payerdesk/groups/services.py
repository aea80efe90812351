"""Group and worksite administration actions: case set-up, members, coverages."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import Market, Priority, Queue, User
from payerdesk.core.services import work_item_create
from payerdesk.core.sla import add_business_days
from payerdesk.groups import rating, selectors
from payerdesk.groups.models import (
    Coverage,
    CoverageStatus,
    EmployerGroup,
    GroupStatus,
    Member,
    PlanDesign,
    SetupStep,
    state_code,
)
from payerdesk.groups.work import WELCOME_CALL

GROUP_QUEUE = "group-administration"
WELCOME_CALL_BUSINESS_DAYS = 2
SETUP_CHECKLIST = (
    "Products and plan designs chosen",
    "Rate tables loaded",
    "Billing contact confirmed",
    "Welcome call made",
    "Members enrolled (834 or census)",
    "Group contract generated and approved",
)


def require_market_permission(actor: User, perm: str, market: Market) -> None:
    """The role has `perm`, and a market-scoped user serves `market`."""
    if not actor.has_perm(perm):
        raise NotPermitted("Your role does not administer employer groups.")
    if permissions.is_market_scoped(actor) and market.pk not in permissions.market_ids_of(actor):
        raise NotPermitted(f"You do not serve the {market} market.")


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field=field)


def group_create(
    *,
    actor: User,
    group_number: str,
    legal_name: str,
    situs_state: str,
    market: Market,
    effective_date: date,
    billing_contact_name: str,
    billing_contact_email: str,
    billing_contact_phone: str = "",
) -> EmployerGroup:
    """Install a group: the record, its set-up checklist and a welcome call work item
    due in two business days."""
    require_market_permission(actor, "groups.add_employergroup", market)
    number = group_number.strip().upper()
    if not number:
        raise _invalid("A group needs a group number.", "group_number")
    if EmployerGroup.objects.filter(group_number=number).exists():
        raise _invalid(f"Group number {number} is already in use.", "group_number")
    if not legal_name.strip():
        raise _invalid("A group needs its legal name.", "legal_name")
    try:
        state_code(situs_state)
        validate_email(billing_contact_email)
    except ValidationError as error:
        field = "situs_state" if error.message == state_code.message else "billing_contact_email"
        raise _invalid(" ".join(error.messages), field) from None
    queue = Queue.objects.filter(slug=GROUP_QUEUE).first()
    if queue is None:
        raise _invalid(f"No {GROUP_QUEUE!r} queue is configured for welcome calls.", "queue")
    with transaction.atomic():
        group = EmployerGroup.objects.create(
            group_number=number,
            legal_name=legal_name.strip(),
            situs_state=situs_state,
            market=market,
            effective_date=effective_date,
            billing_contact_name=billing_contact_name.strip(),
            billing_contact_email=billing_contact_email,
            billing_contact_phone=billing_contact_phone.strip(),
            created_by=actor,
        )
        SetupStep.objects.bulk_create(
            SetupStep(group=group, position=n, label=label)
            for n, label in enumerate(SETUP_CHECKLIST, start=1)
        )
        group.welcome_call = work_item_create(
            actor=None,
            kind=WELCOME_CALL.code,
            title=f"Welcome call: group {group.group_number}, {group.legal_name}",
            queue=queue,
            market=market,
            priority=Priority.HIGH,
            due_at=add_business_days(timezone.now(), WELCOME_CALL_BUSINESS_DAYS),
        )
        group.save(update_fields=["welcome_call"])
    return group


def coverage_add(
    *,
    actor: User | None,
    member: Member,
    plan: PlanDesign,
    tier: str,
    benefit_amount: Decimal | None,
    start_date: date,
) -> Coverage:
    """Cover a member under a plan from `start_date`, priced from the rate table.

    `actor` is None for a trusted batch (an 834 applied from the command line).
    """
    if actor is not None:
        require_market_permission(actor, "groups.add_coverage", member.group.market)
    if plan.group_id != member.group_id:
        raise _invalid(f"{plan.name} belongs to another group.", "plan")
    if start_date < plan.effective_date:
        raise _invalid(
            f"{plan.name} starts {plan.effective_date}; coverage cannot start {start_date}.",
            "start_date",
        )
    if selectors.coverage_as_of(member=member, on=start_date, plan=plan):
        raise _invalid(
            f"The member is already covered under {plan.name} on {start_date}.", "start_date"
        )
    try:
        rating.check_benefit(plan, benefit_amount)
        rated = rating.rate(
            plan, tier=tier, benefit=benefit_amount, birth_date=member.birth_date,
            tobacco=member.tobacco, start=start_date,
        )  # fmt: skip
    except rating.RatingError as error:
        raise _invalid(error.message, error.field) from None
    return Coverage.objects.create(
        member=member,
        plan=plan,
        tier=tier,
        benefit_amount=benefit_amount,
        start_date=start_date,
        monthly_premium=rated.monthly_premium,
        rated_age=rated.age,
        rated_tobacco=rated.tobacco,
    )


# Billing's delinquency steps. Kept minimal: the policy work adds member and group
# termination and reinstatement in general; these only do what non-payment needs.


def group_lapse_for_nonpayment(*, actor: User | None, group: EmployerGroup) -> EmployerGroup:
    """The grace period is over and premium is unpaid: mark the group lapsed."""
    if actor is not None:
        require_market_permission(actor, "groups.change_employergroup", group.market)
    if group.status != GroupStatus.ACTIVE:
        raise _invalid(f"Group {group.group_number} is {group.status}, not active.", "group")
    group.status = GroupStatus.LAPSED
    group.save(update_fields=["status"])
    return group


def group_cancel_for_nonpayment(
    *, actor: User | None, group: EmployerGroup, paid_through: date
) -> list[int]:
    """Cancel a lapsed group: every coverage in force after `paid_through` ends on that
    day (one that starts later is cancelled). Returns the ids of the coverages changed,
    so a reinstatement can restore exactly those."""
    if actor is not None:
        require_market_permission(actor, "groups.change_coverage", group.market)
    if group.status != GroupStatus.LAPSED:
        raise _invalid(f"Only a lapsed group is cancelled; {group.group_number} is "
                       f"{group.status}.", "group")  # fmt: skip
    with transaction.atomic():
        rows = Coverage.objects.filter(member__group=group).exclude(status=CoverageStatus.CANCELLED)
        later = rows.filter(start_date__gt=paid_through)
        ending = rows.filter(start_date__lte=paid_through, end_date__isnull=True)
        changed = [*later.values_list("id", flat=True), *ending.values_list("id", flat=True)]
        later.update(status=CoverageStatus.CANCELLED)
        ending.update(end_date=paid_through, status=CoverageStatus.TERMINATED)
        group.status = GroupStatus.CANCELLED
        group.save(update_fields=["status"])
    return changed


def group_reinstate_after_payment(
    *, actor: User | None, group: EmployerGroup, coverage_ids: list[int]
) -> EmployerGroup:
    """Back premium is paid: the group is active again and the coverages its
    cancellation changed are in force again, with no gap (open-ended as before)."""
    if actor is not None:
        require_market_permission(actor, "groups.change_coverage", group.market)
    if group.status not in (GroupStatus.LAPSED, GroupStatus.CANCELLED):
        raise _invalid(f"Group {group.group_number} is not lapsed or cancelled.", "group")
    with transaction.atomic():
        rows = Coverage.objects.filter(member__group=group, pk__in=coverage_ids)
        rows.filter(status=CoverageStatus.CANCELLED).update(status=CoverageStatus.ACTIVE)
        rows.filter(status=CoverageStatus.TERMINATED).update(
            end_date=None, status=CoverageStatus.ACTIVE
        )
        group.status = GroupStatus.ACTIVE
        group.save(update_fields=["status"])
    return group

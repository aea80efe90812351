"""Read queries for group administration."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import User
from payerdesk.core.roles import Role, has_role
from payerdesk.groups.models import (
    ChangeStatus,
    Coverage,
    CoverageStatus,
    EmployerGroup,
    GroupStatus,
    Member,
    PlanDesign,
    PolicyChange,
    PolicyEvent,
    RateRow,
)


def coverage_as_of(*, member: Member, on: date, plan: PlanDesign | None = None) -> list[Coverage]:
    """The member's coverages in force on a date (the date-effective history answers it)."""
    rows = (
        member.coverages.filter(start_date__lte=on)
        .exclude(end_date__lt=on)
        .exclude(status=CoverageStatus.CANCELLED)
    )
    if plan is not None:
        rows = rows.filter(plan=plan)
    return list(rows.select_related("plan__product"))


def end_before_termination(row: Coverage) -> date | None:
    """The end the latest termination of `row` cut, when one was scheduled (a termination
    moved earlier, a coverage end the file gave): a reinstatement undoing that termination
    restores it. None: the row ran on open-ended."""
    event = (
        PolicyEvent.objects.filter(coverage=row, event=PolicyEvent.Event.COVERAGE_TERMINATED)
        .order_by("at", "pk")
        .last()
    )
    ends = event.data.get("ends_before") if event is not None else None
    return date.fromisoformat(ends) if ends else None


def groups_visible_to(user: User) -> QuerySet[EmployerGroup]:
    """Staff see the groups of the markets they serve (all, for unscoped roles); an
    employer group administrator sees the groups whose portal they were given."""
    groups = EmployerGroup.objects.select_related("market")
    if has_role(user, Role.EMPLOYER):
        return groups.filter(portal_users=user)
    if not user.has_perm("groups.view_employergroup"):
        return groups.none()
    if permissions.is_market_scoped(user):
        groups = groups.filter(market_id__in=permissions.market_ids_of(user))
    return groups


def members_visible_to(user: User) -> QuerySet[Member]:
    """Members of the groups the user may see (see `groups_visible_to`)."""
    members = Member.objects.select_related("group")
    if has_role(user, Role.EMPLOYER):
        return members.filter(group__portal_users=user)
    if not user.has_perm("groups.view_member"):
        return members.none()
    if permissions.is_market_scoped(user):
        members = members.filter(group__market_id__in=permissions.market_ids_of(user))
    return members


def member_find(*, user: User, member_id: str, group_number: str | None = None) -> Member:
    candidates = members_visible_to(user).filter(member_id=member_id)
    if group_number:
        candidates = candidates.filter(group__group_number=group_number.upper())
    found = list(candidates[:2])
    if not found:
        # The same answer whether the member does not exist or is out of scope.
        raise NotFound(ErrorCode.NOT_FOUND, f"No member {member_id!r} found.")
    if len(found) > 1:
        raise InvalidInput(
            ErrorCode.INVALID, f"Member {member_id!r} is in several groups: give the group.",
            field="group",
        )  # fmt: skip
    return found[0]


def member_lookup(*, member_id: str, group_number: str | None = None) -> Member:
    """A member by id across every group, for the national queues that serve them all
    (coverage review, pharmacy). The caller checks its own permission first. The group
    is not selected with it: intake records the member, it does not show the group."""
    candidates = Member.objects.filter(member_id=member_id.strip())
    if group_number:
        candidates = candidates.filter(group__group_number=group_number.strip().upper())
    found = list(candidates[:2])
    if not found:
        raise InvalidInput(ErrorCode.INVALID, f"No member {member_id!r} found.", field="member_id")
    if len(found) > 1:
        raise InvalidInput(
            ErrorCode.INVALID, f"Member {member_id!r} is in several groups: give the group.",
            field="group_number",
        )  # fmt: skip
    return found[0]


def group_list(*, user: User, search: str = "") -> QuerySet[EmployerGroup]:
    """The groups the user may see, matching a group number or a name."""
    groups = groups_visible_to(user)
    if search.strip():
        term = search.strip()
        groups = groups.filter(Q(group_number__icontains=term) | Q(legal_name__icontains=term))
    return groups


def group_get(*, user: User, group_number: str) -> EmployerGroup:
    group = groups_visible_to(user).filter(group_number=group_number.upper()).first()
    if group is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No group {group_number!r} found.")
    return group


def plan_get(*, user: User, plan_id: int) -> PlanDesign:
    plan = (
        PlanDesign.objects.filter(pk=plan_id, group__in=groups_visible_to(user))
        .select_related("group__market", "product")
        .first()
    )
    if plan is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No plan design {plan_id} found.")
    return plan


def rate_get(*, user: User, rate_id: int) -> RateRow:
    row = (
        RateRow.objects.filter(pk=rate_id, plan__group__in=groups_visible_to(user))
        .select_related("plan__group__market")
        .first()
    )
    if row is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No rate {rate_id} found.")
    return row


def member_get(*, user: User, member_pk: int) -> Member:
    member = members_visible_to(user).filter(pk=member_pk).select_related("employee").first()
    if member is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No member record {member_pk} found.")
    return member


def plans_of(group: EmployerGroup) -> QuerySet[PlanDesign]:
    return group.plans.select_related("product").prefetch_related("rates")


def coverage_history(member: Member) -> QuerySet[Coverage]:
    """Every coverage row of the member, newest first within each product."""
    return member.coverages.select_related("plan__product").order_by(
        "plan__product__name", "-start_date"
    )


def group_counts_by_status(user: User) -> dict[str, int]:
    """How many of the groups the user sees are in each status (every status, zero or not)."""
    rows = groups_visible_to(user).values("status").annotate(count=Count("id")).order_by()
    found = {row["status"]: row["count"] for row in rows}
    return {str(status): found.get(status, 0) for status in GroupStatus}


def changes_referred_count(user: User) -> int:
    """Policy changes of members the user sees that wait for underwriting."""
    members = members_visible_to(user)
    return PolicyChange.objects.filter(member__in=members, status=ChangeStatus.REFERRED).count()

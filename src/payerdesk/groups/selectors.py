"""Read queries for group administration."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import User
from payerdesk.core.roles import Role, has_role
from payerdesk.groups.models import (
    ChangeStatus,
    Coverage,
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
    rows = member.coverages.in_force(on=on)
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


# --- The groups API for the other apps (billing, priorauth) -----------------------------
# They read groups only through these and `services`: never its models or tables.

ENDED = (GroupStatus.CANCELLED, GroupStatus.TERMINATED)
ID_CHUNK = 5000  # row ids per IN (...): SQLite limits a statement's parameters


def coverages_in_force(*, group: EmployerGroup | int, on: date) -> QuerySet[Coverage]:
    """The group's coverages in force on `on` (`Coverage.objects.in_force`), a QuerySet
    the caller may narrow or read as a subquery."""
    return Coverage.objects.in_force(on=on).filter(member__group=group)


def members_covered(
    *, group: EmployerGroup | int, on: date, among: Iterable[int] | None = None
) -> set[int]:
    """Row ids of the group's members with any coverage in force on `on`; with `among`,
    only those of these row ids (read in chunks: a few out of a large group)."""
    rows = coverages_in_force(group=group, on=on).values_list("member_id", flat=True)
    rows = rows.distinct().order_by()
    if among is None:
        return set(rows)
    pks = sorted(set(among))
    found: set[int] = set()
    for at in range(0, len(pks), ID_CHUNK):
        found.update(rows.filter(member_id__in=pks[at : at + ID_CHUNK]))
    return found


def member_covered(*, member: Member | int, on: date, plan_id: int | None = None) -> bool:
    """Whether the member (under `plan_id`, if given) has coverage in force on `on`."""
    rows = Coverage.objects.in_force(on=on).filter(member=member)
    if plan_id is not None:
        rows = rows.filter(plan_id=plan_id)
    return rows.exists()


def member_ids(*, group: EmployerGroup | int) -> dict[str, int]:
    """The group's member ids (NM109) to row ids, in one query."""
    return dict(Member.objects.filter(group=group).values_list("member_id", "pk"))


def member_in_group(*, group: EmployerGroup | int, member_id: str) -> Member | None:
    """A member of the group by member id (NM109), unscoped: the caller checked access."""
    return Member.objects.filter(group=group, member_id=member_id.strip()).first()


def members_by_pk(pks: Iterable[int]) -> QuerySet[Member]:
    """Members by row id, with their group, in row order."""
    return Member.objects.filter(pk__in=pks).select_related("group").order_by("pk")


def members_first(count: int) -> list[Member]:
    """The first `count` members ever enrolled (demo data builds on them)."""
    return list(Member.objects.order_by("pk")[:count])


def group_by_number(group_number: str) -> EmployerGroup | None:
    """A group by its number (any case), unscoped: for trusted jobs and files that name
    their group; users' requests go through `groups_visible_to`."""
    number = group_number.strip()
    if not number:
        return None
    return (
        EmployerGroup.objects.filter(group_number__iexact=number).select_related("market").first()
    )


def groups_by_pk(pks: Iterable[int] | QuerySet[Any]) -> QuerySet[EmployerGroup]:
    """Groups by row id (`pks` may be a subquery of ids), unscoped, with their market."""
    return EmployerGroup.objects.filter(pk__in=pks).select_related("market")


def is_portal_user(*, user: User, group: EmployerGroup) -> bool:
    """Whether `user` administers `group` through the employer portal."""
    return group.portal_users.filter(pk=user.pk).exists()


def group_ended(group: EmployerGroup) -> bool:
    """Cancelled (for non-payment) or terminated: no new bills, payments held."""
    return group.status in ENDED


def group_active(group: EmployerGroup) -> bool:
    """In force and paid up: not lapsed, cancelled or terminated."""
    return group.status == GroupStatus.ACTIVE


def groups_ended() -> QuerySet[EmployerGroup]:
    return EmployerGroup.objects.filter(status__in=ENDED)


def groups_terminated() -> QuerySet[EmployerGroup]:
    return EmployerGroup.objects.filter(status=GroupStatus.TERMINATED)


def groups_active_with_coverage() -> QuerySet[EmployerGroup]:
    """Active groups with at least one coverage row (demo billing builds on them)."""
    covered = Coverage.objects.values_list("member__group_id", flat=True)
    return EmployerGroup.objects.filter(pk__in=covered, status=GroupStatus.ACTIVE)


def grace_period_days(
    *, group: EmployerGroup | None = None, member: Member | None = None
) -> int | None:
    """The most generous grace period of the group's plan designs, or of the plans the
    member was ever covered under; None when there is no such plan."""
    plans = PlanDesign.objects.all()
    if group is not None:
        plans = plans.filter(group=group)
    if member is not None:
        plans = plans.filter(coverages__member=member)
    days: int | None = plans.aggregate(days=Max("grace_period_days"))["days"]
    return days

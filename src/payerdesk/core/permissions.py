"""The work item permission policy.

One policy answers both "may this user do X to this item?" and "which items may this
user see?", so the pages, the API and the CLI decide the same way.
"""

from typing import Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from payerdesk.core import roles
from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import Market, Queue, User, WorkItem

Action = Literal["view", "claim", "assign", "transition", "note", "attach", "follow_up"]
AnyUser = User | AnonymousUser


def _perm(user: AnyUser, perm: str) -> bool:
    return bool(user.is_active and user.has_perm(perm))


def sees_all_work(user: AnyUser) -> bool:
    return _perm(user, roles.VIEW_ALL_WORK)


def can_supervise(user: AnyUser) -> bool:
    return _perm(user, roles.SUPERVISE)


def can_work(user: AnyUser) -> bool:
    return _perm(user, roles.WORK_QUEUE)


def may_read_access_log(user: AnyUser) -> bool:
    """Auditors, supervisors and administrators read who viewed what."""
    return _perm(user, roles.VIEW_ACCESS_LOG)


def require_access_log_reader(user: AnyUser) -> None:
    if not may_read_access_log(user):
        raise NotPermitted("The access log is for auditors, supervisors and administrators.")


def is_market_scoped(user: AnyUser) -> bool:
    # Superusers hold every permission, market_scoped included; it does not bind them.
    return _perm(user, roles.MARKET_SCOPED) and not getattr(user, "is_superuser", False)


def queues_worked_by(user: AnyUser) -> QuerySet[Queue]:
    if not isinstance(user, User) or not can_work(user):
        return Queue.objects.none()
    if can_supervise(user):
        return Queue.objects.all()
    return Queue.objects.filter(worker_roles__user=user).distinct()


def market_ids_of(user: AnyUser) -> list[int]:
    profile = getattr(user, "staff_profile", None)
    return list(profile.markets.values_list("id", flat=True)) if profile else []


def require_market_permission(
    actor: User, perm: str, market: Market, *, refusal: str = "Your role does not allow this."
) -> None:
    """The role holds `perm`, and a market-scoped user serves `market` (every module
    scopes its records by the market of the group or item they belong to)."""
    if not actor.has_perm(perm):
        raise NotPermitted(refusal)
    if is_market_scoped(actor) and market.pk not in market_ids_of(actor):
        raise NotPermitted(f"You do not serve the {market} market.")


def market_scope(user: AnyUser) -> Q:
    """The markets a market-scoped user serves (items without a market are national)."""
    if not is_market_scoped(user):
        return Q()
    return Q(market__isnull=True) | Q(market_id__in=market_ids_of(user))


def visible_work_items(user: AnyUser) -> QuerySet[WorkItem]:
    items = WorkItem.objects.all()
    if not user.is_authenticated or not user.is_active:
        return items.none()
    if sees_all_work(user):
        return items
    if not can_work(user):
        return items.none()
    queue_ids = list(Queue.objects.filter(worker_roles__user=user).values_list("id", flat=True))
    return items.filter((Q(queue_id__in=queue_ids) & market_scope(user)) | Q(assignee=user))


def claimable_work_items(user: AnyUser, queue: Queue) -> QuerySet[WorkItem]:
    """Unassigned open items of a queue the user works, within their markets.

    Kept free of the OR in `visible_work_items` so the partial index on claimable
    items answers it.
    """
    return WorkItem.objects.filter(
        market_scope(user), queue=queue, assignee__isnull=True, closed_at__isnull=True
    )


def may(user: AnyUser, action: Action, item: WorkItem) -> bool:
    """Whether the user's role and scope allow `action` on `item`.

    Who holds the item is the service's concern: claiming a held item is a conflict,
    not a matter of permission.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    visible = visible_work_items(user).filter(pk=item.pk).exists()
    if action == "view" or not visible:
        return visible
    if not can_work(user):
        return False
    if action == "assign" and not can_supervise(user):
        # Workers may hand on or release only what they hold.
        return item.assignee_id == user.pk
    return True


def may_work_queue(user: AnyUser, queue: Queue) -> bool:
    return queues_worked_by(user).filter(pk=queue.pk).exists()


def is_eligible_assignee(user: AnyUser, item: WorkItem) -> bool:
    """Whether `user` could work `item`: their role serves its queue and its market."""
    if not (user.is_active and can_work(user)):
        return False
    if can_supervise(user):
        return True
    if not item.queue.worker_roles.filter(user=user).exists():
        return False
    return serves_market(user, item.market_id)


def serves_market(user: AnyUser, market_id: int | None) -> bool:
    """Whether work of this market (None: national) is within the user's scope."""
    return not is_market_scoped(user) or market_id is None or market_id in market_ids_of(user)

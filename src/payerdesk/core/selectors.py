"""Read queries for the pages, the API and the reports."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import strptime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound
from payerdesk.core.models import AccessLogEntry, Market, Queue, TimelineEvent, User, WorkItem


class DueWindow:
    OVERDUE = "overdue"
    TODAY = "today"
    WEEK = "week"
    LATER = "later"
    CHOICES = (
        (OVERDUE, "Overdue"),
        (TODAY, "Due by end of today"),
        (WEEK, "Due within 7 days"),
        (LATER, "Due later than 7 days"),
    )


@dataclass(frozen=True)
class WorkItemFilter:
    queue: str | None = None  # queue slug
    status: str | None = None
    market: str | None = None  # market code
    kind: str | None = None
    assignee: str | None = None  # username, or "none" for unassigned
    due: str | None = None  # one of DueWindow
    open_only: bool = True


def end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _due_filter(window: str, now: datetime) -> Q:
    if window == DueWindow.OVERDUE:
        return Q(due_at__lt=now)
    if window == DueWindow.TODAY:
        return Q(due_at__lt=end_of_today(now))
    if window == DueWindow.WEEK:
        return Q(due_at__lt=now + timedelta(days=7))
    if window == DueWindow.LATER:
        return Q(due_at__gte=now + timedelta(days=7))
    raise ValueError(f"unknown due window {window!r}")


def work_item_list(*, user: User, filters: WorkItemFilter) -> QuerySet[WorkItem]:
    items = permissions.visible_work_items(user)
    if filters.open_only:
        items = items.filter(closed_at__isnull=True)
    if filters.queue:
        items = items.filter(queue__slug=filters.queue)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.market:
        items = items.filter(market__code=filters.market)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.assignee == "none":
        items = items.filter(assignee__isnull=True)
    elif filters.assignee:
        items = items.filter(assignee__username=filters.assignee)
    if filters.due:
        items = items.filter(_due_filter(filters.due, timezone.now()))
    return items.select_related("queue", "market", "assignee").order_by("due_at", "id")


def my_work(*, user: User) -> QuerySet[WorkItem]:
    """Everything assigned to `user` and still open, from every module, soonest due first."""
    return (
        WorkItem.objects.filter(assignee=user, closed_at__isnull=True)
        .select_related("queue", "market")
        .order_by("due_at", "id")
    )


def work_item_get(*, user: User, item_id: int) -> WorkItem:
    item = (
        permissions.visible_work_items(user)
        .select_related("queue__sla_policy", "market", "assignee", "created_by")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        # The same answer whether it does not exist or is out of the user's scope.
        raise NotFound(ErrorCode.NOT_FOUND, f"Work item {item_id} does not exist.")
    return item


def timeline(item: WorkItem) -> QuerySet[TimelineEvent]:
    return item.timeline.select_related("actor").order_by("at", "id")


def moved_to_by(item_id: int, status: str) -> User | None:
    """Who last moved the item to `status`, as its timeline records (None: the system, or
    it never was in that status)."""
    moved = (
        TimelineEvent.objects.filter(
            work_item_id=item_id, event=TimelineEvent.Event.STATUS_CHANGED, data__status=status
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return moved.actor if moved is not None else None


def queues_for(user: User) -> QuerySet[Queue]:
    if permissions.sees_all_work(user):
        return Queue.objects.all()
    return permissions.queues_worked_by(user)


def queue_by_slug(slug: str, *, field: str = "queue") -> Queue:
    queue = Queue.objects.select_related("sla_policy").filter(slug=slug.strip()).first()
    if queue is None:
        raise InvalidInput(ErrorCode.INVALID, f"No {slug!r} queue is configured.", field=field)
    return queue


def market_by_code(code: str, *, field: str = "market") -> Market | None:
    """The active market of that code; None for a blank code (national work)."""
    if not code.strip():
        return None
    market = Market.objects.filter(code=code.strip().upper(), active=True).first()
    if market is None:
        raise InvalidInput(ErrorCode.INVALID, f"No market {code!r}.", field=field)
    return market


def open_counts_by_queue(*, user: User) -> dict[int, int]:
    rows = (
        permissions.visible_work_items(user)
        .filter(closed_at__isnull=True)
        .values("queue_id")
        .annotate(open=Count("id"))
        .order_by()
    )
    return {row["queue_id"]: row["open"] for row in rows}


def eligible_assignees(item: WorkItem) -> list[User]:
    candidates = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__queues=item.queue) | Q(groups__permissions__codename="supervise_queue"))
        .distinct()
        .order_by("username")
    )
    return [user for user in candidates if permissions.is_eligible_assignee(user, item)]


@dataclass(frozen=True)
class QueueHealthRow:
    queue: str
    queue_slug: str
    market: str
    open: int
    due_today: int
    overdue: int
    unassigned: int


def _open_counts(now: datetime) -> tuple[Count, Count, Count]:
    """What queue health and the module pages count of open items: all, due today, overdue."""
    due_today = Q(due_at__gte=now, due_at__lt=end_of_today(now))
    return Count("id"), Count("id", filter=due_today), Count("id", filter=Q(due_at__lt=now))


def queue_health(*, user: User, now: datetime | None = None) -> list[QueueHealthRow]:
    """Open, due-today and overdue counts by queue and market, over what `user` sees."""
    all_open, due_today, overdue = _open_counts(now or timezone.now())
    rows = (
        permissions.visible_work_items(user)
        .filter(closed_at__isnull=True)
        .values("queue__name", "queue__slug", "market__name")
        .annotate(
            open=all_open,
            due_today=due_today,
            overdue=overdue,
            unassigned=Count("id", filter=Q(assignee__isnull=True)),
        )
        # National (no market) first on every database: SQLite and PostgreSQL put NULL
        # at opposite ends by default.
        .order_by("queue__name", F("market__name").asc(nulls_first=True))
    )
    return [
        QueueHealthRow(
            queue=row["queue__name"],
            queue_slug=row["queue__slug"],
            market=row["market__name"] or "National",
            open=row["open"],
            due_today=row["due_today"],
            overdue=row["overdue"],
            unassigned=row["unassigned"],
        )
        for row in rows
    ]


# --- the access log -----------------------------------------------------------------------

# Dates as the date field sends them, or as people type them.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


@dataclass(frozen=True)
class AccessLogFilter:
    username: str = ""
    record_type: str = ""
    record_id: str = ""
    date_from: date | None = None  # days in the server's time zone, both included
    date_to: date | None = None

    def describe(self) -> str:
        """The filter in a few words, as the log records a view of itself."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("user", self.username),
                ("type", self.record_type),
                ("id", self.record_id),
                ("from", self.date_from.isoformat() if self.date_from else ""),
                ("to", self.date_to.isoformat() if self.date_to else ""),
            )
            if value
        ]
        return ";".join(parts) or "all"


def _day(value: str, field: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return date(*strptime(text, fmt)[:3])
        except ValueError:
            continue
    raise InvalidInput(
        ErrorCode.INVALID, f"{text!r} is not a date: write it as YYYY-MM-DD.", field=field
    )


def access_log_filter(
    *, username: str = "", record_type: str = "", record_id: str = "", date_from: str = "",
    date_to: str = "",
) -> AccessLogFilter:  # fmt: skip
    """The filter from what a person or client sent; InvalidInput names the bad field."""
    start, end = _day(date_from, "date_from"), _day(date_to, "date_to")
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"The range ends ({end.isoformat()}) before it starts ({start.isoformat()}).",
            field="date_to",
        )
    return AccessLogFilter(
        username=username.strip(),
        record_type=record_type.strip(),
        record_id=record_id.strip(),
        date_from=start,
        date_to=end,
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def access_log_list(*, user: User, filters: AccessLogFilter) -> QuerySet[AccessLogEntry]:
    """The entries that match, newest first, for those who may read the log."""
    permissions.require_access_log_reader(user)
    entries = AccessLogEntry.objects.all()
    if filters.username:
        entries = entries.filter(username__iexact=filters.username)
    if filters.record_type:
        entries = entries.filter(record_type=filters.record_type)
    if filters.record_id:
        entries = entries.filter(record_id=filters.record_id)
    if filters.date_from:
        entries = entries.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        entries = entries.filter(at__lt=_start_of(filters.date_to + timedelta(days=1)))
    return entries.order_by("-at", "-id")


def access_log_record_types() -> list[str]:
    """The record types the log holds, for the filter's suggestions."""
    types = AccessLogEntry.objects.values_list("record_type", flat=True).distinct()
    return sorted(types.order_by())


@dataclass(frozen=True)
class QueueCounts:
    queue: str
    queue_slug: str
    open: int
    due_today: int
    overdue: int


@dataclass(frozen=True)
class WorkCounts:
    queues: list[QueueCounts]
    open: int
    due_today: int
    overdue: int


def work_counts(
    *, user: User, kinds: Collection[str] | None = None, now: datetime | None = None
) -> WorkCounts:
    """Open, due-today and overdue counts by queue of the open items `user` sees, of
    `kinds` only when given (a module's own work)."""
    items = permissions.visible_work_items(user).filter(closed_at__isnull=True)
    if kinds is not None:
        items = items.filter(kind__in=kinds)
    all_open, due_today, overdue = _open_counts(now or timezone.now())
    rows = (
        items.values("queue__name", "queue__slug")
        .annotate(open=all_open, due_today=due_today, overdue=overdue)
        .order_by("queue__name")
    )
    queues = [
        QueueCounts(
            queue=row["queue__name"],
            queue_slug=row["queue__slug"],
            open=row["open"],
            due_today=row["due_today"],
            overdue=row["overdue"],
        )
        for row in rows
    ]
    return WorkCounts(
        queues=queues,
        open=sum(row.open for row in queues),
        due_today=sum(row.due_today for row in queues),
        overdue=sum(row.overdue for row in queues),
    )

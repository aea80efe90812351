"""The work queue over REST: the same services as the pages, for API clients."""

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from payerdesk.core import kinds, permissions, selectors, services
from payerdesk.core.access import log_access_log_view, log_phi_view
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import AccessLogEntry, Attachment, Note, Priority, Queue, User, WorkItem
from payerdesk.core.roles import is_staff_member

router = Router(tags=["work queue"])


def staff_user(request: HttpRequest) -> User:
    """The authenticated staff member; outside roles have no work queue."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User) or not is_staff_member(user):
        raise NotPermitted("The work queue is for staff.")
    return user


class WorkItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    status: str
    status_label: str
    priority: int
    queue: str
    queue_name: str
    market: str | None
    assignee: str | None
    due_at: datetime
    overdue: bool
    escalated_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    next_statuses: list[str]

    @staticmethod
    def from_item(item: WorkItem) -> "WorkItemOut":
        spec = item.kind_spec
        return WorkItemOut(
            id=item.pk,
            kind=item.kind,
            kind_label=spec.label,
            title=item.title,
            status=item.status,
            status_label=spec.status_label(item.status),
            priority=item.priority,
            queue=item.queue.slug,
            queue_name=item.queue.name,
            market=item.market.code if item.market else None,
            assignee=item.assignee.username if item.assignee else None,
            due_at=item.due_at,
            overdue=item.is_overdue(),
            escalated_at=item.escalated_at,
            created_at=item.created_at,
            closed_at=item.closed_at,
            next_statuses=list(spec.allowed_from(item.status)),
        )


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @staticmethod
    def from_attachment(attachment: Attachment) -> "AttachmentOut":
        return AttachmentOut(
            id=attachment.pk,
            name=attachment.original_name,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            uploaded_by=attachment.uploaded_by.username,
            uploaded_at=attachment.uploaded_at,
        )


class NoteOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def from_note(note: Note) -> "NoteOut":
        return NoteOut(
            id=note.pk, author=note.author.username, body=note.body, created_at=note.created_at
        )


class WorkItemDetailOut(WorkItemOut):
    description: str
    notes: list[NoteOut]
    attachments: list[AttachmentOut]


class WorkItemPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WorkItemOut]


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class WorkItemQuery(PageQuery):
    queue: str | None = None
    status: str | None = None
    market: str | None = None
    kind: str | None = None
    assignee: str | None = Field(None, description='username, or "none" for unassigned')
    due: Literal["overdue", "today", "week", "later"] | None = None
    include_closed: bool = False


class TimelineEventOut(Schema):
    at: datetime
    event: str
    summary: str
    actor: str | None
    data: dict[str, object]


class WorkItemIn(Schema):
    kind: str = Field("task", min_length=1, max_length=40, description="a kind staff open by hand")
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    queue: str = Field(..., description="slug of a queue you work; its SLA sets the due time")
    market: str | None = Field(None, description="market code; null for national work")
    priority: int = Field(Priority.NORMAL, ge=Priority.URGENT, le=Priority.LOW)
    record_type: str = Field("", max_length=40, description="a linkable record type, or empty")
    record_id: str = Field("", max_length=60)


class AssignIn(Schema):
    assignee: str | None = Field(..., description="username; null releases the item")


class TransitionIn(Schema):
    status: str = Field(..., min_length=1, max_length=40)
    reason: str = Field("", max_length=1000)


class NoteIn(Schema):
    body: str = Field(..., min_length=1, max_length=services.NOTE_MAX_CHARS)


class FollowUpIn(Schema):
    remind_at: datetime
    message: str = Field(..., min_length=1, max_length=300)
    owner: str | None = None


class FollowUpOut(Schema):
    id: int
    owner: str
    remind_at: datetime
    message: str


class QueueOut(Schema):
    slug: str
    name: str
    sla_policy: str
    open: int


class QueueHealthOut(Schema):
    queue: str
    queue_slug: str
    market: str
    open: int
    due_today: int
    overdue: int
    unassigned: int


def _user_named(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput(ErrorCode.INVALID, f"No active user {username!r}.", field=field)
    return user


def _detail(request: HttpRequest, user: User, item_id: int) -> WorkItemDetailOut:
    item = selectors.work_item_get(user=user, item_id=item_id)
    log_phi_view(request, user, item, channel=AccessLogEntry.Channel.API)
    base = WorkItemOut.from_item(item)
    return WorkItemDetailOut(
        **base.dict(),
        description=item.description,
        notes=[NoteOut.from_note(n) for n in item.notes.select_related("author")],
        attachments=[
            AttachmentOut.from_attachment(a) for a in item.attachments.select_related("uploaded_by")
        ],
    )


@router.get("/work-items", response=WorkItemPage, summary="List and filter work items")
def list_work_items(request: HttpRequest, query: Query[WorkItemQuery]) -> WorkItemPage:
    user = staff_user(request)
    if query.kind:
        try:
            kinds.get(query.kind)
        except kinds.UnknownKindError as error:
            raise InvalidInput(ErrorCode.INVALID, str(error), field="kind") from None
    items = selectors.work_item_list(
        user=user,
        filters=selectors.WorkItemFilter(
            queue=query.queue,
            status=query.status,
            market=query.market,
            kind=query.kind,
            assignee=query.assignee,
            due=query.due,
            open_only=not query.include_closed,
        ),
    )
    return _page(items, query)


def _page(items: QuerySet[WorkItem], query: PageQuery) -> WorkItemPage:
    rows = items[query.offset : query.offset + query.limit]
    return WorkItemPage(
        count=items.count(),
        limit=query.limit,
        offset=query.offset,
        items=[WorkItemOut.from_item(item) for item in rows],
    )


@router.post("/work-items", response={201: WorkItemDetailOut}, summary="Open a work item by hand")
def create_work_item(request: HttpRequest, payload: WorkItemIn) -> Status[WorkItemDetailOut]:
    user = staff_user(request)
    if not permissions.can_work(user):
        raise NotPermitted("Only staff who work a queue open work items.")
    item = services.work_item_create(
        actor=user,
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        queue=selectors.queue_by_slug(payload.queue),
        market=selectors.market_by_code(payload.market or ""),
        priority=payload.priority,
        record_type=payload.record_type,
        record_id=payload.record_id,
    )
    return Status(201, _detail(request, user, item.pk))


@router.get("/work-items/mine", response=WorkItemPage, summary="My work, soonest due first")
def my_work(request: HttpRequest, query: Query[PageQuery]) -> WorkItemPage:
    return _page(selectors.my_work(user=staff_user(request)), query)


@router.get("/work-items/{item_id}", response=WorkItemDetailOut)
def get_work_item(request: HttpRequest, item_id: int) -> WorkItemDetailOut:
    return _detail(request, staff_user(request), item_id)


@router.get("/work-items/{item_id}/timeline", response=list[TimelineEventOut])
def get_timeline(request: HttpRequest, item_id: int) -> list[TimelineEventOut]:
    user = staff_user(request)
    item = selectors.work_item_get(user=user, item_id=item_id)
    log_phi_view(request, user, item, channel=AccessLogEntry.Channel.API)
    return [
        TimelineEventOut(
            at=e.at,
            event=e.event,
            summary=e.summary,
            actor=e.actor.username if e.actor else None,
            data=e.data,
        )
        for e in selectors.timeline(item)
    ]


@router.post("/work-items/{item_id}/claim", response=WorkItemDetailOut)
def claim(request: HttpRequest, item_id: int) -> WorkItemDetailOut:
    user = staff_user(request)
    services.work_item_claim(actor=user, item_id=item_id)
    return _detail(request, user, item_id)


@router.post("/work-items/{item_id}/assign", response=WorkItemDetailOut)
def assign(request: HttpRequest, item_id: int, payload: AssignIn) -> WorkItemDetailOut:
    user = staff_user(request)
    assignee = _user_named(payload.assignee, "assignee") if payload.assignee else None
    services.work_item_assign(actor=user, item_id=item_id, assignee=assignee)
    return _detail(request, user, item_id)


@router.post("/work-items/{item_id}/transition", response=WorkItemDetailOut)
def transition(request: HttpRequest, item_id: int, payload: TransitionIn) -> WorkItemDetailOut:
    user = staff_user(request)
    services.work_item_transition(
        actor=user, item_id=item_id, to_status=payload.status, reason=payload.reason
    )
    return _detail(request, user, item_id)


@router.post("/work-items/{item_id}/notes", response={201: NoteOut})
def add_note(request: HttpRequest, item_id: int, payload: NoteIn) -> Status[NoteOut]:
    user = staff_user(request)
    note = services.work_item_note_add(actor=user, item_id=item_id, body=payload.body)
    return Status(201, NoteOut.from_note(note))


@router.post("/work-items/{item_id}/attachments", response={201: AttachmentOut})
def add_attachment(
    request: HttpRequest, item_id: int, file: File[UploadedFile]
) -> Status[AttachmentOut]:
    user = staff_user(request)
    attachment = services.work_item_attach(actor=user, item_id=item_id, upload=file)
    return Status(201, AttachmentOut.from_attachment(attachment))


@router.post("/work-items/{item_id}/follow-ups", response={201: FollowUpOut})
def add_follow_up(request: HttpRequest, item_id: int, payload: FollowUpIn) -> Status[FollowUpOut]:
    user = staff_user(request)
    owner = _user_named(payload.owner, "owner") if payload.owner else None
    follow_up = services.follow_up_schedule(
        actor=user,
        item_id=item_id,
        remind_at=payload.remind_at,
        message=payload.message,
        owner=owner,
    )
    return Status(
        201,
        FollowUpOut(
            id=follow_up.pk,
            owner=follow_up.owner.username,
            remind_at=follow_up.remind_at,
            message=follow_up.message,
        ),
    )


@router.get("/queues", response=list[QueueOut])
def list_queues(request: HttpRequest) -> list[QueueOut]:
    user = staff_user(request)
    open_counts = selectors.open_counts_by_queue(user=user)
    return [
        QueueOut(
            slug=q.slug, name=q.name, sla_policy=str(q.sla_policy), open=open_counts.get(q.pk, 0)
        )
        for q in selectors.queues_for(user).select_related("sla_policy")
    ]


@router.post("/queues/{slug}/claim-next", response=WorkItemDetailOut)
def claim_next(request: HttpRequest, slug: str) -> WorkItemDetailOut:
    user = staff_user(request)
    queue = Queue.objects.filter(slug=slug).first()
    if queue is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No queue {slug!r}.")
    item = services.work_item_claim_next(actor=user, queue=queue)
    return _detail(request, user, item.pk)


@router.get("/queues/health", response=list[QueueHealthOut])
def queue_health(request: HttpRequest) -> list[QueueHealthOut]:
    user = staff_user(request)
    if not permissions.sees_all_work(user):
        raise NotPermitted("Queue health is for supervisors.")
    return [QueueHealthOut(**row.__dict__) for row in selectors.queue_health(user=user)]


class AccessLogQuery(PageQuery):
    user: str = Field("", description="username")
    record_type: str = ""
    record_id: str = ""
    date_from: str = Field("", description="first day, YYYY-MM-DD, in the server's time zone")
    date_to: str = Field("", description="last day, YYYY-MM-DD, included")


class AccessLogEntryOut(Schema):
    at: datetime
    user: str
    action: str
    channel: str
    record_type: str
    record_id: str
    ip_address: str | None
    user_agent: str
    path: str

    @staticmethod
    def resolve_user(entry: AccessLogEntry) -> str:
        return entry.username


class AccessLogPage(Schema):
    count: int
    limit: int
    offset: int
    entries: list[AccessLogEntryOut]


@router.get(
    "/access-log", response=AccessLogPage, tags=["access log"], summary="Who viewed which record"
)
def access_log(request: HttpRequest, query: Query[AccessLogQuery]) -> dict[str, object]:
    """For auditors, supervisors and administrators; this call is itself logged."""
    user = staff_user(request)
    permissions.require_access_log_reader(user)
    filters = selectors.access_log_filter(
        username=query.user,
        record_type=query.record_type,
        record_id=query.record_id,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    log_access_log_view(request, user, filters, channel=AccessLogEntry.Channel.API)
    entries = selectors.access_log_list(user=user, filters=filters)
    rows = entries[query.offset : query.offset + query.limit]
    # Ninja validates the rows into AccessLogEntryOut (its resolver names the user).
    return {"count": entries.count(), "limit": query.limit, "offset": query.offset,
            "entries": list(rows)}  # fmt: skip

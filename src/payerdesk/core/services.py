"""Every change to work items: one business action, one transaction, one timeline event.

Services check the acting user's permission themselves, so the pages, the API, the CLI
and background jobs behave the same.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from payerdesk.core import kinds, permissions, selectors
from payerdesk.core.auth_backends import remember_permissions, token_lookup
from payerdesk.core.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    NotPermitted,
)
from payerdesk.core.models import (
    AccessLogEntry,
    ApiToken,
    Attachment,
    FollowUp,
    Market,
    Note,
    Priority,
    Queue,
    TimelineEvent,
    User,
    WorkItem,
)
from payerdesk.core.notifications import email_on_commit, work_item_link
from payerdesk.core.uploads import attachment_check

Event = TimelineEvent.Event
NOTE_MAX_CHARS = 10_000
RECORD_ID_MAX_CHARS = 60  # WorkItem.record_id


def timeline_event(*, actor: User | None, event: str, summary: str, **data: Any) -> TimelineEvent:
    """An unsaved event, as the services write them: a domain gives such events to
    `work_item_create(then=...)` to say what it decided as it opened the item."""
    return TimelineEvent(actor=actor, event=event, summary=summary[:300], data=data)


def _event(
    item: WorkItem, *, actor: User | None, event: str, summary: str, **data: Any
) -> TimelineEvent:
    return _save(item, timeline_event(actor=actor, event=event, summary=summary, **data))


def _save(item: WorkItem, event: TimelineEvent) -> TimelineEvent:
    event.work_item = item
    event.save()
    return event


def _by(actor: User | None) -> str:
    """A move's summary names the system; a person is shown beside it as its actor."""
    return "" if actor is not None else " (system)"


def _lock(item_id: int) -> WorkItem:
    """The item, row-locked until the transaction ends (a no-op on SQLite, which
    serialises writers with IMMEDIATE transactions instead)."""
    try:
        # of=("self",): lock the item only, not its queue row, or every action on a
        # queue's items would wait on one lock.
        return (
            WorkItem.objects.select_for_update(of=("self",)).select_related("queue").get(pk=item_id)
        )
    except WorkItem.DoesNotExist:
        raise NotFound(ErrorCode.NOT_FOUND, f"Work item {item_id} does not exist.") from None


def _require(actor: User, action: permissions.Action, item: WorkItem) -> None:
    if not permissions.may(actor, "view", item):
        # Out of scope reads the same as nonexistent: no probing for what exists.
        raise NotFound(ErrorCode.NOT_FOUND, f"Work item {item.pk} does not exist.")
    if not permissions.may(actor, action, item):
        raise NotPermitted(f"You may not {action.replace('_', ' ')} work item #{item.pk}.")


def _require_open(item: WorkItem) -> None:
    if item.closed_at is not None:
        raise Conflict(
            ErrorCode.ITEM_CLOSED, f"Work item #{item.pk} is closed ({item.status_label})."
        )


def _require_holder(actor: User, item: WorkItem) -> None:
    if item.assignee_id != actor.pk and not permissions.can_supervise(actor):
        holder = f"held by {item.assignee}" if item.assignee_id else "not claimed"
        raise Conflict(
            ErrorCode.ALREADY_CLAIMED, f"Work item #{item.pk} is {holder}: claim it first."
        )


def work_item_create(
    *,
    actor: User | None,
    kind: str,
    title: str,
    queue: Queue,
    market: Market | None = None,
    priority: int = Priority.NORMAL,
    description: str = "",
    due_at: datetime | None = None,
    escalate_at: datetime | None = None,
    status: str | None = None,
    then: Sequence[TimelineEvent] = (),
    record_type: str = "",
    record_id: str = "",
) -> WorkItem:
    """Open a work item in `queue`; its due time comes from the queue's SLA policy.

    `actor` is None when a module or job creates the item on its own. A module with its
    own clock gives `due_at` and `escalate_at` (then the queue's policy is not read), and
    may start the item in another status of its kind than the initial one: a closed one
    when the module decided it at once (it records the decision in the timeline: `then`,
    unsaved events that follow the 'created' one, written with it in one insert).

    With an `actor`, a person opens the item by hand: the kind must allow it, the queue
    must be one they work, the market one they serve, and the record it links to
    (`record_type`, `record_id`: a type a module registered) must exist and be
    visible to them.

    Nested in a caller's transaction it adds no savepoint: an error rolls back the whole
    action, and no caller catches one to carry on.
    """
    try:
        spec = kinds.get(kind)
    except kinds.UnknownKindError as error:
        raise InvalidInput(ErrorCode.INVALID, str(error), field="kind") from None
    start = status or spec.initial
    if start not in spec.statuses:
        raise InvalidInput(
            ErrorCode.INVALID, f"{start!r} is not a status of {spec.label}.", field="status"
        )
    if actor is not None:
        _require_may_open(actor, spec, queue=queue, market=market)
    link = _record_link(actor, record_type, record_id)
    if not title.strip():
        raise InvalidInput(ErrorCode.INVALID, "A work item needs a title.", field="title")
    now = timezone.now()
    if due_at is not None and escalate_at is not None:
        due, escalate = due_at, escalate_at
    else:
        policy = queue.sla_policy
        due = due_at or policy.due_at(now)
        # Elapsed hours (in UTC), even when `due` is a local time across a DST change.
        escalate = due.astimezone(UTC) - timedelta(hours=policy.escalate_before_hours)
    with transaction.atomic(savepoint=False):
        item = WorkItem(
            kind=spec.code,
            title=title.strip()[:200],
            description=description,
            status=start,
            priority=priority,
            queue=queue,
            market=market,
            created_by=actor,
            created_at=now,
            due_at=due,
            escalate_at=escalate,
            closed_at=now if spec.is_closed(start) else None,
            phi=spec.phi or _links_phi(link),
            record_type=link[0],
            record_id=link[1],
        )
        item.save()
        created = TimelineEvent(
            work_item=item,
            actor=actor,
            event=Event.CREATED,
            summary=f"{spec.label} opened in {queue.name}{' by hand' if actor else ''}",
            data={"due_at": due.isoformat(), **_link_data(link)},
            at=now,
        )
        for event in then:
            event.work_item, event.at = item, now
        # Append-only rows, inserted once, in one statement.
        TimelineEvent.objects.bulk_create([created, *then])
    return item


def _require_may_open(
    actor: User, spec: kinds.WorkItemKind, *, queue: Queue, market: Market | None
) -> None:
    """A person opening an item by hand: a worker, a kind that allows it, a queue they
    work and a market they serve (a market-scoped person names one of theirs)."""
    if not permissions.can_work(actor):
        raise NotPermitted("Only staff who work a queue open work items.")
    if not spec.manual:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"{spec.label} items are opened by their module, not by hand.",
            field="kind",
        )
    if not permissions.may_work_queue(actor, queue):
        raise InvalidInput(
            ErrorCode.INVALID, f"You do not work the {queue.name} queue.", field="queue"
        )
    if market is None and permissions.is_market_scoped(actor):
        raise InvalidInput(ErrorCode.INVALID, "Choose one of your markets.", field="market")
    if market is not None and not permissions.serves_market(actor, market.pk):
        raise InvalidInput(
            ErrorCode.INVALID, f"{market.name} is not one of your markets.", field="market"
        )


def _record_link(actor: User | None, record_type: str, record_id: str) -> tuple[str, str]:
    """The (type, id) of the record an item links to, checked; ("", "") for none."""
    code, key = record_type.strip(), record_id.strip()
    if not code and not key:
        return "", ""
    linked = kinds.record_type(code)
    if linked is None:
        known = ", ".join(c for c, _ in kinds.record_type_choices())
        problem = f"{code!r} is not a record type" if code else "Choose the record's type"
        raise InvalidInput(
            ErrorCode.INVALID, f"{problem}: a work item links to {known}.", field="record_type"
        )
    if not key or len(key) > RECORD_ID_MAX_CHARS:
        raise InvalidInput(
            ErrorCode.INVALID,
            f"Give the {linked.id_label.lower()} to link, at most {RECORD_ID_MAX_CHARS} "
            "characters.",
            field="record_id",
        )
    # The system (no actor) links what its module chose; a person only what they see.
    if actor is not None and linked.name(actor, key) is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No {linked.label.lower()} {key!r} found.", field="record_id"
        )
    return linked.code, key


def _links_phi(link: tuple[str, str]) -> bool:
    linked = kinds.record_type(link[0]) if link[0] else None
    return linked is not None and linked.phi


def _link_data(link: tuple[str, str]) -> dict[str, str]:
    return {"record_type": link[0], "record_id": link[1]} if link[0] else {}


def work_item_claim(*, actor: User, item_id: int) -> WorkItem:
    """Take an unassigned item. Exactly one of two simultaneous claimers wins."""
    with transaction.atomic():
        item = _lock(item_id)
        _require(actor, "claim", item)
        _require_open(item)
        if item.assignee_id == actor.pk:
            return item
        if item.assignee_id is not None:
            raise Conflict(
                ErrorCode.ALREADY_CLAIMED,
                f"Work item #{item.pk} is already held by {item.assignee}.",
            )
        if not permissions.is_eligible_assignee(actor, item):
            raise NotPermitted(f"You do not work the {item.queue.name} queue.")
        return _take(actor, item)


def _take(actor: User, item: WorkItem) -> WorkItem:
    now = timezone.now()
    # Compare-and-swap: the update only lands if nobody took the item since we read it.
    taken = WorkItem.objects.filter(
        pk=item.pk, assignee__isnull=True, closed_at__isnull=True
    ).update(assignee=actor, claimed_at=now)
    if taken != 1:
        raise Conflict(ErrorCode.ALREADY_CLAIMED, f"Work item #{item.pk} was just claimed.")
    item.assignee, item.claimed_at = actor, now
    _event(item, actor=actor, event=Event.CLAIMED, summary=f"Claimed by {actor}")
    return item


def work_item_claim_next(*, actor: User, queue: Queue) -> WorkItem:
    """Claim the unassigned item of `queue` that falls due first.

    On PostgreSQL, SKIP LOCKED lets concurrent workers each lock a different row
    instead of queueing on the same head item.
    """
    if not permissions.may_work_queue(actor, queue):
        raise NotPermitted(f"You do not work the {queue.name} queue.")
    candidates = permissions.claimable_work_items(actor, queue).order_by("due_at", "id")
    for _ in range(10):
        with transaction.atomic():
            item = candidates.select_for_update(skip_locked=True).first()
            if item is None:
                raise Conflict(ErrorCode.QUEUE_EMPTY, f"Nothing is waiting in {queue.name}.")
            try:
                return _take(actor, item)
            except Conflict:
                continue
    raise Conflict(ErrorCode.ALREADY_CLAIMED, f"{queue.name} is busy: try again.")


def work_item_assign(*, actor: User, item_id: int, assignee: User | None) -> WorkItem:
    """Give the item to `assignee`, or release it back to its queue when None."""
    with transaction.atomic():
        item = _lock(item_id)
        _require(actor, "assign", item)
        _require_open(item)
        if assignee is None:
            if item.assignee_id is None:
                return item
            item.assignee, item.claimed_at = None, None
            item.save(update_fields=["assignee", "claimed_at"])
            _event(item, actor=actor, event=Event.RELEASED, summary=f"Released by {actor}")
            return item
        if not permissions.is_eligible_assignee(assignee, item):
            raise InvalidInput(
                ErrorCode.ASSIGNEE_NOT_ELIGIBLE,
                f"{assignee} cannot work items of {item.queue.name}"
                + (f" in {item.market}" if item.market_id else "")
                + ".",
                field="assignee",
            )
        previous = item.assignee
        item.assignee, item.claimed_at = assignee, timezone.now()
        item.save(update_fields=["assignee", "claimed_at"])
        _event(
            item,
            actor=actor,
            event=Event.ASSIGNED,
            summary=f"Assigned to {assignee} by {actor}",
            previous=previous.username if previous else None,
            assignee=assignee.username,
        )
        if assignee.pk != actor.pk:
            email_on_commit(
                [assignee],
                f"Work item #{item.pk} assigned to you",
                f"{actor} assigned you {item.kind_spec.label} #{item.pk} in {item.queue.name}, "
                f"due {timezone.localtime(item.due_at):%Y-%m-%d %H:%M %Z}.\n{work_item_link(item)}",
            )
        return item


def work_item_transition(
    *, actor: User, item_id: int, to_status: str, reason: str = ""
) -> WorkItem:
    with transaction.atomic():
        item = _lock(item_id)
        _require(actor, "transition", item)
        spec = item.kind_spec
        if to_status not in spec.statuses:
            raise InvalidInput(
                ErrorCode.UNKNOWN_STATUS,
                f"{to_status!r} is not a status of {spec.label}; it has "
                + ", ".join(sorted(spec.statuses)),
                field="status",
            )
        allowed = spec.allowed_from(item.status)
        if to_status not in allowed:
            raise Conflict(
                ErrorCode.TRANSITION_NOT_ALLOWED,
                f"A {spec.label} cannot go from {spec.status_label(item.status)} to "
                f"{spec.status_label(to_status)}"
                + (f"; from here it can go to {', '.join(allowed)}." if allowed else "."),
                field="status",
            )
        _require_holder(actor, item)
        return _status_changed(item, actor=actor, to_status=to_status, reason=reason)


def status_change_event(
    kind: kinds.WorkItemKind,
    *,
    actor: User | None,
    previous: str | None,
    status: str,
    reason: str = "",
) -> TimelineEvent:
    """The unsaved event of a status change: written by the services below, or given to
    `work_item_create(then=...)` by a domain that opens its item already decided (no
    `previous`: the item was never in another status)."""
    moved = f"{kind.status_label(previous)} → " if previous else "Opened as "
    return timeline_event(
        actor=actor,
        event=Event.STATUS_CHANGED,
        summary=f"{moved}{kind.status_label(status)}{_by(actor)}",
        previous=previous,
        status=status,
        reason=reason.strip(),
    )


def _status_set(
    item: WorkItem, *, actor: User | None, to_status: str, reason: str
) -> TimelineEvent:
    """Change the item's status in memory: the caller saves it, and the event returned."""
    spec = item.kind_spec
    event = status_change_event(
        spec, actor=actor, previous=item.status, status=to_status, reason=reason
    )
    item.status = to_status
    item.closed_at = timezone.now() if spec.is_closed(to_status) else None
    return event


def _status_changed(item: WorkItem, *, actor: User | None, to_status: str, reason: str) -> WorkItem:
    event = _status_set(item, actor=actor, to_status=to_status, reason=reason)
    item.save(update_fields=["status", "closed_at"])
    _save(item, event)
    return item


def _require_may_follow(actor: User | None, item: WorkItem) -> None:
    """A domain action moves its record's item: the domain service has authorised the
    person for the record; here they must still see the item, and an item another
    person holds is theirs (a supervisor may act on it). `actor` None: the system."""
    if actor is None:
        return
    if not permissions.may(actor, "view", item):
        raise NotFound(ErrorCode.NOT_FOUND, f"Work item {item.pk} does not exist.")
    if item.assignee_id not in (None, actor.pk) and not permissions.can_supervise(actor):
        raise Conflict(
            ErrorCode.ALREADY_CLAIMED, f"Work item #{item.pk} is held by {item.assignee}."
        )


def _require_status(spec: kinds.WorkItemKind, status: str) -> None:
    if status not in spec.statuses:
        raise InvalidInput(
            ErrorCode.UNKNOWN_STATUS, f"{status!r} is not a status of {spec.label}.", field="status"
        )


def work_item_follow(
    *, actor: User | None, item_id: int, to_status: str, reason: str = ""
) -> WorkItem:
    """Move an item along its kind's transitions because the domain record it is about
    moved (a delinquent group is cancelled). The kind's table still decides what is
    allowed. `actor` None: a job did it, recorded as the system on the timeline."""
    with transaction.atomic():
        item = _lock(item_id)
        _require_may_follow(actor, item)
        _require_open(item)
        spec = item.kind_spec
        _require_status(spec, to_status)
        if to_status == item.status:
            return item
        if to_status not in spec.allowed_from(item.status):
            raise Conflict(
                ErrorCode.TRANSITION_NOT_ALLOWED,
                f"A {spec.label} cannot go from {spec.status_label(item.status)} to "
                f"{spec.status_label(to_status)}.",
                field="status",
            )
        return _status_changed(item, actor=actor, to_status=to_status, reason=reason)


def work_item_close(*, actor: User | None, item_id: int, status: str, reason: str = "") -> WorkItem:
    """Close an item with one of its kind's closed statuses because its domain record
    was decided (a policy change approved, a delinquent group reinstated). Kinds may
    leave decided statuses out of their transitions so that only the deciding service
    reaches them; this is that door. Refused for an item already closed.
    `actor` None: a job closed it, recorded as the system on the timeline."""
    with transaction.atomic():
        item = _lock(item_id)
        _require_may_follow(actor, item)
        _require_open(item)
        spec = item.kind_spec
        if not spec.is_closed(status):
            closed = ", ".join(sorted(spec.closed))
            raise InvalidInput(
                ErrorCode.UNKNOWN_STATUS,
                f"{status!r} does not close a {spec.label}; its closed statuses are {closed}.",
                field="status",
            )
        return _status_changed(item, actor=actor, to_status=status, reason=reason)


def work_item_route(
    *,
    actor: User | None,
    item_id: int,
    to_status: str | None = None,
    queue: str | None = None,
    reason: str = "",
) -> WorkItem:
    """Move an item to another open status of its kind and/or to the queue with slug
    `queue`, because its domain record moved there (a request referred to pharmacist
    review, pended for information). The domain owns these moves: the kind's transitions,
    which say what people may do by hand, are not consulted (prior authorization has
    none, so that only its services move its items). Closing is `work_item_close`'s.

    In another queue the item is released, for that queue's workers to claim. Each move
    is an event; both are written in one insert. `actor` None: the system."""
    with transaction.atomic():
        item = _lock(item_id)
        _require_may_follow(actor, item)
        _require_open(item)
        spec = item.kind_spec
        status = to_status if to_status != item.status else None
        if status is not None:
            _require_status(spec, status)
            if spec.is_closed(status):
                raise InvalidInput(
                    ErrorCode.TRANSITION_NOT_ALLOWED,
                    f"{spec.status_label(status)} closes a {spec.label}: its decision "
                    "closes it, a route does not.",
                    field="status",
                )
        target = (
            selectors.queue_by_slug(queue)
            if queue is not None and queue != item.queue.slug
            else None
        )
        events = []
        if status is not None:
            events.append(_status_set(item, actor=actor, to_status=status, reason=reason))
        if target is not None:
            events.append(_queue_set(item, actor=actor, queue=target, reason=reason))
        if events:
            item.save(update_fields=["status", "closed_at", "queue", "assignee", "claimed_at"])
            for event in events:
                event.work_item = item
            TimelineEvent.objects.bulk_create(events)
        return item


def _queue_set(item: WorkItem, *, actor: User | None, queue: Queue, reason: str) -> TimelineEvent:
    """Put the item, released, in `queue` in memory: the caller saves it, and the event."""
    previous, holder = item.queue, item.assignee
    item.queue, item.assignee, item.claimed_at = queue, None, None
    return timeline_event(
        actor=actor,
        event=Event.QUEUE_CHANGED,
        summary=f"Moved from {previous.name} to {queue.name}{_by(actor)}",
        previous_queue=previous.slug,
        queue=queue.slug,
        released=holder.username if holder else None,
        reason=reason.strip(),
    )


def work_item_reschedule(
    *, actor: User | None, item_id: int, due_at: datetime, escalate_at: datetime, reason: str = ""
) -> WorkItem:
    """Set the item's due and escalation times from its domain's own clock (an
    exception's regulatory clock starts when the prescriber's statement arrives). The
    new due time has its own escalation: one made for the old time is cleared, so the
    job raises the item again when `escalate_at` comes. `actor` None: the system."""
    for field, when in (("due_at", due_at), ("escalate_at", escalate_at)):
        if timezone.is_naive(when):
            raise InvalidInput(ErrorCode.INVALID, "The time needs a time zone.", field=field)
    if escalate_at > due_at:
        raise InvalidInput(
            ErrorCode.INVALID, "Escalation comes before the due time.", field="escalate_at"
        )
    with transaction.atomic():
        item = _lock(item_id)
        _require_may_follow(actor, item)
        _require_open(item)
        if (item.due_at, item.escalate_at) == (due_at, escalate_at):
            return item
        previous = item.due_at
        item.due_at, item.escalate_at, item.escalated_at = due_at, escalate_at, None
        item.save(update_fields=["due_at", "escalate_at", "escalated_at"])
        _event(
            item,
            actor=actor,
            event=Event.RESCHEDULED,
            summary=f"Due {timezone.localtime(due_at):%Y-%m-%d %H:%M %Z}{_by(actor)}",
            previous_due_at=previous.isoformat(),
            due_at=due_at.isoformat(),
            escalate_at=escalate_at.isoformat(),
            reason=reason.strip(),
        )
        return item


def recorded_event(*, actor: User | None, summary: str, **data: Any) -> TimelineEvent:
    """The unsaved event of something that happened to an item's domain record, as
    `work_item_record` writes it: for `work_item_create(then=...)`."""
    return timeline_event(actor=actor, event=Event.NOTE_ADDED, summary=summary.strip(), **data)


def work_item_record(
    *,
    actor: User | None,
    item_id: int,
    summary: str,
    data: dict[str, Any] | None = None,
    module_checked: bool = False,
) -> TimelineEvent:
    """Write on the item's timeline what happened to its domain record (more information
    received, the prescriber's statement arrived), with the domain's data. Like a note it
    moves nothing: it needs no claim, and a closed item takes it too.

    `module_checked`: as for `work_item_attach`, the item's module has decided by its own
    policy that `actor` may add to this record (a provider sends a statement), so the
    queue check is not made again. `actor` None: the system."""
    if not summary.strip():
        raise InvalidInput(ErrorCode.INVALID, "Say what happened.", field="summary")
    with transaction.atomic():
        item = _lock(item_id)
        if actor is not None and not module_checked:
            _require(actor, "note", item)
        return _save(item, recorded_event(actor=actor, summary=summary, **(data or {})))


def work_item_note_add(*, actor: User, item_id: int, body: str) -> Note:
    text = body.strip()
    if not text:
        raise InvalidInput(ErrorCode.INVALID, "A note cannot be empty.", field="body")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(
            ErrorCode.INVALID, f"A note is at most {NOTE_MAX_CHARS:,} characters.", field="body"
        )
    with transaction.atomic():
        item = _lock(item_id)
        _require(actor, "note", item)
        note = Note.objects.create(work_item=item, author=actor, body=text)
        _event(item, actor=actor, event=Event.NOTE_ADDED, summary=f"Note by {actor}", note=note.pk)
        return note


class Upload(Protocol):
    @property
    def name(self) -> str | None: ...

    def read(self, size: int = ...) -> bytes: ...


def work_item_attach(
    *, actor: User, item_id: int, upload: Upload, module_checked: bool = False
) -> Attachment:
    """Store a file on the item, named by its SHA-256, after checking size and type.

    `module_checked`: the item's own module has already decided, by its permission
    policy, that `actor` may add to this record (prior authorization: reps and
    pharmacists work one national desk across the intake and review queues), so the
    queue check is not made again. The file is still checked and `actor` recorded.
    """
    limit: int = settings.PAYERDESK_ATTACHMENT_MAX_BYTES
    name = Path(upload.name or "").name
    content = upload.read(limit + 1)  # one byte over the limit shows it is too large
    content_type = attachment_check(name, content)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        item = _lock(item_id)
        if not module_checked:
            _require(actor, "attach", item)
        attachment = Attachment(
            work_item=item,
            original_name=name[:200],
            content_type=content_type,
            size=len(content),
            sha256=digest,
            uploaded_by=actor,
        )
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
        _event(
            item,
            actor=actor,
            event=Event.ATTACHMENT_ADDED,
            summary=f"Attachment added by {actor} ({content_type}, {len(content):,} bytes)",
            attachment=attachment.pk,
            sha256=digest,
        )
        return attachment


def follow_up_schedule(
    *, actor: User, item_id: int, remind_at: datetime, message: str, owner: User | None = None
) -> FollowUp:
    if timezone.is_naive(remind_at):
        raise InvalidInput(
            ErrorCode.INVALID, "The reminder time needs a time zone.", field="remind_at"
        )
    if remind_at <= timezone.now():
        raise InvalidInput(
            ErrorCode.INVALID, "The reminder must be in the future.", field="remind_at"
        )
    text = message.strip()
    if not text:
        raise InvalidInput(ErrorCode.INVALID, "Say what to follow up on.", field="message")
    with transaction.atomic():
        item = _lock(item_id)
        _require(actor, "follow_up", item)
        _require_open(item)
        owner = owner or actor
        if not permissions.may(owner, "view", item):
            raise InvalidInput(
                ErrorCode.ASSIGNEE_NOT_ELIGIBLE, f"{owner} cannot see this item.", field="owner"
            )
        follow_up = FollowUp.objects.create(
            work_item=item, owner=owner, remind_at=remind_at, message=text[:300], created_by=actor
        )
        _event(
            item,
            actor=actor,
            event=Event.FOLLOW_UP_SCHEDULED,
            summary=f"Follow-up for {owner} at {timezone.localtime(remind_at):%Y-%m-%d %H:%M}",
            follow_up=follow_up.pk,
        )
        return follow_up


@dataclass(frozen=True)
class TickResult:
    escalated: int
    reminders_sent: int


def tick(*, now: datetime | None = None) -> TickResult:
    """The periodic job: escalations first, then reminders. Safe to run concurrently."""
    now = now or timezone.now()
    return TickResult(
        escalated=work_items_escalate(now=now), reminders_sent=follow_ups_send_due(now=now)
    )


def _supervisors_of(queue: Queue) -> list[User]:
    if queue.team_id and queue.team and queue.team.lead:
        return [queue.team.lead]
    return list(
        User.objects.filter(
            groups__permissions__codename="supervise_queue", is_active=True
        ).distinct()
    )


def work_items_escalate(*, now: datetime) -> int:
    """Raise every open item whose escalation time has come, once."""
    count = 0
    while True:
        with transaction.atomic():
            item = (
                WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("queue__team__lead", "assignee")
                .filter(closed_at__isnull=True, escalated_at__isnull=True, escalate_at__lte=now)
                .order_by("escalate_at", "id")
                .first()
            )
            if item is None:
                return count
            _escalate(item, now=now)
            count += 1


def _escalate(item: WorkItem, *, now: datetime) -> None:
    overdue = item.due_at <= now
    item.escalated_at = now
    item.priority = max(Priority.URGENT, item.priority - 1)
    item.save(update_fields=["escalated_at", "priority"])
    state = "overdue" if overdue else "about to fall due"
    _event(
        item,
        actor=None,
        event=Event.ESCALATED,
        summary=f"Escalated: {state} (due {timezone.localtime(item.due_at):%Y-%m-%d %H:%M})",
        overdue=overdue,
    )
    recipients = _supervisors_of(item.queue) + ([item.assignee] if item.assignee else [])
    email_on_commit(
        recipients,
        f"Escalated: work item #{item.pk} is {state}",
        f"{item.kind_spec.label} #{item.pk} in {item.queue.name} is {state}: it is due "
        f"{timezone.localtime(item.due_at):%Y-%m-%d %H:%M %Z}.\n{work_item_link(item)}",
    )


def follow_ups_send_due(*, now: datetime) -> int:
    """Email each owner whose follow-up time has come, once."""
    count = 0
    while True:
        with transaction.atomic():
            follow_up = (
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("work_item__queue", "owner")
                .filter(sent_at__isnull=True, remind_at__lte=now, work_item__closed_at__isnull=True)
                .order_by("remind_at", "id")
                .first()
            )
            if follow_up is None:
                return count
            follow_up.sent_at = now
            follow_up.save(update_fields=["sent_at"])
            item = follow_up.work_item
            _event(
                item,
                actor=None,
                event=Event.FOLLOW_UP_SENT,
                summary=f"Reminder sent to {follow_up.owner}",
                follow_up=follow_up.pk,
            )
            email_on_commit(
                [follow_up.owner],
                f"Follow up: work item #{item.pk}",
                # The note itself stays in payerdesk: staff write member details there.
                f"Your follow-up on {item.kind_spec.label} #{item.pk} in {item.queue.name} is due."
                f"\n{work_item_link(item)}",
            )
            count += 1


TOKEN_PREFIX = "pd_"  # noqa: S105 - a label, not a secret


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_issue(
    *, actor: User | None, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; the raw token is returned once and never stored."""
    if actor is not None and not actor.has_perm("core.add_apitoken"):
        raise NotPermitted("Only an administrator issues API tokens.")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(
            ErrorCode.INVALID, "The expiry must be in the future.", field="expires_at"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "API token",
        prefix=raw[:10],
        key_hash=_token_hash(raw),
        created_by=actor,
        expires_at=expires_at,
    )
    return token, raw


def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and not actor.has_perm("core.change_apitoken"):
        raise NotPermitted("Only an administrator revokes API tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> User:
    """The active user a usable token belongs to; NotAuthenticated says why not."""
    token = token_lookup(_token_hash(raw)) if raw.startswith(TOKEN_PREFIX) else None
    now = timezone.now()
    if token is None:
        raise NotAuthenticated("Unknown API token.")
    if token.revoked_at is not None:
        raise NotAuthenticated(f"API token {token.prefix}… was revoked.")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(f"API token {token.prefix}… expired.")
    if not token.user.is_active:
        raise NotAuthenticated("The account this API token belongs to is disabled.")
    # Record use at most once a minute: a busy client should not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    remember_permissions(token, token.user)
    return token.user


def access_log_record(
    *,
    user: User,
    action: str,
    channel: str,
    record_type: str,
    record_id: str,
    ip_address: str | None = None,
    user_agent: str = "",
    path: str = "",
) -> AccessLogEntry:
    return AccessLogEntry.objects.create(
        user=user,
        username=user.get_username(),
        action=action,
        channel=channel,
        record_type=record_type,
        record_id=record_id,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        path=path[:300],
    )

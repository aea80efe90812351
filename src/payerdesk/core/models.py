"""Organisation, people, the unified work item and the audit records."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils import timezone

from payerdesk.core import kinds


class User(AbstractUser):
    """A person who signs in: staff, or an outside employer or provider user."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Market(models.Model):
    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=80, unique=True)
    states = models.CharField(
        max_length=120, blank=True, help_text="USPS state codes the market covers, comma separated"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """A sales segment the sales administrators support (Health Systems, AIC, ...)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.PROTECT)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    class Clock(models.TextChoices):
        CALENDAR_HOURS = "calendar_hours", "Calendar hours"
        BUSINESS_DAYS = "business_days", "Business days (weekends and US federal holidays skipped)"

    name = models.CharField(max_length=80, unique=True)
    clock = models.CharField(max_length=20, choices=Clock.choices)
    amount = models.PositiveIntegerField(help_text="Hours or business days, as the clock says")
    escalate_before_hours = models.PositiveIntegerField(
        default=0, help_text="Escalate this many hours before the item falls due (0: when due)"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sla_amount_positive")
        ]

    def __str__(self) -> str:
        unit = "h" if self.clock == self.Clock.CALENDAR_HOURS else " business days"
        return f"{self.name} ({self.amount}{unit})"

    def due_at(self, start: datetime) -> datetime:
        from payerdesk.core.sla import due_at

        return due_at(start, clock=self.clock, amount=self.amount)


class Queue(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT)
    worker_roles = models.ManyToManyField(
        Group, blank=True, related_name="queues", help_text="Roles whose members work this queue"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    markets = models.ManyToManyField(Market, blank=True, help_text="Markets this person serves")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Priority(models.IntegerChoices):
    URGENT = 1, "Urgent"
    HIGH = 2, "High"
    NORMAL = 3, "Normal"
    LOW = 4, "Low"


class WorkItem(models.Model):
    """Everything a person has to do, whatever module it came from."""

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=40)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="items")
    market = models.ForeignKey(Market, null=True, blank=True, on_delete=models.PROTECT)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    escalate_at = models.DateTimeField(help_text="When the escalation job raises this item")
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Set when the item enters one of its kind's closed statuses; "open" means null.
    # Kept as a column (not derived from kind+status) so the open lists use an index.
    closed_at = models.DateTimeField(null=True, blank=True)
    phi = models.BooleanField(default=False, help_text="Holds member or patient data")
    # A hand-made item may name the record it is about: a type a module registered
    # (core.kinds.RecordType) and that record's id. Blank for module-made items, whose
    # records point at them instead.
    record_type = models.CharField(max_length=40, blank=True)
    record_id = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "closed_at", "due_at"], name="workitem_mywork"),
            models.Index(fields=["queue", "closed_at", "due_at"], name="workitem_queue"),
            models.Index(fields=["closed_at", "escalate_at"], name="workitem_escalation"),
            # Claim-next reads the head of a queue's unassigned open items.
            models.Index(
                fields=["queue", "due_at", "id"],
                condition=models.Q(assignee__isnull=True, closed_at__isnull=True),
                name="workitem_claimable",
            ),
        ]
        permissions = [
            ("work_queue", "Can claim and work items in the queues of their role"),
            ("supervise_queue", "Can assign any item and see queue health"),
            ("view_all_work", "Can see every work item"),
            ("market_scoped", "Sees only the work of the markets they serve"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def kind_spec(self) -> kinds.WorkItemKind:
        return kinds.get(self.kind)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def record_url(self) -> str | None:
        """The page of the domain record this item is about, when its kind or its
        link has one."""
        linked = kinds.record_type(self.record_type) if self.record_type else None
        if linked is not None:
            return linked.url(self.record_id)
        return self.kind_spec.record_url(self)

    @property
    def record_label(self) -> str:
        linked = kinds.record_type(self.record_type) if self.record_type else None
        return f"{linked.label} {self.record_id}" if linked else ""

    @property
    def status_label(self) -> str:
        return self.kind_spec.status_label(self.status)

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    def next_statuses(self) -> list[tuple[str, str]]:
        spec = self.kind_spec
        return [(code, spec.status_label(code)) for code in spec.allowed_from(self.status)]


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Bulk changes would bypass the row checks below: refuse them too."""

    def update(self, **kwargs: Any) -> int:
        raise ValueError(f"{self.model.__name__} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{self.model.__name__} is append-only")


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{type(self).__name__} is append-only")


class TimelineEvent(AppendOnlyModel):
    class Event(models.TextChoices):
        CREATED = "created", "Created"
        CLAIMED = "claimed", "Claimed"
        RELEASED = "released", "Released"
        ASSIGNED = "assigned", "Assigned"
        STATUS_CHANGED = "status_changed", "Status changed"
        QUEUE_CHANGED = "queue_changed", "Moved to another queue"
        RESCHEDULED = "rescheduled", "Due time changed"
        NOTE_ADDED = "note_added", "Note added"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        FOLLOW_UP_SCHEDULED = "follow_up_scheduled", "Follow-up scheduled"
        FOLLOW_UP_SENT = "follow_up_sent", "Follow-up reminder sent"
        ESCALATED = "escalated", "Escalated"

    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["work_item", "at"], name="timeline_item_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"


class Note(AppendOnlyModel):
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on #{self.work_item_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Stored under the content hash, never the uploaded name (which may hold PHI).
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(AppendOnlyModel):
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class FollowUp(models.Model):
    work_item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="follow_ups")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    remind_at = models.DateTimeField()
    message = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["remind_at", "id"]
        indexes = [models.Index(fields=["sent_at", "remind_at"], name="followup_due")]

    def __str__(self) -> str:
        return f"follow-up on #{self.work_item_id} at {self.remind_at:%Y-%m-%d %H:%M}"


class AccessLogEntry(AppendOnlyModel):
    """One view of a record that holds PHI: who, what, when, from where."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"
        EXPORT = "export", "Exported"

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        CLI = "cli", "CLI"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    record_type = models.CharField(max_length=60)
    record_id = models.CharField(max_length=60)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access log entries"
        indexes = [models.Index(fields=["record_type", "record_id"], name="accesslog_record")]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.record_type} {self.record_id}"


class ApiToken(models.Model):
    """A per-user API credential. Only a SHA-256 of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

"""Prior authorization requests: their choices, the clocks that bound them, the
information that arrives for them."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, Attachment, WorkItem
from payerdesk.priorauth.models.criteria import CriteriaSet
from payerdesk.priorauth.models.formulary import Drug, FormularyDrug
from payerdesk.priorauth.models.prescribers import Prescriber

if TYPE_CHECKING:
    from payerdesk.priorauth.models.letters import Letter


class LineOfBusiness(models.TextChoices):
    PART_D = "medicare_part_d", "Medicare Part D"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    FAX = "fax", "Fax"
    ONLINE = "online", "Online (API)"
    FHIR = "fhir", "FHIR (Da Vinci PAS)"


class RequestType(models.TextChoices):
    PRIOR_AUTH = "prior_auth", "Prior authorization"
    EXCEPTION = "exception", "Non-formulary exception"


class Status(models.TextChoices):
    AWAITING_STATEMENT = "awaiting_statement", "Awaiting prescriber statement"
    IN_REVIEW = "in_review", "Pharmacist review"
    PENDED = "pended", "Pended for more information"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


OPEN_STATUSES = (Status.AWAITING_STATEMENT, Status.IN_REVIEW, Status.PENDED)


class Decision(models.TextChoices):
    NONE = "", "Not decided"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"


class ClockRule(models.Model):
    """How long a determination may take, by line of business and urgency (admin data)."""

    line_of_business = models.CharField(max_length=30, choices=LineOfBusiness.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    hours = models.PositiveIntegerField()
    escalate_before_hours = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=120, blank=True, help_text="The rule this follows")

    class Meta:
        ordering = ["line_of_business", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["line_of_business", "urgency"], name="clockrule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="clockrule_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_line_of_business_display()} {self.urgency}: {self.hours} h"


class ClockRuleChange(AppendOnlyModel):
    """Who changed a determination clock, from what to what, and why."""

    rule = models.ForeignKey(ClockRule, on_delete=models.PROTECT, related_name="changes")
    # field -> [before, after]
    changes = models.JSONField(default=dict)
    reason = models.CharField(max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.rule} changed at {self.at:%Y-%m-%d %H:%M}"


class PriorAuthRequest(models.Model):
    """A prior authorization or non-formulary exception request, whichever door it came in."""

    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    member = models.ForeignKey("groups.Member", on_delete=models.PROTECT, related_name="+")
    prescriber = models.ForeignKey(Prescriber, on_delete=models.PROTECT, related_name="requests")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    formulary_drug = models.ForeignKey(
        FormularyDrug, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    line_of_business = models.CharField(max_length=30, choices=LineOfBusiness.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    answers = models.JSONField(default=dict, blank=True)
    criteria = models.ForeignKey(
        CriteriaSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, default="")
    automatic = models.BooleanField(default=False, help_text="Approved by the criteria alone")
    approval_start = models.DateField(null=True, blank=True)
    approval_end = models.DateField(null=True, blank=True)
    denial_reason = models.TextField(blank=True)
    unmet = models.JSONField(default=list, blank=True)
    information_requested = models.TextField(blank=True)
    supporting_statement = models.TextField(blank=True)
    statement_received_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    clock_start = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    claim_identifier = models.CharField(max_length=100, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    work_item = models.OneToOneField(
        WorkItem, on_delete=models.PROTECT, related_name="prior_auth_request"
    )
    # Not a column: the letters the service that made this request just now made with it
    # (intake: none, or its approval), so that showing it reads none back.
    letters_made: "list[Letter] | None" = None

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["member", "drug", "status"], name="priorauth_open_dup"),
            models.Index(fields=["received_at"], name="priorauth_received"),
        ]
        permissions = [
            ("decide_priorauthrequest", "Can approve, deny or pend a request (pharmacist)"),
            (
                "send_information",
                "Can send the information asked for on a pended request of an NPI they act "
                "for (provider)",
            ),
        ]

    def __str__(self) -> str:
        return f"PA-{self.pk}"

    @property
    def number(self) -> str:
        return f"PA-{self.pk}"

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    def letter_list(self) -> "Iterable[Letter]":
        """Its letters, oldest first: those made with it when it was made just now."""
        return self.letters_made if self.letters_made is not None else self.letters.all()


class InformationReceipt(AppendOnlyModel):
    """Information that arrived after a pharmacist pended a request: what had been asked,
    what came (changed answers, a note, the document), who brought it in, and where the
    request went next."""

    class Source(models.TextChoices):
        STAFF = "staff", "Recorded by staff"
        PROVIDER_PORTAL = "provider_portal", "Sent through the provider portal"

    request = models.ForeignKey(
        PriorAuthRequest, on_delete=models.PROTECT, related_name="information_receipts"
    )
    requested = models.TextField(help_text="What the pend asked the prescriber for")
    note = models.TextField(blank=True)
    # linkId -> {"before": answer or None, "after": answer or None}
    changed_answers = models.JSONField(default=dict, blank=True)
    attachment = models.ForeignKey(
        Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Status.choices)
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        default=Source.STAFF,
        help_text="Staff recorded what the office sent, or the provider sent it themselves "
        "(page or API)",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who recorded it, or the provider user who sent it",
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"Information received for {self.request} at {self.received_at:%Y-%m-%d %H:%M}"

"""Formulary, criteria sets, prescribers and prior authorization requests."""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, Attachment, WorkItem


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


class Drug(models.Model):
    """A drug by RxNorm concept (RXCUI) with its name, from the drug name file."""

    rxcui = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (RXCUI {self.rxcui})"


class FormularyVersion(models.Model):
    """One imported CMS basic formulary file; versions are kept, the latest is current."""

    formulary_id = models.CharField(max_length=20)
    formulary_version = models.CharField(max_length=20)
    contract_year = models.CharField(max_length=4)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    names_sha256 = models.CharField(max_length=64)
    drug_count = models.PositiveIntegerField()
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"Formulary {self.formulary_id} v{self.formulary_version} ({self.contract_year})"


class FormularyDrug(models.Model):
    """One row of a formulary file: an NDC of a drug, its tier and utilisation flags."""

    formulary = models.ForeignKey(FormularyVersion, on_delete=models.CASCADE, related_name="drugs")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="formulary_rows")
    ndc = models.CharField(max_length=11)
    tier = models.PositiveSmallIntegerField()
    quantity_limit = models.BooleanField()
    quantity_limit_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True
    )
    quantity_limit_days = models.PositiveSmallIntegerField(null=True, blank=True)
    prior_authorization = models.BooleanField()
    step_therapy = models.BooleanField()

    class Meta:
        ordering = ["drug__name", "ndc"]
        indexes = [
            models.Index(fields=["formulary", "ndc"], name="formularydrug_ndc"),
            models.Index(fields=["formulary", "drug"], name="formularydrug_drug"),
        ]

    def __str__(self) -> str:
        return f"{self.drug.name} NDC {self.ndc} tier {self.tier}"


class CriteriaSet(models.Model):
    """One version of the criteria for a drug or a group of drugs, as uploaded."""

    code = models.SlugField(max_length=60, help_text="The drug or drug group, e.g. glp1-t2d")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    rxcuis = models.JSONField(default=list, help_text="RXCUIs the criteria apply to")
    questionnaire = models.JSONField()
    decision = models.JSONField(help_text="GoRules JDM decision graph")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="criteriaset_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CriteriaDrug(models.Model):
    """Which drugs a criteria version covers, as rows so a drug finds its criteria fast."""

    criteria = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="drug_rows")
    rxcui = models.CharField(max_length=12, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["criteria", "rxcui"], name="criteriadrug_unique")
        ]

    def __str__(self) -> str:
        return f"RXCUI {self.rxcui} in {self.criteria}"


class Prescriber(models.Model):
    npi = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    portal_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="prescribers",
        help_text="Provider users who act for this NPI and see its requests",
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            ("link_portal_user", "Can let a provider user act for an NPI (administrator)"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (NPI {self.npi})"


class PrescriberChange(AppendOnlyModel):
    """Who registered a prescriber or changed their name or email (letters go there)."""

    class Action(models.TextChoices):
        REGISTERED = "registered", "Registered"
        CHANGED = "changed", "Changed"

    prescriber = models.ForeignKey(Prescriber, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    # field -> [before, after]
    changes = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.prescriber} {self.action} at {self.at:%Y-%m-%d %H:%M}"


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


class Letter(models.Model):
    """A determination letter: recorded as due with the decision (in its transaction), then
    made (PDF), kept on the request and emailed to the prescriber by the task worker
    (`services.letter_issue`). Until then it has no content and `issued_at` is empty."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", "Approval"
        DENIAL = "denial", "Denial"
        MORE_INFORMATION = "more_information", "Request for more information"

    request = models.ForeignKey(PriorAuthRequest, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=100)
    content = models.BinaryField(blank=True, default=b"")
    sha256 = models.CharField(max_length=64, blank=True)
    text = models.TextField(
        blank=True,
        help_text="The decision's own words as they were when it was made: the denial "
        "reason or the information asked for (the request may change before the letter is made)",
    )
    sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the PDF was made and the notice queued"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


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

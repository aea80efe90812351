"""Employer groups, their products, plan designs and rate tables, members and coverages.

Coverage rows are date-effective: a change ends one row and starts another, so the
coverage (and the premium billed) on any date is answerable, which billing needs to
compute a list bill for any period.
"""

from datetime import date

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, Market, User, WorkItem

state_code = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter USPS state code.")


class GroupStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LAPSED = "lapsed", "Lapsed (grace period over)"
    CANCELLED = "cancelled", "Cancelled for non-payment"
    TERMINATED = "terminated", "Terminated"


class EmployerGroup(models.Model):
    group_number = models.CharField(max_length=20, unique=True)
    legal_name = models.CharField(max_length=200)
    situs_state = models.CharField(max_length=2, validators=[state_code])
    market = models.ForeignKey(Market, on_delete=models.PROTECT)
    effective_date = models.DateField()
    billing_contact_name = models.CharField(max_length=120)
    billing_contact_email = models.EmailField()
    billing_contact_phone = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=20, choices=GroupStatus.choices, default="active")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    welcome_call = models.OneToOneField(
        WorkItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The employer's own administrators (outside role): they see this group only.
    portal_users = models.ManyToManyField(User, blank=True, related_name="employer_groups")

    class Meta:
        ordering = ["group_number"]

    def __str__(self) -> str:
        return f"{self.group_number} {self.legal_name}"


class SetupStep(models.Model):
    """One line of a group's case set-up checklist."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.CASCADE, related_name="setup_steps")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=120)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "position"], name="setup_step_position")
        ]

    def __str__(self) -> str:
        return self.label


class Product(models.Model):
    """A worksite or group product, with its X12 insurance line code (HD03)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    insurance_line = models.CharField(max_length=3, help_text="X12 HD03: LIF, AH, DEN, VIS, ...")
    x12_plan_description = models.CharField(
        max_length=50, blank=True,
        help_text="X12 HD04 (plan coverage description) naming this product in 834s, e.g. "
        "ACCIDENT; it tells apart a group's products on the same insurance line (accident, "
        "critical illness and hospital indemnity are all AH). Empty: the product's code or "
        "name is matched instead.",
    )  # fmt: skip

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tier(models.TextChoices):
    """Coverage levels, with their X12 HD05 codes."""

    EMPLOYEE = "EMP", "Employee only"
    EMPLOYEE_SPOUSE = "ESP", "Employee and spouse"
    EMPLOYEE_CHILDREN = "ECH", "Employee and children"
    FAMILY = "FAM", "Family"


class RateBasis(models.TextChoices):
    TIER = "tier", "Monthly premium by coverage tier"
    PER_UNIT = "per_unit", "Monthly rate per unit of benefit"


class AgeRule(models.TextChoices):
    """The date on which a member's age is taken for rating."""

    EFFECTIVE_DATE = "effective_date", "Coverage effective date"
    PLAN_ANNIVERSARY = "plan_anniversary", "Latest plan anniversary"
    JANUARY_FIRST = "january_first", "January 1 of the coverage year"


class PlanDesign(models.Model):
    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="plans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    name = models.CharField(max_length=120)
    effective_date = models.DateField()
    eligibility_class = models.CharField(max_length=120, default="All full-time employees")
    waiting_period_days = models.PositiveSmallIntegerField(default=0)
    grace_period_days = models.PositiveSmallIntegerField(
        default=31,
        validators=[MaxValueValidator(365)],
        help_text="Days after premium falls due before coverage lapses for non-payment",
    )
    tiers = models.JSONField(default=list, help_text='Tier codes offered, e.g. ["EMP", "FAM"]')
    rate_basis = models.CharField(max_length=10, choices=RateBasis.choices)
    unit_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        help_text="Benefit per unit for per-unit rates, e.g. 1000.00",
    )  # fmt: skip
    min_benefit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_benefit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    guaranteed_issue = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="Benefit above this needs evidence of insurability",
    )  # fmt: skip
    age_rule = models.CharField(max_length=20, choices=AgeRule.choices, default="effective_date")

    class Meta:
        ordering = ["group", "product"]
        constraints = [
            models.UniqueConstraint(fields=["group", "product"], name="one_plan_per_product"),
            models.CheckConstraint(
                condition=~models.Q(rate_basis="per_unit") | models.Q(unit_amount__gt=0),
                name="per_unit_plans_have_a_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.group_number} {self.name}"


class RateRow(models.Model):
    """One cell of a plan's rate table: an age band, tobacco status and tier."""

    plan = models.ForeignKey(PlanDesign, on_delete=models.CASCADE, related_name="rates")
    age_min = models.PositiveSmallIntegerField(default=0)
    age_max = models.PositiveSmallIntegerField(default=120)
    tobacco = models.BooleanField(null=True, blank=True, help_text="Empty: applies to both")
    tier = models.CharField(max_length=3, choices=Tier.choices, blank=True)
    rate = models.DecimalField(max_digits=10, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["plan", "tier", "tobacco", "age_min"]
        constraints = [
            models.CheckConstraint(condition=models.Q(age_min__lte=models.F("age_max")),
                                   name="rate_age_band_ordered"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.plan} {self.tier or 'any tier'} {self.age_min}-{self.age_max}: {self.rate}"


class Relationship(models.TextChoices):
    """X12 INS02 codes."""

    SELF = "18", "Employee"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    DOMESTIC_PARTNER = "53", "Life partner"


class Member(models.Model):
    """An employee (subscriber) or one of their dependents. Holds PHI."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="members")
    employee = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependents",
        help_text="For a dependent, the employee (subscriber) they are covered through",
    )
    subscriber_id = models.CharField(max_length=30, help_text="The employee's id (REF*0F)")
    member_id = models.CharField(max_length=30, help_text="This person's id (NM109)")
    relationship = models.CharField(max_length=2, choices=Relationship.choices)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=[("F", "Female"), ("M", "Male"), ("U", "Unknown")])
    address_line1 = models.CharField(max_length=100, blank=True)
    address_line2 = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    hire_date = models.DateField(null=True, blank=True)
    employment_class = models.CharField(max_length=60, blank=True)
    tobacco = models.BooleanField(default=False)

    class Meta:
        ordering = ["group", "subscriber_id", "relationship", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "member_id"], name="member_id_in_group"),
        ]
        # The national desks (coverage review, pharmacy) find a member by id in any group.
        indexes = [models.Index(fields=["member_id"], name="member_id_any_group")]

    def __str__(self) -> str:
        return f"member {self.member_id}"  # no names: str() reaches logs and admin titles


class CoverageStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated (covered through its end date)"
    CANCELLED = "cancelled", "Cancelled (never in force)"


class CoverageQuerySet(models.QuerySet["Coverage"]):
    def in_force(self, *, on: date) -> "CoverageQuerySet":
        """The coverages in force on `on`: started by then, not ended before it, and not
        cancelled. A cancelled coverage is never in force, on any day: it is stored
        ending on its start date, and that date is not covered. This is the one meaning
        of "in force"; `Coverage.covers` answers the same for a row in memory."""
        return self.filter(
            models.Q(end_date__isnull=True) | models.Q(end_date__gte=on), start_date__lte=on
        ).exclude(status=CoverageStatus.CANCELLED)


class Coverage(models.Model):
    """A member's coverage under one plan for a span of dates, with its premium.

    `end_date` is the last covered day (inclusive); empty while open-ended. A change
    ends the current row the day before the change and starts a new one. A cancelled
    row (never in force) ends on its start date.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="coverages")
    plan = models.ForeignKey(PlanDesign, on_delete=models.PROTECT, related_name="coverages")
    tier = models.CharField(max_length=3, choices=Tier.choices)
    benefit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=CoverageStatus.choices, default="active")
    monthly_premium = models.DecimalField(max_digits=10, decimal_places=2)
    rated_age = models.PositiveSmallIntegerField()
    rated_tobacco = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["member", "plan", "start_date"]
        indexes = [models.Index(fields=["plan", "start_date"], name="coverage_plan_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="coverage_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"coverage {self.pk} ({self.plan.product.code}, {self.tier})"

    def covers(self, on: date) -> bool:
        """Whether this row is in force on `on`, as `Coverage.objects.in_force` says (a
        row in memory, e.g. one an import is about to write; tests hold the two equal)."""
        if self.status == CoverageStatus.CANCELLED:
            return False
        return self.start_date <= on and (self.end_date is None or on <= self.end_date)

    def runs_past(self, last_day: date) -> bool:
        """Whether a termination after `last_day` ends (or cancels) this row: it was in
        force, or was to be, on some later day (open-ended, or set to end later)."""
        if self.status == CoverageStatus.CANCELLED:
            return False
        return self.end_date is None or self.end_date > last_day


class EnrollmentFile(models.Model):
    """An 834 as received, kept with its hash; applied at most once."""

    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    interchange_control_number = models.CharField(max_length=9)
    content = models.FileField(upload_to="enrollment/", max_length=200)
    size = models.PositiveBigIntegerField()
    received_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["interchange_control_number", "sha256"], name="enrollment_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"834 {self.interchange_control_number} ({self.name})"


class CensusFile(models.Model):
    """A census (CSV or Excel) as received, kept with its hash; applied at most once."""

    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    content = models.FileField(upload_to="census/", max_length=200)
    size = models.PositiveBigIntegerField()
    received_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"census {self.name}"


class ImportJob(models.Model):
    """A large enrollment file (834 or census) imported in the background.

    `processed` counts member loops or rows done; the counts of a running job are
    read from its progress file (the import's transaction hides its own writes).
    """

    class Kind(models.TextChoices):
        X834 = "834", "X12 834 enrollment"
        CENSUS = "census", "Census (CSV or Excel)"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    content = models.FileField(upload_to="imports/", max_length=200)
    size = models.PositiveBigIntegerField()
    dry_run = models.BooleanField(default=False)
    apply_audit = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Estimated loops or rows")
    processed = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="The located error of a failed import")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import job {self.pk} ({self.kind}, {self.state})"


# --- Policy changes under underwriting rules; terminations and reinstatements -----------


class UnderwritingRuleSet(models.Model):
    """One version of a GoRules JDM decision table for policy-change underwriting.

    Scope: a group, a product (optionally in one state), a state, or none (the default).
    The newest version of the most specific scope that matches a change decides it.
    """

    group = models.ForeignKey(
        EmployerGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=2, blank=True, validators=[state_code])
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    content = models.JSONField(help_text="The JDM graph, as uploaded")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group", "product", "state", "-version"]
        # One version number per scope, an absent group or product counting as a scope of
        # its own: one partial unique index per combination of the two (as NULLS NOT
        # DISTINCT would on PostgreSQL, which SQLite cannot declare).
        constraints = [
            models.UniqueConstraint(
                fields=[*scope, "state", "version"],
                condition=models.Q(group__isnull="group" not in scope)
                & models.Q(product__isnull="product" not in scope),
                name=f"underwriting_rule_set_version{suffix}",
            )
            for scope, suffix in (
                (["group", "product"], ""),
                (["group"], "_any_product"),
                (["product"], "_any_group"),
                ([], "_default"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} v{self.version}"

    @property
    def scope_label(self) -> str:
        parts = []
        if self.group is not None:
            parts.append(f"group {self.group.group_number}")
        if self.product is not None:
            parts.append(f"product {self.product.code}")
        if self.state:
            parts.append(f"state {self.state}")
        return ", ".join(parts) or "default"


class ChangeType(models.TextChoices):
    BENEFIT_ADD = "benefit_add", "Benefit add"
    BENEFIT_DELETE = "benefit_delete", "Benefit delete"
    BENEFIT_INCREASE = "benefit_increase", "Benefit increase"
    BENEFIT_DECREASE = "benefit_decrease", "Benefit decrease"
    TOBACCO_CHANGE = "tobacco_change", "Tobacco status change"
    DEPENDENT_ADD = "dependent_add", "Add a dependent"
    DEPENDENT_REMOVE = "dependent_remove", "Remove a dependent"


class ChangeChannel(models.TextChoices):
    STAFF = "staff", "Staff"
    PORTAL = "portal", "Employer portal"


class ChangeStatus(models.TextChoices):
    REFERRED = "referred", "Referred to underwriting"
    APPLIED = "applied", "Applied"
    DECLINED = "declined", "Declined"


class RuleOutcome(models.TextChoices):
    ALLOW = "allow", "Allowed by the rules"
    REFER = "refer", "Referred by the rules"


class PolicyChange(models.Model):
    """A request to change a member's coverage, decided by the underwriting rules."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="policy_changes")
    change_type = models.CharField(max_length=20, choices=ChangeType.choices)
    plan = models.ForeignKey(
        PlanDesign, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_date = models.DateField()
    # Requested values; which apply depends on the change type.
    new_benefit_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    new_tier = models.CharField(max_length=3, choices=Tier.choices, blank=True)
    new_tobacco = models.BooleanField(null=True, blank=True)
    signed_statement = models.BooleanField(
        default=False, help_text="A signed non-tobacco statement is on file"
    )
    qualifying_event_date = models.DateField(null=True, blank=True)
    dependent = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The dependent removed, or the one created when an add is applied",
    )  # fmt: skip
    dependent_details = models.JSONField(
        default=dict, blank=True, help_text="For an add: member id, names, birth date, sex"
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=ChangeChannel.choices)
    status = models.CharField(max_length=10, choices=ChangeStatus.choices)
    rule_outcome = models.CharField(max_length=10, choices=RuleOutcome.choices)
    rule = models.CharField(max_length=300, blank=True, help_text="The rule that stopped it")
    rule_set = models.CharField(max_length=120, help_text="The rule set version that decided")
    old_premium = models.DecimalField(max_digits=10, decimal_places=2)
    new_premium = models.DecimalField(max_digits=10, decimal_places=2)
    work_item = models.OneToOneField(
        WorkItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"policy change {self.pk} ({self.change_type})"


class TerminationReason(models.TextChoices):
    EMPLOYMENT_ENDED = "employment_ended", "Employment ended"
    VOLUNTARY = "voluntary", "Voluntary cancellation"
    NONPAYMENT = "nonpayment", "Non-payment of premium"
    DEATH = "death", "Death"
    DIVORCE = "divorce", "Divorce or dissolution"
    AGE_OUT = "age_out", "Dependent aged out"
    GROUP_ENDED = "group_ended", "Group contract ended"
    OTHER = "other", "Other"


class ReinstatementReason(models.TextChoices):
    PAYMENT_RECEIVED = "payment_received", "Premium paid"
    TERMINATED_IN_ERROR = "terminated_in_error", "Terminated in error"
    REHIRED = "rehired", "Rehired"
    APPEAL = "appeal", "Appeal granted"
    OTHER = "other", "Other"


class PolicyEvent(AppendOnlyModel):
    """The audit trail of coverage changes, terminations and reinstatements."""

    class Event(models.TextChoices):
        COVERAGE_ADDED = "coverage_added", "Coverage added"
        CHANGE_APPLIED = "change_applied", "Policy change applied"
        COVERAGE_TERMINATED = "coverage_terminated", "Coverage terminated"
        COVERAGE_REINSTATED = "coverage_reinstated", "Coverage reinstated"
        GROUP_LAPSED = "group_lapsed", "Group lapsed (premium unpaid past grace)"
        GROUP_TERMINATED = "group_terminated", "Group terminated"
        GROUP_REINSTATED = "group_reinstated", "Group reinstated"
        GROUP_MARKET_CHANGED = "group_market_changed", "Group moved to another market"

    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coverage = models.ForeignKey(
        Coverage, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    event = models.CharField(max_length=30, choices=Event.choices)
    effective_date = models.DateField()
    reason = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event} {self.effective_date}"

    @property
    def reason_label(self) -> str:
        """The reason as users read it ("Non-payment of premium"), whichever kind it is."""
        labels = {**dict(TerminationReason.choices), **dict(ReinstatementReason.choices)}
        return str(labels.get(self.reason, self.reason))


class PremiumChange(AppendOnlyModel):
    """The premium difference a retroactive change makes to one monthly period, so
    billing can reverse what it billed and bill again."""

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(help_text="The first day of the month billed")
    old_amount = models.DecimalField(max_digits=10, decimal_places=2)
    new_amount = models.DecimalField(max_digits=10, decimal_places=2)
    difference = models.DecimalField(max_digits=10, decimal_places=2)
    cause = models.CharField(max_length=200)
    policy_change = models.ForeignKey(
        PolicyChange, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period", "id"]

    def __str__(self) -> str:
        return f"premium change {self.period:%Y-%m}: {self.difference}"

"""Policy changes under underwriting rules; terminations and reinstatements."""

from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, User, WorkItem
from payerdesk.groups.models.groups import EmployerGroup, PlanDesign, Product, Tier, state_code
from payerdesk.groups.models.members import Coverage, Member


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

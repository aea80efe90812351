"""Premium billing: schedules, list bills and a double-entry premium ledger.

Money moves only through balanced journal entries; balances are sums of journal lines
(see `selectors`), never a stored column that someone edits.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, User, WorkItem
from payerdesk.groups.models import Coverage, EmployerGroup, Member

ZERO = Decimal("0.00")


class BillingMode(models.TextChoices):
    """How often premium is deducted, with the deductions in a year."""

    WEEKLY = "weekly", "Weekly (52)"
    BIWEEKLY = "biweekly", "Bi-weekly (26)"
    SEMIMONTHLY = "semimonthly", "Semi-monthly (24)"
    MONTHLY = "monthly", "Monthly (12)"


class BillingSchedule(models.Model):
    """How and when a group is billed. One per group.

    Billing years start on the anniversaries of `first_period_start`; each year has
    exactly the mode's number of periods (see `schedules.periods_of_year`).
    """

    group = models.OneToOneField(
        EmployerGroup, on_delete=models.PROTECT, related_name="billing_schedule"
    )
    mode = models.CharField(max_length=12, choices=BillingMode.choices, default="monthly")
    bill_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of the month the bill is dated (monthly and semi-monthly modes)",
    )
    lead_days = models.PositiveSmallIntegerField(
        default=15, help_text="Days before a period starts that its bill is generated"
    )
    grace_days = models.PositiveSmallIntegerField(
        default=31, help_text="Days after the due date before the policy lapses"
    )
    tolerance = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text="Per member and period, differences up to this are applied automatically",
    )
    first_period_start = models.DateField(help_text="Day of the month 1-28")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"billing schedule of {self.group.group_number} ({self.get_mode_display()})"


class ListBillStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    RECONCILED = "reconciled", "Reconciled"


class ListBill(models.Model):
    """One bill to an employer for one period: a line per member per coverage."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="list_bills")
    period_start = models.DateField()
    period_end = models.DateField()
    bill_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=ListBillStatus.choices, default="open")
    total = models.DecimalField(max_digits=14, decimal_places=2)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["group", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["group", "period_start"], name="one_bill_per_period")
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="listbill_status_due")]

    def __str__(self) -> str:
        return f"list bill {self.group.group_number} {self.period_start:%Y-%m-%d}"


class LineKind(models.TextChoices):
    PREMIUM = "premium", "Premium"
    ADJUSTMENT = "adjustment", "Adjustment"


class ListBillLine(models.Model):
    """Premium due for one member's coverage in one period, or an adjustment to an
    earlier period (the period it corrects is the line's own period)."""

    bill = models.ForeignKey(ListBill, on_delete=models.CASCADE, related_name="lines")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["bill", "id"]
        indexes = [models.Index(fields=["member", "period_start"], name="listbillline_member")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.period_start:%Y-%m-%d})"


class Account(models.TextChoices):
    PREMIUM_RECEIVABLE = "premium_receivable", "Premium receivable"
    CASH = "cash", "Cash"
    SUSPENSE = "suspense", "Suspense"
    REFUNDS_PAYABLE = "refunds_payable", "Refunds payable"
    WRITE_OFF = "write_off", "Write-off"
    PREMIUM_INCOME = "premium_income", "Premium income"


class JournalEntry(AppendOnlyModel):
    """One balanced movement of money. Never changed: a mistake is reversed."""

    at = models.DateTimeField(default=timezone.now)
    effective_date = models.DateField()
    memo = models.CharField(max_length=200)
    source = models.CharField(max_length=30, help_text='What posted it: "list_bill", "payment"')
    source_id = models.CharField(max_length=40, blank=True)
    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["source", "source_id"], name="journalentry_source")]

    def __str__(self) -> str:
        return f"journal entry {self.pk} {self.source} {self.source_id}"


class JournalLine(AppendOnlyModel):
    """A debit or a credit to one account; exactly one of the two is above zero."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=20, choices=Account.choices)
    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["entry", "id"]
        indexes = [
            models.Index(fields=["account", "group", "member"], name="journalline_balance"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(debit__gte=0, credit__gte=0)
                & (models.Q(debit=0) | models.Q(credit=0)),
                name="journal_line_one_side_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} Dr {self.debit} Cr {self.credit}"


class DelinquencyStage(models.TextChoices):
    LAPSED = "lapsed", "Lapsed: grace period over, notice sent"
    CANCELLED = "cancelled", "Cancelled for non-payment"
    REINSTATED = "reinstated", "Reinstated: back premium paid"


class Delinquency(models.Model):
    """A group's unpaid bill past its grace period, from lapse to cancellation or
    reinstatement. The work item is the administrator's to-do."""

    group = models.ForeignKey(EmployerGroup, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey(ListBill, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=12, choices=DelinquencyStage.choices)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    grace_ended_on = models.DateField()
    lapsed_on = models.DateField()
    cancel_on = models.DateField(help_text="Cancelled for non-payment on this day if unpaid")
    paid_through = models.DateField(help_text="Last day of the last fully paid period")
    cancelled_on = models.DateField(null=True, blank=True)
    reinstated_on = models.DateField(null=True, blank=True)
    # Coverages the cancellation ended, so a reinstatement restores exactly those.
    ended_coverage_ids = models.JSONField(default=list)
    work_item = models.OneToOneField(WorkItem, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-lapsed_on", "id"]
        verbose_name_plural = "delinquencies"
        constraints = [
            models.UniqueConstraint(
                fields=["group"],
                condition=~models.Q(stage="reinstated"),
                name="one_open_delinquency_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"delinquency {self.pk} of {self.group.group_number} ({self.stage})"


# Remittances, variances and refunds live in their own module (the `remit` work);
# importing it here registers them with the billing app.
from payerdesk.billing import remit_models  # noqa: E402, F401

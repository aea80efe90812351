"""Billing schedules and the list bills they produce, line by line."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from payerdesk.core.models import User
from payerdesk.core.money import ZERO


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
        "groups.EmployerGroup", on_delete=models.PROTECT, related_name="billing_schedule"
    )
    mode = models.CharField(max_length=12, choices=BillingMode.choices, default="monthly")
    bill_day = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Day of its period the premium is due (1: the period's first day)",
    )
    lead_days = models.PositiveSmallIntegerField(
        default=15, help_text="Days before a period starts that its bill is generated"
    )
    # The grace period is a term of each plan design (`PlanDesign.grace_period_days`),
    # not of the schedule: see `delinquency` for how a bill's grace is chosen.
    tolerance = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text="Per member and period, differences up to this are applied automatically",
    )
    first_period_start = models.DateField(help_text="Day of the month 1-28")
    # Where the employer's premium refunds are paid by ACH (the NACHA export).
    refund_routing_number = models.CharField(
        max_length=9, blank=True, help_text="ABA routing number of the employer's bank"
    )
    refund_account_number = models.CharField(max_length=17, blank=True)
    refund_account_type = models.CharField(
        max_length=8,
        choices=[("checking", "Checking"), ("savings", "Savings")],
        default="checking",
    )
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

    group = models.ForeignKey(
        "groups.EmployerGroup", on_delete=models.PROTECT, related_name="list_bills"
    )
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
    # No database constraint on member and coverage: a bill of 200,000 lines would
    # check and key-share-lock 400,000 member and coverage rows at commit (most of the
    # time it takes). Lines are written from a join over those very rows, and Django's
    # PROTECT still refuses to delete a member or coverage that was billed.
    # Indexed by (member, period_start) below, so not by member alone.
    member = models.ForeignKey(
        "groups.Member",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    coverage = models.ForeignKey(
        "groups.Coverage", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
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

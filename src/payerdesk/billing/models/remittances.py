"""Remittances, their reconciliation variances, and refunds.

Money on these rows is what was received or decided; what it did to the ledger is in
the journal entries they point at by `source` / `source_id`.
"""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from payerdesk.core.models import User, WorkItem
from payerdesk.core.money import ZERO


class RemittanceSource(models.TextChoices):
    X12_820 = "820", "X12 820"
    CSV = "csv", "Returned list bill (CSV)"
    EXCEL = "excel", "Returned list bill (Excel)"
    KEYED = "keyed", "Payment keyed by hand"


class PaymentMethod(models.TextChoices):
    CHECK = "check", "Check"
    ACH = "ach", "ACH"
    OTHER = "other", "Other (as the 820 says)"


class Remittance(models.Model):
    """One amount an employer paid, and (for files) who it is for."""

    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=5, choices=RemittanceSource.choices)
    name = models.CharField(max_length=200, help_text="File name, or the keyed reference")
    sha256 = models.CharField(max_length=64, blank=True)
    interchange_control_number = models.CharField(max_length=9, blank=True)
    content = models.FileField(upload_to="remittances/", max_length=200, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    payment_method = models.CharField(max_length=5, choices=PaymentMethod.choices)
    payment_date = models.DateField()
    reference = models.CharField(max_length=80, blank=True, help_text="Trace, check or ACH id")
    received_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "interchange_control_number", "sha256"],
                condition=~models.Q(sha256=""),
                name="remittance_file_once",
            )
        ]

    def __str__(self) -> str:
        return f"remittance {self.pk} ({self.get_source_display()}, {self.total})"


class RemittanceLine(models.Model):
    """What the employer says one amount is for: a member and a period."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(help_text="Row of the sheet or RMR segment number")
    member_ref = models.CharField(max_length=30, help_text="The member id as the payer sent it")
    member = models.ForeignKey(
        "groups.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    billed = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["remittance", "position"]

    def __str__(self) -> str:
        return f"line {self.position}: {self.paid}"


class VarianceKind(models.TextChoices):
    PAID_NOT_BILLED = "paid_not_billed", "Paid, not billed"
    BILLED_NOT_PAID = "billed_not_paid", "Billed, not paid"
    SHORT_PAID = "short_paid", "Short paid"
    OVER_PAID = "over_paid", "Over paid"
    TERMINATED_MEMBER = "terminated_member", "Paid for a terminated member"
    UNKNOWN_MEMBER = "unknown_member", "Unknown member"
    PERIOD_MISMATCH = "period_mismatch", "Period mismatch"
    GROUP_CANCELLED = "group_cancelled", "Paid for a cancelled group"


class VarianceStatus(models.TextChoices):
    APPLIED = "applied", "Within tolerance: applied"
    OPEN = "open", "Still due from the employer"
    SUSPENSE = "suspense", "In suspense"
    RESOLVED_APPLIED = "resolved_applied", "Applied by an administrator"
    REFUNDED = "refunded", "Refunded"
    WRITTEN_OFF = "written_off", "Written off"


SETTLED = (VarianceStatus.RESOLVED_APPLIED, VarianceStatus.REFUNDED, VarianceStatus.WRITTEN_OFF)


class Variance(models.Model):
    """A difference between what was billed and what was paid, member by member and
    period by period; `held` is the amount sitting in suspense for it."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="variances")
    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        "groups.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member_ref = models.CharField(max_length=30, blank=True)
    period_start = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=VarianceKind.choices)
    billed = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    held = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    status = models.CharField(max_length=16, choices=VarianceStatus.choices)
    reason = models.CharField(max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    work_item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["remittance", "id"]
        indexes = [models.Index(fields=["group", "status"], name="variance_group_status")]

    def __str__(self) -> str:
        return f"variance {self.pk} {self.kind} {self.paid - self.billed}"

    @property
    def difference(self) -> Decimal:
        return self.paid - self.billed


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting a second approver"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPORTED = "exported", "Exported for payment"


class Refund(models.Model):
    """Money owed back to the employer, from suspense or from reversed premium."""

    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        "groups.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    variance = models.ForeignKey(
        Variance, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    from_account = models.CharField(max_length=20, help_text="suspense or premium_receivable")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    # Period start (ISO, or "" for none) -> amount, as the ledger moves it on approval.
    breakdown = models.JSONField(default=dict)
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=RefundStatus.choices)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"refund {self.pk} {self.amount} ({self.status})"

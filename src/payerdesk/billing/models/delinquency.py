"""Premium unpaid past its grace period: lapse, cancellation, reinstatement."""

from django.db import models

from payerdesk.billing.models.listbills import ListBill
from payerdesk.core.models import WorkItem


class DelinquencyStage(models.TextChoices):
    LAPSED = "lapsed", "Lapsed: grace period over, notice sent"
    CANCELLED = "cancelled", "Cancelled for non-payment"
    REINSTATED = "reinstated", "Reinstated: back premium paid"


class Delinquency(models.Model):
    """Premium unpaid past its grace period, from lapse to cancellation or
    reinstatement: the whole group's (`member` empty), or one member's when the
    employer paid the bill but not for that member. The work item is the
    administrator's to-do."""

    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        "groups.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
                condition=~models.Q(stage="reinstated") & models.Q(member__isnull=True),
                name="one_open_delinquency_per_group",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=~models.Q(stage="reinstated") & models.Q(member__isnull=False),
                name="one_open_delinquency_per_member",
            ),
        ]

    def __str__(self) -> str:
        whose = f"member {self.member_id} of " if self.member_id else ""
        return f"delinquency {self.pk} of {whose}{self.group.group_number} ({self.stage})"

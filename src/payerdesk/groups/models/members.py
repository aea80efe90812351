"""Members (employees and their dependents) and their coverages.

Coverage rows are date-effective: a change ends one row and starts another, so the
coverage (and the premium billed) on any date is answerable, which billing needs to
compute a list bill for any period.
"""

from datetime import date

from django.db import models
from django.utils import timezone

from payerdesk.groups.models.groups import EmployerGroup, PlanDesign, Tier


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

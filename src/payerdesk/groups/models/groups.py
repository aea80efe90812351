"""Employer groups, their set-up steps, products, plan designs and rate tables."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from payerdesk.core.models import Market, User, WorkItem

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

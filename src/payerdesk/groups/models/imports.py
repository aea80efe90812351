"""Enrollment (834) and census files as received, and the jobs that import them."""

from django.db import models
from django.utils import timezone

from payerdesk.core.models import User


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

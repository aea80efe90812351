"""Prescribers and the append-only history of their changes."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel


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

"""Approval criteria sets and the drugs they cover."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CriteriaSet(models.Model):
    """One version of the criteria for a drug or a group of drugs, as uploaded."""

    code = models.SlugField(max_length=60, help_text="The drug or drug group, e.g. glp1-t2d")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    rxcuis = models.JSONField(default=list, help_text="RXCUIs the criteria apply to")
    questionnaire = models.JSONField()
    decision = models.JSONField(help_text="GoRules JDM decision graph")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="criteriaset_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CriteriaDrug(models.Model):
    """Which drugs a criteria version covers, as rows so a drug finds its criteria fast."""

    criteria = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="drug_rows")
    rxcui = models.CharField(max_length=12, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["criteria", "rxcui"], name="criteriadrug_unique")
        ]

    def __str__(self) -> str:
        return f"RXCUI {self.rxcui} in {self.criteria}"

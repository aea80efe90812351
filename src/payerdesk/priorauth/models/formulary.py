"""Drugs and the formulary versions that list them."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Drug(models.Model):
    """A drug by RxNorm concept (RXCUI) with its name, from the drug name file."""

    rxcui = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (RXCUI {self.rxcui})"


class FormularyVersion(models.Model):
    """One imported CMS basic formulary file; versions are kept, the latest is current."""

    formulary_id = models.CharField(max_length=20)
    formulary_version = models.CharField(max_length=20)
    contract_year = models.CharField(max_length=4)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    names_sha256 = models.CharField(max_length=64)
    drug_count = models.PositiveIntegerField()
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"Formulary {self.formulary_id} v{self.formulary_version} ({self.contract_year})"


class FormularyDrug(models.Model):
    """One row of a formulary file: an NDC of a drug, its tier and utilisation flags."""

    formulary = models.ForeignKey(FormularyVersion, on_delete=models.CASCADE, related_name="drugs")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="formulary_rows")
    ndc = models.CharField(max_length=11)
    tier = models.PositiveSmallIntegerField()
    quantity_limit = models.BooleanField()
    quantity_limit_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True
    )
    quantity_limit_days = models.PositiveSmallIntegerField(null=True, blank=True)
    prior_authorization = models.BooleanField()
    step_therapy = models.BooleanField()

    class Meta:
        ordering = ["drug__name", "ndc"]
        indexes = [
            models.Index(fields=["formulary", "ndc"], name="formularydrug_ndc"),
            models.Index(fields=["formulary", "drug"], name="formularydrug_drug"),
        ]

    def __str__(self) -> str:
        return f"{self.drug.name} NDC {self.ndc} tier {self.tier}"

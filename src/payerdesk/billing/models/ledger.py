"""The double-entry premium ledger.

Money moves only through balanced journal entries; balances are sums of journal lines
(see `selectors`), never a stored column that someone edits.
"""

from django.db import models
from django.utils import timezone

from payerdesk.core.models import AppendOnlyModel, User
from payerdesk.core.money import ZERO


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
    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
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
    group = models.ForeignKey("groups.EmployerGroup", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(
        "groups.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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

"""Determination letters."""

from django.db import models
from django.utils import timezone

from payerdesk.priorauth.models.requests import PriorAuthRequest


class Letter(models.Model):
    """A determination letter: recorded as due with the decision (in its transaction), then
    made (PDF), kept on the request and emailed to the prescriber by the task worker
    (`services.letters.letter_issue`). Until then it has no content and `issued_at` is empty."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", "Approval"
        DENIAL = "denial", "Denial"
        MORE_INFORMATION = "more_information", "Request for more information"

    request = models.ForeignKey(PriorAuthRequest, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=100)
    content = models.BinaryField(blank=True, default=b"")
    sha256 = models.CharField(max_length=64, blank=True)
    text = models.TextField(
        blank=True,
        help_text="The decision's own words as they were when it was made: the denial "
        "reason or the information asked for (the request may change before the letter is made)",
    )
    sent_to = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the PDF was made and the notice queued"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None

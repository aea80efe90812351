"""Determination letters: recorded as due with a decision, then made and sent by the task worker."""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from payerdesk.core.errors import ErrorCode, NotFound
from payerdesk.core.notifications import notice_email_on_commit
from payerdesk.priorauth.formats import letters
from payerdesk.priorauth.models import (
    Letter,
    PriorAuthRequest,
)
from payerdesk.priorauth.tasks import issue_letter


def letter_schedule(request: PriorAuthRequest, kind: str) -> Letter:
    """Record that a letter is due, and queue its task in the same transaction (an outbox:
    the decision and its letter task commit together, or neither does). The worker makes,
    keeps and sends it (`letter_issue`) once they commit, not while the requester waits."""
    now = timezone.now()
    letter = Letter(
        request=request,
        kind=kind,
        file_name=letters.letter_file_name(request, kind, timezone.localdate(now)),
        text=letters.letter_text(request, kind),
        sent_to=request.prescriber.email,
        created_at=now,
    )
    letter.save()
    issue_letter.enqueue(letter.pk)
    return letter


@dataclass(frozen=True)
class LetterIssue:
    letter: Letter
    issued: bool  # False: it was issued before, and nothing changed


def letter_issue(*, letter_id: int) -> LetterIssue:
    """Make a due letter's PDF, keep it on the request and queue the prescriber's notice
    with it attached. A letter already issued changes nothing and sends nothing again."""
    with transaction.atomic():
        letter = (
            Letter.objects.select_for_update(of=("self",))
            .select_related("request__member", "request__prescriber", "request__drug")
            .filter(pk=letter_id)
            .first()
        )
        if letter is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"Letter {letter_id} does not exist.")
        if letter.is_issued:
            return LetterIssue(letter, issued=False)
        request = letter.request
        content = letters.letter_render(letter)
        letter.content, letter.sha256 = content, hashlib.sha256(content).hexdigest()
        letter.issued_at = timezone.now()
        letter.save(update_fields=["content", "sha256", "issued_at"])
        label = letter.get_kind_display()
        notice_email_on_commit(
            [letter.sent_to],
            f"{request.number}: {label} for {request.drug.name}",
            f"Dear {request.prescriber.name},\n\nThe {label.lower()} letter for prior "
            f"authorization request {request.number} ({request.drug.name}) is attached.\n\n"
            "payerdesk Coverage Review",
            (letter.file_name, "application/pdf", content),
        )
    return LetterIssue(letter, issued=True)

"""Background jobs of prior authorization (django-tasks). Each is safe to run twice."""

from django_tasks import task


@task()
def issue_letter(letter_id: int) -> bool:
    """Make a due determination letter, keep it on its request and email it to the
    prescriber. True when this run issued it; False when it was issued already."""
    from payerdesk.priorauth.services import letter_issue

    return letter_issue(letter_id=letter_id).issued

"""Background jobs of prior authorization (django-tasks). Each is safe to run twice."""

from django_tasks import task


@task()
def issue_letter(letter_id: int) -> bool:
    """Make a due determination letter, keep it on its request and email it to the
    prescriber. True when this run issued it; False when it was issued already."""
    from payerdesk.priorauth.services.letters import letter_issue

    return letter_issue(letter_id=letter_id).issued


@task()
def issue_due_letters() -> int:
    """Make and send every letter still due (the worker's own task after each decision
    may have failed or been lost): the scheduled catch-up. Returns how many it issued."""
    from payerdesk.priorauth.selectors.requests import letters_due
    from payerdesk.priorauth.services.letters import letter_issue

    return sum(letter_issue(letter_id=letter_id).issued for letter_id in letters_due())

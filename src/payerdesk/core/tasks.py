"""Background jobs (django-tasks). Each is safe to run twice."""

from django.core.mail import send_mail
from django_tasks import task


@task()
def deliver_email(recipients: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, None, recipients)


@task()
def tick() -> dict[str, int]:
    """Escalate work past its escalation time and send due follow-up reminders."""
    from payerdesk.core.services import tick as run_tick

    result = run_tick()
    return {"escalated": result.escalated, "reminders_sent": result.reminders_sent}

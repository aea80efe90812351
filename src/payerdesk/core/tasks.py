"""Background jobs (django-tasks). Each is safe to run twice."""

from base64 import b64decode

from django.core.mail import EmailMessage, send_mail
from django_tasks import task


@task()
def deliver_email(
    recipients: list[str], subject: str, body: str, attachment: dict[str, str] | None = None
) -> int:
    """Send one message; an attachment travels as {"name", "mimetype", "base64"} (JSON-safe)."""
    if attachment is None:
        return send_mail(subject, body, None, recipients)
    message = EmailMessage(subject, body, None, recipients)
    message.attach(attachment["name"], b64decode(attachment["base64"]), attachment["mimetype"])
    return message.send()


@task()
def tick() -> dict[str, int]:
    """Escalate work past its escalation time and send due follow-up reminders."""
    from payerdesk.core.services import tick as run_tick

    result = run_tick()
    return {"escalated": result.escalated, "reminders_sent": result.reminders_sent}

"""Email to staff, sent by a background job once the change that caused it commits.

Messages name the work item by number, kind and queue only: never a member's data.
"""

from base64 import b64encode

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from payerdesk.core.models import User, WorkItem


def work_item_link(item: WorkItem) -> str:
    base: str = settings.PAYERDESK_BASE_URL
    return base.rstrip("/") + reverse("core:work-item", args=[item.pk])


def email_on_commit(recipients: list[User], subject: str, body: str) -> None:
    from payerdesk.core.tasks import deliver_email

    addresses = sorted({user.email for user in recipients if user.email and user.is_active})
    if not addresses:
        return
    transaction.on_commit(lambda: deliver_email.enqueue(addresses, subject, body))


def notice_email_on_commit(
    addresses: list[str],
    subject: str,
    body: str,
    attachment: tuple[str, str, bytes] | None = None,
) -> None:
    """Email a notice to outside parties (a prescriber, an employer's billing contact).

    `attachment` is (file name, MIME type, content), e.g. the letter PDF. Sent by the
    worker after the determination commits, so a rolled-back change sends nothing.
    """
    from payerdesk.core.tasks import deliver_email

    recipients = sorted({address for address in addresses if address})
    if not recipients:
        return
    payload = None
    if attachment is not None:
        name, mimetype, content = attachment
        payload = {"name": name, "mimetype": mimetype, "base64": b64encode(content).decode()}
    transaction.on_commit(lambda: deliver_email.enqueue(recipients, subject, body, payload))

"""Email to staff, sent by a background job once the change that caused it commits.

Messages name the work item by number, kind and queue only: never a member's data.
"""

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

"""The PHI access log, written whenever a page or endpoint shows a PHI record."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest

from payerdesk.core.models import AccessLogEntry, User, WorkItem
from payerdesk.core.services import access_log_record

if TYPE_CHECKING:
    from payerdesk.core.selectors import AccessLogFilter


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the peer; behind a proxy, deployments set it from X-Forwarded-For
    # in the proxy, not here, so a client cannot forge its address in the log.
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class Viewer:
    """Who is shown a record, through what: a service that shows the record it has just
    made (an API submission's response) logs the view in its own transaction with this."""

    user: User
    channel: str
    ip_address: str | None
    user_agent: str
    path: str

    def record(
        self, *, record_type: str, record_id: str, action: str = AccessLogEntry.Action.VIEW
    ) -> AccessLogEntry:
        return access_log_record(
            user=self.user,
            action=action,
            channel=self.channel,
            record_type=record_type,
            record_id=record_id,
            ip_address=self.ip_address,
            user_agent=self.user_agent,
            path=self.path,
        )


def viewer(request: HttpRequest, user: User, *, channel: str) -> Viewer:
    return Viewer(
        user=user,
        channel=channel,
        ip_address=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        path=request.path,
    )


def log_record_view(
    request: HttpRequest,
    user: User,
    *,
    record_type: str,
    record_id: str,
    channel: str,
    action: str = AccessLogEntry.Action.VIEW,
) -> None:
    viewer(request, user, channel=channel).record(
        record_type=record_type, record_id=record_id, action=action
    )


def log_phi_view(
    request: HttpRequest,
    user: User,
    item: WorkItem,
    *,
    channel: str,
    action: str = AccessLogEntry.Action.VIEW,
) -> None:
    if item.phi:
        log_record_view(
            request,
            user,
            record_type="work_item",
            record_id=str(item.pk),
            channel=channel,
            action=action,
        )


# The log's own name in itself: each view of it is recorded like a view of a record.
ACCESS_LOG_RECORD = "access_log"


def log_access_log_view(
    request: HttpRequest,
    user: User,
    filters: "AccessLogFilter",
    *,
    channel: str,
    action: str = AccessLogEntry.Action.VIEW,
) -> None:
    """Who looked at the log, and at what part of it (the filter, as its record id)."""
    log_record_view(
        request,
        user,
        record_type=ACCESS_LOG_RECORD,
        record_id=filters.describe()[:60],
        channel=channel,
        action=action,
    )

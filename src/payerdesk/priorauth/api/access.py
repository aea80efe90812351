"""Who may call priorauth's REST API, and the access log of what they read."""

from django.http import HttpRequest

from payerdesk.core.access import log_record_view
from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.roles import is_staff_member
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.selectors import requests as request_selectors
from payerdesk.priorauth.services import requests as request_services

RECORD_TYPE = request_services.RECORD_TYPE


def api_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise NotPermitted("Sign in with an API token.")
    return user


def staff_with(request: HttpRequest, permission: str, what: str) -> User:
    user = api_user(request)
    if not is_staff_member(user) or not user.has_perm(permission):
        raise NotPermitted(f"Your role may not {what}.")
    return user


def reader(request: HttpRequest) -> User:
    """Staff who read requests, or a provider (who sees only their own)."""
    user = api_user(request)
    if not (
        user.has_perm("priorauth.view_priorauthrequest") or request_selectors.is_provider(user)
    ):
        raise NotPermitted("Your role does not see prior authorization requests.")
    return user


def log_view(request: HttpRequest, user: User, pa: PriorAuthRequest) -> None:
    log_record_view(
        request,
        user,
        record_type=RECORD_TYPE,
        record_id=str(pa.pk),
        channel=AccessLogEntry.Channel.API,
    )

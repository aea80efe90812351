"""What the priorauth pages share: the permission guard, the page size, a refusal on a form."""

from django.core.exceptions import PermissionDenied
from django.forms import Form

from payerdesk.core.errors import NotPermitted, ServiceError
from payerdesk.core.views import StaffRequest
from payerdesk.priorauth.services import requests as request_services

PAGE_SIZE = 50


def require_perm(request: StaffRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied("Your role does not open this page.")


def refused(form: Form, error: ServiceError) -> tuple[dict[str, str], int]:
    """Show a service's refusal on the form: answer problems on their questions (the
    errors by linkId, returned), anything else on its field; a refusal by role is a 403."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from None
    if isinstance(error, request_services.AnswersInvalid):
        form.add_error(None, f"Some answers need attention: {error.message}")
        return dict(reversed(error.errors)), error.http_status
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return {}, error.http_status

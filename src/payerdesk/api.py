"""The REST API: one NinjaAPI, one router per app, bearer-token authentication."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from payerdesk.billing.api import router as billing_router
from payerdesk.core import services
from payerdesk.core.api import router as core_router
from payerdesk.core.errors import ServiceError
from payerdesk.core.models import User
from payerdesk.core.uploads import body_too_large_message
from payerdesk.groups.api import router as groups_router
from payerdesk.priorauth.api import router as priorauth_router


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = services.api_token_authenticate(token)
        request.user = user
        return user


api = NinjaAPI(
    title="payerdesk API",
    version="1",
    description="The payerdesk back office over REST. Send `Authorization: Bearer TOKEN`; "
    "an administrator issues tokens (`payerdesk issue-token USERNAME`).",
    auth=ApiTokenAuth(),
    urls_namespace="api",
)
api.add_router("/", core_router)
api.add_router("/", groups_router)
api.add_router("/", billing_router)
api.add_router("/", priorauth_router)


def _error(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if error.field:
        body["field"] = error.field
    return _error(request, error.http_status, body)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        {"detail": "Send an API token: Authorization: Bearer TOKEN", "code": "not_authenticated"},
    )


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, {"detail": body_too_large_message(), "code": "invalid"})

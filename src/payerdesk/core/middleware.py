"""An outside user (employer, provider) never sees Django's debug pages.

With DEBUG on (`make run`), Django answers a missing page and an unhandled error with its
technical pages: the URL patterns, settings and a traceback. Staff developers want those;
an employer or a provider trying the demo must get the project's own 404 and 500 pages,
as production always gives everyone. With DEBUG off this middleware does nothing.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views import defaults

from payerdesk.core.roles import is_staff_member
from payerdesk.core.views import bad_request

logger = logging.getLogger("django.request")


def _is_outside_user(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and not is_staff_member(user)


class OutsideUserErrorPages:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and _is_outside_user(request):
            # A path no route matches fails before any view runs, so before
            # process_exception could answer it.
            try:
                resolve(request.path_info)
            except Resolver404 as missing:
                return defaults.page_not_found(request, missing)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or not _is_outside_user(request):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return None  # Django renders 403.html whatever DEBUG says
        if isinstance(exception, SuspiciousOperation | BadRequest):
            return bad_request(request, exception)
        # As Django does for the errors it answers: error reporters hear of it, the log
        # keeps the traceback.
        signals.got_request_exception.send(sender=None, request=request)
        logger.error("Unhandled %s", type(exception).__name__, exc_info=exception)
        return defaults.server_error(request)

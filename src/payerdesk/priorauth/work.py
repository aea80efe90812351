"""The work item kind of a prior authorization request.

Its statuses follow the request: the priorauth services move them, so the generic
transition form offers none (a determination needs its letter and notice).
"""

from django.urls import reverse

from payerdesk.core import kinds
from payerdesk.core.models import User, WorkItem


def _request_url(item: WorkItem) -> str | None:
    from payerdesk.priorauth.models import PriorAuthRequest

    pk = PriorAuthRequest.objects.filter(work_item=item).values_list("pk", flat=True).first()
    return reverse("priorauth:request-detail", args=[pk]) if pk else None


PRIOR_AUTH = kinds.WorkItemKind(
    code="prior_auth",
    label="Prior authorization",
    description="A PA or non-formulary exception request: decide it before its clock runs out.",
    statuses={
        "awaiting_statement": "Awaiting prescriber statement",
        "in_review": "Pharmacist review",
        "pended": "Pended for more information",
        "approved": "Approved",
        "denied": "Denied",
    },
    initial="in_review",
    transitions={},
    closed=frozenset({"approved", "denied"}),
    phi=True,
    detail_url=_request_url,
)


def _request_name(user: User, request_id: str) -> str | None:
    from payerdesk.priorauth.selectors.requests import requests_visible_to

    key = request_id.upper().removeprefix("PA-")
    if not key.isdigit() or not requests_visible_to(user).filter(pk=int(key)).exists():
        return None
    return f"PA-{key}"


def _request_page(request_id: str) -> str:
    return reverse("priorauth:request-detail", args=[request_id.upper().removeprefix("PA-")])


# A hand-made work item may link to a request (by its number, with or without "PA-").
REQUEST_RECORD = kinds.RecordType(
    code="prior_auth_request",
    label="Prior authorization request",
    name=_request_name,
    url=_request_page,
    id_label="Request number",
    phi=True,
)


def register_kinds() -> None:
    kinds.register(PRIOR_AUTH)
    kinds.register_record_type(REQUEST_RECORD)

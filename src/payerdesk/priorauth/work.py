"""The work item kind of a prior authorization request.

Its statuses follow the request: the priorauth services move them, so the generic
transition form offers none (a determination needs its letter and notice).
"""

from django.urls import reverse

from payerdesk.core import kinds
from payerdesk.core.models import WorkItem


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


def register_kinds() -> None:
    kinds.register(PRIOR_AUTH)

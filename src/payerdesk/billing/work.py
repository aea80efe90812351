"""The kinds of work the billing module puts on the core work queue: delinquent groups
and members, and premium held in suspense."""

from payerdesk.core import kinds
from payerdesk.core.models import WorkItem

BILLING_QUEUE = "group-administration"


def _delinquency_url(item: WorkItem) -> str | None:
    from django.urls import reverse

    from payerdesk.billing.models import Delinquency

    found = Delinquency.objects.filter(work_item=item).values_list("pk", flat=True).first()
    return reverse("billing:delinquency", args=[found]) if found else None


DELINQUENCY = kinds.WorkItemKind(
    code="delinquency",
    label="Delinquent group",
    description="A group's premium is unpaid past its grace period: follow up, cancel or "
    "reinstate.",
    statuses={
        "lapsed": "Lapsed, notice sent",
        "contacted": "Employer contacted",
        "cancelled": "Cancelled for non-payment",
        "reinstated": "Reinstated",
        "closed": "Closed, not reinstated",
    },
    initial="lapsed",
    transitions={
        "lapsed": ("contacted", "cancelled", "reinstated"),
        "contacted": ("contacted", "cancelled", "reinstated"),
        "cancelled": ("reinstated", "closed"),
    },
    closed=frozenset({"reinstated", "closed"}),
    detail_url=_delinquency_url,
)


MEMBER_DELINQUENCY = kinds.WorkItemKind(
    code="member_delinquency",
    label="Delinquent member",
    description="The employer paid its list bill without one member's premium, and the "
    "grace period is over: follow up, cancel or reinstate the member.",
    statuses=DELINQUENCY.statuses,
    initial="lapsed",
    transitions=DELINQUENCY.transitions,
    closed=DELINQUENCY.closed,
    phi=True,  # about one member
    detail_url=_delinquency_url,
)


SUSPENSE = "premium-suspense"


def _remittance_url(item: WorkItem) -> str | None:
    from django.urls import reverse

    from payerdesk.billing.models import Variance

    found = Variance.objects.filter(work_item=item).values_list("remittance_id", flat=True)
    remittance = found.first()
    return reverse("billing:remittance", args=[remittance]) if remittance else None


SUSPENSE_KIND = kinds.WorkItemKind(
    code=SUSPENSE,
    label="Premium in suspense",
    description="Money a remittance paid that could not be applied: apply it to a member "
    "and period, refund it, or write it off with a reason.",
    statuses={"open": "In suspense", "working": "Being resolved", "resolved": "Resolved"},
    initial="open",
    transitions={"open": ("working", "resolved"), "working": ("open", "resolved")},
    closed=frozenset({"resolved"}),
    detail_url=_remittance_url,
)


def register_kinds() -> None:
    kinds.register(DELINQUENCY)
    kinds.register(MEMBER_DELINQUENCY)
    kinds.register(SUSPENSE_KIND)

"""The suspense work item: money from a remittance that could not be applied."""

from decimal import Decimal

from django.db.models import Sum

from payerdesk.billing.models import Remittance, Variance, VarianceStatus
from payerdesk.billing.work import BILLING_QUEUE
from payerdesk.core import kinds
from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.core.models import Queue, WorkItem

SUSPENSE = "premium-suspense"


def _remittance_url(item: WorkItem) -> str | None:
    from django.urls import reverse

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
    kinds.register(SUSPENSE_KIND)


def suspense_item_open(*, remittance: Remittance, count: int, held: Decimal) -> WorkItem:
    from payerdesk.core.services import work_item_create

    queue = Queue.objects.filter(slug=BILLING_QUEUE).first()
    if queue is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"No {BILLING_QUEUE!r} queue is configured.", field="queue"
        )
    group = remittance.group
    return work_item_create(
        actor=None,
        kind=SUSPENSE,
        title=f"Suspense: {count} variance(s), {held} from {group.group_number}",
        queue=queue,
        market=group.market,
        description=f"Remittance {remittance.pk} ({remittance.get_source_display()}) "
        f"for {group.legal_name}: {count} amount(s) could not be applied.",
    )


def held_in(item: WorkItem) -> Decimal:
    total = Variance.objects.filter(work_item=item, status=VarianceStatus.SUSPENSE).aggregate(
        held=Sum("held")
    )["held"]
    return total or Decimal(0)

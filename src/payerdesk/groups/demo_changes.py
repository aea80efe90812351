"""Demo policy changes for `payerdesk demo`: one applied and one waiting in underwriting,
made through the services so each has its rule outcome, premiums and work item."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from payerdesk.core.errors import ServiceError
from payerdesk.core.models import User
from payerdesk.groups.models import Coverage, CoverageStatus, RateBasis
from payerdesk.groups.services.policy_changes import ChangeRequest, policy_change_request


def load(*, actor: User) -> None:
    rows = list(
        Coverage.objects.filter(
            plan__rate_basis=RateBasis.PER_UNIT,
            plan__guaranteed_issue__isnull=False,
            plan__max_benefit__isnull=False,
            member__relationship="18",
            status=CoverageStatus.ACTIVE,
            end_date__isnull=True,
        ).select_related("plan", "member")[:50]
    )
    effective = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    used: set[int] = set()
    # Up to guaranteed issue (allowed, applied); to the plan maximum (referred for EOI).
    for target in ("guaranteed_issue", "max_benefit"):
        for row in rows:
            amount: Decimal | None = getattr(row.plan, target)
            if row.member_id in used or amount is None or amount <= (row.benefit_amount or 0):
                continue
            try:
                policy_change_request(
                    actor=actor,
                    member=row.member,
                    request=ChangeRequest(
                        change_type="benefit_increase",
                        effective_date=effective,
                        plan=row.plan,
                        benefit_amount=amount,
                    ),
                )
            except ServiceError:
                continue  # demo data that does not fit a change is left as it is
            used.add(row.member_id)
            break

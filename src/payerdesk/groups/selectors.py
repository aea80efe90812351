"""Read queries for group administration."""

from datetime import date

from payerdesk.groups.models import Coverage, CoverageStatus, Member, PlanDesign


def coverage_as_of(*, member: Member, on: date, plan: PlanDesign | None = None) -> list[Coverage]:
    """The member's coverages in force on a date (the date-effective history answers it)."""
    rows = (
        member.coverages.filter(start_date__lte=on)
        .exclude(end_date__lt=on)
        .exclude(status=CoverageStatus.CANCELLED)
    )
    if plan is not None:
        rows = rows.filter(plan=plan)
    return list(rows.select_related("plan__product"))

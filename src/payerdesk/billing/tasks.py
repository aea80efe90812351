"""Background jobs (django-tasks). Each is safe to run any number of times."""

from datetime import date

from django_tasks import task


@task()
def generate_due_list_bills(today: str | None = None) -> dict[str, int]:
    """Generate every list bill whose bill date has come (one per group and period)."""
    from django.utils import timezone

    from payerdesk.billing.services.listbills import list_bills_generate_due

    made = list_bills_generate_due(
        today=date.fromisoformat(today) if today else timezone.localdate()
    )
    return {"generated": sum(g.created for g in made), "existing": sum(not g.created for g in made)}


@task()
def review_delinquency(today: str | None = None) -> dict[str, int]:
    """Lapse, cancel or reinstate groups as their payments say."""
    from payerdesk.billing.services.delinquency import delinquency_review

    result = delinquency_review(today=date.fromisoformat(today) if today else None)
    return {
        "lapsed": len(result.lapsed),
        "cancelled": len(result.cancelled),
        "reinstated": len(result.reinstated),
    }

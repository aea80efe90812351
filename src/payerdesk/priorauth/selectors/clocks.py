"""Determination clock rule reads."""

from django.db.models import QuerySet

from payerdesk.priorauth.models import (
    ClockRule,
)


def clock_rules() -> QuerySet[ClockRule]:
    return ClockRule.objects.all()


def clock_rule_get(line_of_business: str, urgency: str) -> ClockRule | None:
    return ClockRule.objects.filter(line_of_business=line_of_business, urgency=urgency).first()

"""Determination clock rules: how long a determination may take."""

from django.db import transaction

from payerdesk.core.errors import ErrorCode, NotFound, NotPermitted
from payerdesk.core.models import User
from payerdesk.core.roles import is_staff_member
from payerdesk.priorauth.models import (
    ClockRule,
    ClockRuleChange,
)
from payerdesk.priorauth.services.common import fields_set, invalid

CLOCK_MAX_HOURS = 24 * 365
CLOCK_REASON_MAX = 300
CLOCK_SOURCE_MAX = 120


def _clock_values(hours: int, escalate_before_hours: int, source: str) -> dict[str, object]:
    if not 1 <= hours <= CLOCK_MAX_HOURS:
        raise invalid(f"A clock runs from 1 to {CLOCK_MAX_HOURS} hours.", "hours")
    if not 0 <= escalate_before_hours < hours:
        raise invalid(
            f"Escalation comes 0 to {hours - 1} hours before the clock ends.",
            "escalate_before_hours",
        )
    if len(source.strip()) > CLOCK_SOURCE_MAX:
        raise invalid(f"The source is at most {CLOCK_SOURCE_MAX} characters.", "source")
    return {
        "hours": hours,
        "escalate_before_hours": escalate_before_hours,
        "source": source.strip(),
    }


def clock_rule_change(
    *,
    actor: User,
    line_of_business: str,
    urgency: str,
    hours: int,
    escalate_before_hours: int,
    source: str,
    reason: str,
) -> ClockRule:
    """Change how long determinations of a line of business and urgency may take. Requests
    already received keep the clock they started with; the change and its reason are kept
    in the rule's history."""
    if not (is_staff_member(actor) and actor.has_perm("priorauth.change_clockrule")):
        raise NotPermitted("Only an administrator changes the determination clocks.")
    wanted = _clock_values(hours, escalate_before_hours, source)
    why = reason.strip()
    if not why or len(why) > CLOCK_REASON_MAX:
        raise invalid(
            f"Say why the clock changes (at most {CLOCK_REASON_MAX} characters).", "reason"
        )
    with transaction.atomic():
        rule = (
            ClockRule.objects.select_for_update()
            .filter(line_of_business=line_of_business, urgency=urgency)
            .first()
        )
        if rule is None:
            raise NotFound(ErrorCode.NOT_FOUND, f"No clock rule for {line_of_business} {urgency}.")
        changes = fields_set(rule, wanted)
        if not changes:
            return rule
        ClockRuleChange.objects.create(rule=rule, changes=changes, reason=why, actor=actor)
    return rule

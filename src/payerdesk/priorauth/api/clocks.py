"""Determination clock rules over REST."""

from django.http import HttpRequest
from ninja import Router

from payerdesk.priorauth.api.access import (
    staff_with,
)
from payerdesk.priorauth.api.schemas import (
    ClockRuleOut,
    ClockRulePatch,
)
from payerdesk.priorauth.models import ClockRule
from payerdesk.priorauth.selectors import clocks as clock_selectors
from payerdesk.priorauth.services import clocks as clock_services

router = Router()


@router.get("/priorauth/clock-rules", response=list[ClockRuleOut], summary="Determination clocks")
def clock_rule_list(request: HttpRequest) -> list[ClockRule]:
    staff_with(request, "priorauth.view_clockrule", "see the determination clocks")
    return list(clock_selectors.clock_rules())


@router.patch(
    "/priorauth/clock-rules/{line_of_business}/{urgency}",
    response=ClockRuleOut,
    summary="Change a determination clock",
)
def clock_rule_change(
    request: HttpRequest, line_of_business: str, urgency: str, body: ClockRulePatch
) -> ClockRule:
    """Requests already received keep the clock they started with."""
    user = staff_with(request, "priorauth.change_clockrule", "change the determination clocks")
    return clock_services.clock_rule_change(
        actor=user, line_of_business=line_of_business, urgency=urgency, **body.dict()
    )

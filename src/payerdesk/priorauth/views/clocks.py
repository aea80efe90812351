"""Determination clock rule pages: the list, one rule, its change."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from payerdesk.core.errors import ServiceError
from payerdesk.core.views import StaffRequest, staff_required
from payerdesk.priorauth.forms.clocks import (
    ClockRuleForm,
)
from payerdesk.priorauth.models import (
    ClockRule,
)
from payerdesk.priorauth.selectors import clocks as clock_selectors
from payerdesk.priorauth.services import clocks as clock_services
from payerdesk.priorauth.views.common import refused, require_perm

# --- determination clocks ----------------------------------------------------------------


@require_GET
@staff_required
def clock_rule_list(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.view_clockrule")
    return render(request, "priorauth/clocks/list.html", {"rules": clock_selectors.clock_rules()})


def _clock_rule(line_of_business: str, urgency: str) -> ClockRule:
    found = clock_selectors.clock_rule_get(line_of_business, urgency)
    if found is None:
        raise Http404(f"No clock rule for {line_of_business} {urgency}")
    return found


def _clock_rule_page(
    request: StaffRequest, rule: ClockRule, form: ClockRuleForm | None = None, status: int = 200
) -> HttpResponse:
    initial = {
        "hours": rule.hours,
        "escalate_before_hours": rule.escalate_before_hours,
        "source": rule.source,
    }
    context = {
        "rule": rule,
        "form": form or ClockRuleForm(initial=initial),
        "can_edit": request.user.has_perm("priorauth.change_clockrule"),
        "changes": rule.changes.select_related("actor"),
    }
    return render(request, "priorauth/clocks/detail.html", context, status=status)


@require_GET
@staff_required
def clock_rule_detail(request: StaffRequest, line_of_business: str, urgency: str) -> HttpResponse:
    require_perm(request, "priorauth.view_clockrule")
    return _clock_rule_page(request, _clock_rule(line_of_business, urgency))


@require_POST
@staff_required
def clock_rule_edit(request: StaffRequest, line_of_business: str, urgency: str) -> HttpResponse:
    require_perm(request, "priorauth.change_clockrule")
    rule = _clock_rule(line_of_business, urgency)
    form = ClockRuleForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            clock_services.clock_rule_change(
                actor=request.user,
                line_of_business=line_of_business,
                urgency=urgency,
                **form.cleaned_data,
            )
        except ServiceError as error:
            _, status = refused(form, error)
        else:
            messages.success(request, "Saved: requests received from now on run on this clock.")
            return redirect("priorauth:clock-rule", line_of_business, urgency)
    return _clock_rule_page(request, rule, form, status)

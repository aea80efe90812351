"""The turnaround metrics page and its CSV: supervisors, auditors and administrators
(the roles that see all work). Aggregates only: no member data, so no access-log entry."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from payerdesk.core import permissions
from payerdesk.core.views import StaffRequest, staff_required
from payerdesk.priorauth.selectors.metrics import (
    MAX_RANGE_DAYS,
    TurnaroundReport,
    outcome_chart,
    turnaround_csv,
    turnaround_report,
)

DEFAULT_DAYS = 30


class MetricsForm(forms.Form):
    start = forms.DateField(label="Received from", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Received to", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error("end", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        return data


def _form(request: StaffRequest) -> MetricsForm:
    if not permissions.sees_all_work(request.user):
        raise PermissionDenied("Prior authorization metrics are for supervisors and auditors.")
    if "start" in request.GET or "end" in request.GET:
        return MetricsForm(request.GET)
    today = timezone.localdate()
    return MetricsForm({"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today})


def _report(form: MetricsForm) -> TurnaroundReport | None:
    if not form.is_valid():
        return None
    return turnaround_report(start=form.cleaned_data["start"], end=form.cleaned_data["end"])


@require_GET
@staff_required
def metrics(request: StaffRequest) -> HttpResponse:
    form = _form(request)
    report = _report(form)
    context = {
        "form": form,
        "report": report,
        "chart": outcome_chart(report) if report else None,
        "query": request.GET.urlencode() if report and request.GET else "",
    }
    status = 200 if report else 400
    return render(request, "priorauth/metrics/turnaround.html", context, status=status)


@require_GET
@staff_required
def metrics_csv(request: StaffRequest) -> HttpResponse:
    form = _form(request)
    report = _report(form)
    if report is None:
        problems = "; ".join(
            f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()
        )
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(turnaround_csv(report), content_type="text/csv; charset=utf-8")
    name = f"pa-turnaround-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

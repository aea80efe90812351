"""Pages for remittances, suspense, refunds and the reconciliation summary. Thin:
forms parse, services act, selectors read; a refused action re-renders with its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.billing.forms.remittances import (
    DecisionForm,
    ExportForm,
    PaymentForm,
    RemittanceUploadForm,
    ResolveForm,
    ReversalForm,
)
from payerdesk.billing.models import ListBill
from payerdesk.billing.selectors import remittances as remittance_selectors
from payerdesk.billing.services import refunds, suspense
from payerdesk.billing.services.remittances import (
    RemittanceResult,
    payment_record,
    remittance_file_receive,
)
from payerdesk.core.access import log_record_view
from payerdesk.core.errors import NotFound, ServiceError
from payerdesk.core.models import AccessLogEntry
from payerdesk.core.views import StaffRequest, staff_required
from payerdesk.groups import selectors as group_selectors

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup


def _require(request: StaffRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied("Premium remittances are for group administrators")


def _group(request: StaffRequest, number: str) -> EmployerGroup | None:
    if not number:
        return None
    try:
        return remittance_selectors.group_get(user=request.user, group_number=number)
    except NotFound:
        return None


def _list_page(request: StaffRequest, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("upload", RemittanceUploadForm())
    context.setdefault("payment", PaymentForm())
    context["remittances"] = remittance_selectors.remittances_visible_to(request.user)[:50]
    return render(request, "billing/remittances/remittances.html", context, status=status)


@require_GET
@staff_required
def remittance_list(request: StaffRequest) -> HttpResponse:
    _require(request, "billing.view_remittance")
    return _list_page(request)


@require_POST
@staff_required
def remittance_upload(request: StaffRequest) -> HttpResponse:
    _require(request, "billing.add_remittance")
    form = RemittanceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, 400, upload=form)
    number = form.cleaned_data["group"]
    group = _group(request, number)
    if number and group is None:
        form.add_error("group", f"No group {number!r}.")
        return _list_page(request, 422, upload=form)
    upload = form.cleaned_data["file"]
    try:
        result = remittance_file_receive(
            actor=request.user, name=upload.name, content=upload.read(), group=group,
            period=form.cleaned_data["period"],
        )  # fmt: skip
    except ServiceError as error:
        form.add_error("file" if error.field == "file" else None, error.message)
        return _list_page(request, error.http_status, upload=form)
    return _done(request, result)


def _done(request: StaffRequest, result: RemittanceResult) -> HttpResponse:
    url = reverse("billing:remittance", args=[result.remittance.pk])
    return redirect(f"{url}?{'again=1' if result.already_received else 'received=1'}")


@require_POST
@staff_required
def payment_create(request: StaffRequest) -> HttpResponse:
    _require(request, "billing.add_remittance")
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _list_page(request, 400, payment=form)
    data = form.cleaned_data
    group = _group(request, data["group"])
    if group is None:
        form.add_error("group", f"No group {data['group']!r}.")
        return _list_page(request, 422, payment=form)
    bill = None
    if data["bill_period"]:
        bill = ListBill.objects.filter(group=group, period_start=data["bill_period"]).first()
        if bill is None:
            form.add_error("bill_period", f"{group.group_number} has no bill for that period.")
            return _list_page(request, 422, payment=form)
    try:
        result = payment_record(
            actor=request.user, group=group, amount=data["amount"],
            payment_date=data["payment_date"], method=data["method"],
            reference=data["reference"], bill=bill,
        )  # fmt: skip
    except ServiceError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _list_page(request, error.http_status, payment=form)
    return _done(request, result)


def _detail(
    request: StaffRequest, remittance_id: int, status: int = 200, **extra: Any
) -> HttpResponse:
    try:
        remittance = remittance_selectors.remittance_get(
            user=request.user, remittance_id=remittance_id
        )
    except NotFound:
        raise Http404("No such remittance") from None
    # Variances name members by id: the view is access-logged.
    log_record_view(
        request, request.user, record_type="billing.remittance", record_id=str(remittance.pk),
        channel=AccessLogEntry.Channel.WEB,
    )  # fmt: skip
    context = {
        "remittance": remittance,
        "variances": remittance_selectors.variance_list(remittance),
        "line_count": remittance.lines.count(),
        "resolve": ResolveForm(),
        "received": request.GET.get("received"),
        "again": request.GET.get("again"),
        "may_resolve": request.user.has_perm(suspense.PERMISSION),
        **extra,
    }
    return render(request, "billing/remittances/remittance.html", context, status=status)


@require_GET
@staff_required
def remittance_detail(request: StaffRequest, remittance_id: int) -> HttpResponse:
    _require(request, "billing.view_remittance")
    return _detail(request, remittance_id)


@require_POST
@staff_required
def variance_resolve(request: StaffRequest, variance_id: int) -> HttpResponse:
    _require(request, suspense.PERMISSION)
    try:
        variance = remittance_selectors.variance_get(user=request.user, variance_id=variance_id)
    except NotFound:
        raise Http404("No such variance") from None
    form = ResolveForm(request.POST)
    error = _resolve(request, variance.pk, form)
    if error:
        return _detail(request, variance.remittance_id, 422, error=error, failed=variance.pk)
    return redirect("billing:remittance", variance.remittance_id)


def _resolve(request: StaffRequest, variance_id: int, form: ResolveForm) -> str:
    if not form.is_valid():
        return "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
    data = form.cleaned_data
    try:
        if data["action"] == "apply":
            if not data["period_start"]:
                return "Say which period to apply it to."
            suspense.variance_apply(
                actor=request.user, variance_id=variance_id, member_id=data["member"],
                period_start=data["period_start"],
            )  # fmt: skip
        elif data["action"] == "refund":
            suspense.variance_refund(
                actor=request.user, variance_id=variance_id, reason=data["reason"]
            )
        else:
            suspense.variance_write_off(
                actor=request.user, variance_id=variance_id, reason=data["reason"]
            )
    except ServiceError as error:
        return error.message
    return ""


@require_GET
@staff_required
def refund_list(request: StaffRequest) -> HttpResponse:
    _require(request, "billing.view_refund")
    return _refunds(request)


def _refunds(request: StaffRequest, status: int = 200, error: str = "") -> HttpResponse:
    context = {
        "refunds": remittance_selectors.refunds_visible_to(request.user)[:200],
        "limit": refunds.approval_limit(),
        "may_decide": request.user.has_perm(refunds.PERMISSION),
        "error": error,
    }
    return render(request, "billing/remittances/refunds.html", context, status=status)


@require_POST
@staff_required
def refund_decide(request: StaffRequest, refund_id: int) -> HttpResponse:
    _require(request, refunds.PERMISSION)
    if not remittance_selectors.refunds_visible_to(request.user).filter(pk=refund_id).exists():
        raise Http404("No such refund")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _refunds(request, 400, "Approve or reject.")
    try:
        refunds.refund_decide(
            actor=request.user, refund_id=refund_id, approve=form.cleaned_data["approve"]
        )
    except ServiceError as error:
        return _refunds(request, error.http_status, error.message)
    return redirect("billing:refunds")


@require_POST
@staff_required
def refunds_export(request: StaffRequest) -> HttpResponse:
    _require(request, refunds.PERMISSION)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _refunds(request, 400, "; ".join(str(e) for es in form.errors.values() for e in es))
    data = form.cleaned_data
    if data["format"] == "nacha":
        try:
            content, _ = refunds.refunds_export_ach(
                actor=request.user, effective_date=data["effective_date"] or timezone.localdate(),
                sec_code=data["sec_code"] or "CCD",
            )  # fmt: skip
        except ServiceError as error:
            return _refunds(request, error.http_status, error.message)
        response = HttpResponse(content, content_type="text/plain")
        response["Content-Disposition"] = 'attachment; filename="refunds.ach"'
        return response
    content, _ = refunds.refunds_export(actor=request.user)
    response = HttpResponse(content, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="refunds.csv"'
    return response


def _summary(request: StaffRequest, group_id: int, status: int = 200, **extra: Any) -> HttpResponse:
    group = group_selectors.groups_visible_to(request.user).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group")
    rows = remittance_selectors.reconciliation_summary(group)
    context = {
        "group": group,
        "rows": rows,
        "chart": remittance_selectors.billed_vs_paid_chart(rows),
        "reversal": ReversalForm(),
        "may_reverse": request.user.has_perm(refunds.PERMISSION),
        **extra,
    }
    return render(request, "billing/remittances/reconciliation.html", context, status=status)


@require_GET
@staff_required
def reconciliation(request: StaffRequest, group_id: int) -> HttpResponse:
    _require(request, "billing.view_remittance")
    return _summary(request, group_id)


@require_http_methods(["POST"])
@staff_required
def premium_reverse(request: StaffRequest, group_id: int) -> HttpResponse:
    _require(request, refunds.PERMISSION)
    group = group_selectors.groups_visible_to(request.user).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group")
    form = ReversalForm(request.POST)
    if not form.is_valid():
        return _summary(request, group_id, 400, reversal=form)
    data = form.cleaned_data
    try:
        member = group_selectors.member_find(
            user=request.user, member_id=data["member"], group_number=group.group_number
        )
        total, refund = refunds.premium_reverse(
            actor=request.user, member=member, since=data["since"], reason=data["reason"],
            new_premium=data["new_premium"],
        )  # fmt: skip
    except ServiceError as error:
        form.add_error("member" if error.code == "not_found" else None, error.message)
        return _summary(request, group_id, error.http_status, reversal=form)
    done = f"Reversed {total}" + (
        f"; refund {refund.pk} of {refund.amount} ({refund.get_status_display().lower()})"
        if refund
        else "; nothing had been paid."
    )
    return _summary(request, group_id, reversed=done)

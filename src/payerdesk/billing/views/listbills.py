"""Billing pages: list bills (and their PDF, CSV and Excel), billing schedules, aging,
delinquent groups and delinquencies; the employer portal's own bills. Thin: services
act, selectors read. Every view of a bill's lines (member names) is access-logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.billing.formats import list_bill_files
from payerdesk.billing.formats.notices import lapse_notice, list_bill_document
from payerdesk.billing.forms.listbills import (
    BillFilterForm,
    GenerateForm,
    MarketFilterForm,
    PortalUploadForm,
    ScheduleForm,
)
from payerdesk.billing.models import BillingSchedule, Delinquency, ListBill, RefundStatus
from payerdesk.billing.selectors import listbills as listbill_selectors
from payerdesk.billing.selectors import remittances as remittance_selectors
from payerdesk.billing.services import delinquency as delinquency_services
from payerdesk.billing.services import listbills, remittances
from payerdesk.core.access import log_record_view
from payerdesk.core.documents import render_pdf
from payerdesk.core.errors import NotPermitted, ServiceError
from payerdesk.core.landing import Figure, module_home
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.roles import Role, has_role
from payerdesk.core.templatetags.display import money
from payerdesk.core.views import StaffRequest, is_htmx, staff_required
from payerdesk.groups.selectors import groups_visible_to

if TYPE_CHECKING:
    from payerdesk.groups.models import EmployerGroup

LINES_PER_PAGE = 100
View = Callable[..., HttpResponseBase]


def _require_perm(request: StaffRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied("Your role does not do premium billing.")


def bills_reader(view: View) -> View:
    """Staff with the billing view permission, or an employer group administrator
    (their own group's bills only: the bill lookup is scoped)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.has_perm("billing.view_listbill") or has_role(user, Role.EMPLOYER)):
            raise PermissionDenied("Billing is for billing staff and employer administrators.")
        return view(request, *args, **kwargs)

    return wrapper


def _bill(request: HttpRequest, bill_id: int) -> ListBill:
    assert isinstance(request.user, User)
    try:
        return listbill_selectors.list_bills_visible_to(request.user).get(pk=bill_id)
    except ListBill.DoesNotExist:
        raise Http404(f"List bill {bill_id} does not exist") from None


def _log(request: HttpRequest, bill: ListBill, action: str = AccessLogEntry.Action.VIEW) -> None:
    assert isinstance(request.user, User)
    log_record_view(
        request, request.user, record_type="list_bill", record_id=str(bill.pk),
        channel=AccessLogEntry.Channel.WEB, action=action,
    )  # fmt: skip


def _home_figures(user: User) -> list[Figure]:
    bills = listbill_selectors.open_bills(user).aggregate(count=Count("id"), total=Sum("total"))
    refunds = remittance_selectors.refunds_visible_to(user).filter(status=RefundStatus.REQUESTED)
    return [
        Figure("List bills not paid in full", str(bills["count"]), reverse("billing:list-bills")),
        Figure("Total of those bills", money(bills["total"] or 0)),
        Figure("In suspense", money(remittance_selectors.suspense_total(user))),
        Figure("Refunds awaiting approval", str(refunds.count()), reverse("billing:refunds")),
    ]


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Bills open, money in suspense, refunds to approve, billing work due, the pages."""
    return module_home(request, "billing", _home_figures)


@require_GET
@staff_required
def list_bills(request: StaffRequest) -> HttpResponse:
    _require_perm(request, "billing.view_listbill")
    form = BillFilterForm(request.GET or None)
    bills = listbill_selectors.list_bills_visible_to(request.user).order_by(
        "-period_start", "group"
    )
    if form.is_valid():
        if form.cleaned_data["group"]:
            bills = bills.filter(group__group_number=form.cleaned_data["group"].strip().upper())
        if form.cleaned_data["status"]:
            bills = bills.filter(status=form.cleaned_data["status"])
    page = Paginator(bills, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "generate_form": GenerateForm(groups=groups_visible_to(request.user)),
        "can_generate": request.user.has_perm("billing.add_listbill"),
    }
    template = (
        "billing/listbills/partials/bill_table.html"
        if is_htmx(request)
        else "billing/listbills/list_bills.html"
    )
    return render(request, template, context)


@require_POST
@staff_required
def list_bill_generate(request: StaffRequest) -> HttpResponse:
    _require_perm(request, "billing.add_listbill")
    groups = groups_visible_to(request.user)
    form = GenerateForm(request.POST, groups=groups)
    status = 400
    if form.is_valid():
        try:
            result = listbills.list_bill_generate(
                actor=request.user,
                group=form.cleaned_data["group"],
                period_start=form.cleaned_data["period"],
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from None
        except ServiceError as error:
            form.add_error("period" if error.field == "period" else None, error.message)
            status = error.http_status
        else:
            messages.success(
                request, "List bill generated." if result.created else "That bill already exists."
            )
            return redirect("billing:list-bill", bill_id=result.bill.pk)
    bills = listbill_selectors.list_bills_visible_to(request.user).order_by("-period_start")
    context = {
        "form": BillFilterForm(),
        "page": Paginator(bills, 50).get_page(1),
        "generate_form": form,
        "can_generate": True,
    }
    return render(request, "billing/listbills/list_bills.html", context, status=status)


@require_GET
@bills_reader
def list_bill_detail(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = _bill(request, bill_id)
    _log(request, bill)
    lines = bill.lines.select_related("member", "coverage__plan__product").order_by(
        "member__subscriber_id", "member__member_id", "period_start", "id"
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "bill": bill,
        "page": page,
        "portal": not request.user.has_perm("billing.view_listbill"),
    }
    template = (
        "billing/listbills/partials/line_table.html"
        if is_htmx(request)
        else "billing/listbills/list_bill.html"
    )
    return render(request, template, context)


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _name(bill: ListBill, extension: str) -> str:
    return f"list-bill-{bill.group.group_number}-{bill.period_start:%Y-%m-%d}.{extension}"


@require_GET
@bills_reader
def list_bill_pdf(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = _bill(request, bill_id)
    _log(request, bill, AccessLogEntry.Action.DOWNLOAD)
    document = list_bill_document(bill, list_bill_files.list_bill_pdf_rows(bill))
    return _download(render_pdf(document), _name(bill, "pdf"), "application/pdf")


@require_GET
@bills_reader
def list_bill_csv(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = _bill(request, bill_id)
    _log(request, bill, AccessLogEntry.Action.DOWNLOAD)
    return _download(list_bill_files.list_bill_csv(bill), _name(bill, "csv"), "text/csv")


@require_GET
@bills_reader
def list_bill_xlsx(request: HttpRequest, bill_id: int) -> HttpResponse:
    bill = _bill(request, bill_id)
    _log(request, bill, AccessLogEntry.Action.DOWNLOAD)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(list_bill_files.list_bill_xlsx(bill), _name(bill, "xlsx"), mimetype)


@require_GET
@login_required
def portal(request: HttpRequest) -> HttpResponse:
    """The employer's billing portal: their own group's bills."""
    assert isinstance(request.user, User)
    if not has_role(request.user, Role.EMPLOYER):
        raise PermissionDenied("The billing portal is for employer group administrators.")
    return _portal_page(request, PortalUploadForm(groups=_portal_groups(request)))


def _portal_groups(request: HttpRequest) -> QuerySet[EmployerGroup]:
    assert isinstance(request.user, User)
    return request.user.employer_groups.order_by("group_number")


def _portal_page(
    request: HttpRequest, form: PortalUploadForm, status: int = 200, **extra: Any
) -> HttpResponse:
    assert isinstance(request.user, User)
    bills = listbill_selectors.list_bills_visible_to(request.user).order_by("-period_start")
    page = Paginator(bills, 50).get_page(request.GET.get("page"))
    received = remittance_selectors.remittances_visible_to(request.user)[:10]
    context = {"page": page, "upload": form, "received": received, **extra}
    return render(request, "billing/listbills/portal.html", context, status=status)


@require_POST
@login_required
def portal_remittance_upload(request: HttpRequest) -> HttpResponse:
    """The employer sends back its list bill (CSV or Excel), for its own group only."""
    assert isinstance(request.user, User)
    if not has_role(request.user, Role.EMPLOYER):
        raise PermissionDenied("The billing portal is for employer group administrators.")
    form = PortalUploadForm(request.POST, request.FILES, groups=_portal_groups(request))
    if not form.is_valid():
        return _portal_page(request, form, 400)
    upload = form.cleaned_data["file"]
    try:
        result = remittances.remittance_portal_upload(
            actor=request.user, group=form.cleaned_data["group"], name=upload.name,
            content=upload.read(), period=form.cleaned_data["period"],
        )  # fmt: skip
    except ServiceError as error:
        form.add_error("file" if error.field in ("file", None) else None, error.message)
        return _portal_page(request, form, error.http_status)
    if result.already_received:
        messages.info(request, f"{upload.name} was already received: nothing changed.")
    else:
        messages.success(
            request, f"{upload.name} received: {result.lines} line(s), {result.remittance.total}."
        )
    return redirect("billing:portal")


@require_http_methods(["GET", "POST"])
@staff_required
def schedule(request: StaffRequest, group_number: str) -> HttpResponse:
    _require_perm(request, "billing.view_billingschedule")
    group = get_object_or_404(groups_visible_to(request.user), group_number=group_number.upper())
    current = BillingSchedule.objects.filter(group=group).first()
    form = ScheduleForm(request.POST or None, instance=current)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                listbills.billing_schedule_set(actor=request.user, group=group, **form.cleaned_data)
            except NotPermitted as error:
                raise PermissionDenied(error.message) from None
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = error.http_status
            else:
                messages.success(request, f"Billing schedule of {group.group_number} saved.")
                return redirect("billing:schedule", group_number=group.group_number)
    context = {"form": form, "group": group, "schedule": current}
    return render(request, "billing/listbills/schedule.html", context, status=status)


def _today(request: HttpRequest) -> date:
    return timezone.localdate()


@require_GET
@staff_required
def aging(request: StaffRequest) -> HttpResponse:
    _require_perm(request, "billing.view_journalentry")
    form = MarketFilterForm(request.GET or None)
    market = form.cleaned_data["market"].strip().upper() if form.is_valid() else ""
    today = _today(request)
    rows = listbill_selectors.aging(user=request.user, today=today, market=market or None)
    delinquent = [row for row in rows if row.oldest_due is not None and row.oldest_due < today]
    cases = (
        Delinquency.objects.filter(group__in=groups_visible_to(request.user))
        .exclude(stage="reinstated")
        .select_related("group", "group__market", "bill")
    )
    if market:
        cases = cases.filter(group__market__code=market)
    context = {"form": form, "rows": rows, "delinquent": delinquent, "cases": cases,
               "today": today}  # fmt: skip
    return render(request, "billing/delinquency/aging.html", context)


def _delinquency(request: StaffRequest, delinquency_id: int) -> Delinquency:
    found = (
        Delinquency.objects.filter(group__in=groups_visible_to(request.user), pk=delinquency_id)
        .select_related("group", "bill", "work_item")
        .first()
    )
    if found is None:
        raise Http404(f"Delinquency {delinquency_id} does not exist")
    return found


@require_GET
@staff_required
def delinquency_detail(request: StaffRequest, delinquency_id: int) -> HttpResponse:
    _require_perm(request, "billing.view_delinquency")
    case = _delinquency(request, delinquency_id)
    context = {
        "case": case,
        "can_act": request.user.has_perm("billing.change_delinquency"),
        "outstanding": listbill_selectors.bills_outstanding(case.group),
    }
    return render(request, "billing/delinquency/delinquency.html", context)


@require_GET
@staff_required
def delinquency_notice(request: StaffRequest, delinquency_id: int) -> HttpResponse:
    _require_perm(request, "billing.view_delinquency")
    case = _delinquency(request, delinquency_id)
    pdf = render_pdf(lapse_notice(case, issued_on=case.lapsed_on))
    return _download(pdf, f"lapse-notice-{case.group.group_number}.pdf", "application/pdf")


def _delinquency_action(
    request: StaffRequest, delinquency_id: int, action: Callable[..., Delinquency], done: str
) -> HttpResponse:
    _require_perm(request, "billing.change_delinquency")
    case = _delinquency(request, delinquency_id)
    try:
        action(actor=request.user, delinquency_id=case.pk)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from None
    except ServiceError as error:
        messages.error(request, error.message)
        context = {"case": case, "can_act": True, "error": error.message,
                   "outstanding": listbill_selectors.bills_outstanding(case.group)}  # fmt: skip
        return render(
            request, "billing/delinquency/delinquency.html", context, status=error.http_status
        )
    messages.success(request, done)
    return redirect("billing:delinquency", delinquency_id=case.pk)


@require_POST
@staff_required
def delinquency_cancel(request: StaffRequest, delinquency_id: int) -> HttpResponse:
    return _delinquency_action(
        request, delinquency_id, delinquency_services.delinquency_cancel,
        "Cancelled for non-payment.",
    )  # fmt: skip


@require_POST
@staff_required
def delinquency_reinstate(request: StaffRequest, delinquency_id: int) -> HttpResponse:
    return _delinquency_action(
        request, delinquency_id, delinquency_services.delinquency_reinstate, "Reinstated."
    )

"""Reference data pages: drug search, formulary imports, criteria uploads, prescribers."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payerdesk.core.errors import ServiceError
from payerdesk.core.views import StaffRequest, is_htmx, may_write_page, staff_required
from payerdesk.priorauth.forms.reference import (
    CriteriaUploadForm,
    DrugSearchForm,
    FormularyImportForm,
    PrescriberEditForm,
    PrescriberForm,
    PrescriberSearchForm,
)
from payerdesk.priorauth.models import (
    CriteriaSet,
    FormularyVersion,
    Prescriber,
)
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.services import criteria as criteria_services
from payerdesk.priorauth.services import formulary as formulary_services
from payerdesk.priorauth.services import prescribers as prescriber_services
from payerdesk.priorauth.views.common import PAGE_SIZE, refused, require_perm

# --- reference data ----------------------------------------------------------------------------


@require_GET
@staff_required
def drug_search(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.view_formularydrug")
    form = DrugSearchForm(request.GET or None)
    hits = reference_selectors.drug_search(form.cleaned_data["q"]) if form.is_valid() else []
    context = {"form": form, "hits": hits, "formulary": reference_selectors.current_formulary()}
    template = (
        "priorauth/reference/partials/drug_hits.html"
        if is_htmx(request)
        else "priorauth/reference/drugs.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@staff_required
def formulary_import(request: StaffRequest) -> HttpResponse:
    can_import = may_write_page(
        request, read="priorauth.view_formularyversion", write="priorauth.add_formularyversion"
    )
    form = FormularyImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            formulary, names = form.cleaned_data["formulary_file"], form.cleaned_data["names_file"]
            try:
                result = formulary_services.formulary_import(
                    actor=request.user,
                    formulary_name=formulary.name,
                    formulary_content=formulary.read(),
                    names_name=names.name,
                    names_content=names.read(),
                )
            except ServiceError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                status = error.http_status
            else:
                messages.success(request, result.message)
                return redirect("priorauth:formulary-import")
    versions = FormularyVersion.objects.select_related("imported_by")[:20]
    return render(
        request,
        "priorauth/reference/formulary_import.html",
        {"form": form, "versions": versions, "can_import": can_import},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def criteria_upload(request: StaffRequest) -> HttpResponse:
    can_upload = may_write_page(
        request, read="priorauth.view_criteriaset", write="priorauth.add_criteriaset"
    )
    form = CriteriaUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = criteria_services.criteria_upload(
                    actor=request.user,
                    code=data["code"],
                    title=data["title"],
                    rxcuis=data["rxcuis"].split(","),
                    questionnaire=data["questionnaire"].read(),
                    decision=data["decision"].read(),
                )
            except ServiceError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
                status = error.http_status
            else:
                criteria = result.criteria
                messages.success(
                    request,
                    f"Stored {criteria} for RXCUI {', '.join(criteria.rxcuis)}."
                    if result.created
                    else f"Same as {criteria}: nothing changed.",
                )
                return redirect("priorauth:criteria-upload")
    sets = CriteriaSet.objects.select_related("uploaded_by")[:50]
    return render(
        request,
        "priorauth/reference/criteria_upload.html",
        {"form": form, "sets": sets, "can_upload": can_upload},
        status=status,
    )


# --- prescribers -------------------------------------------------------------------------------


def _prescribers_page(
    request: StaffRequest, form: PrescriberForm | None = None, status: int = 200
) -> HttpResponse:
    search = PrescriberSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = Paginator(reference_selectors.prescriber_list(query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "search": search,
        "query": query,
        "page": page,
        "form": form or PrescriberForm(),
        "can_register": request.user.has_perm("priorauth.add_prescriber"),
    }
    return render(request, "priorauth/reference/prescribers.html", context, status=status)


@require_GET
@staff_required
def prescriber_list(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.view_prescriber")
    return _prescribers_page(request)


@require_POST
@staff_required
def prescriber_new(request: StaffRequest) -> HttpResponse:
    require_perm(request, "priorauth.add_prescriber")
    form = PrescriberForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            prescriber = prescriber_services.prescriber_register(
                actor=request.user, npi=data["npi"], name=data["name"], email=data["email"]
            )
        except ServiceError as error:
            _, status = refused(form, error)
        else:
            messages.success(request, f"Registered {prescriber}.")
            return redirect("priorauth:prescriber", npi=prescriber.npi)
    return _prescribers_page(request, form, status)


def _prescriber(npi: str) -> Prescriber:
    found = reference_selectors.prescriber_get(npi)
    if found is None:
        raise Http404(f"No prescriber with NPI {npi}")
    return found


def _prescriber_page(
    request: StaffRequest,
    prescriber: Prescriber,
    form: PrescriberEditForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "prescriber": prescriber,
        "form": form
        or PrescriberEditForm(initial={"name": prescriber.name, "email": prescriber.email}),
        "can_edit": request.user.has_perm("priorauth.change_prescriber"),
        "changes": prescriber.changes.select_related("actor"),
    }
    return render(request, "priorauth/reference/prescriber.html", context, status=status)


@require_GET
@staff_required
def prescriber_detail(request: StaffRequest, npi: str) -> HttpResponse:
    require_perm(request, "priorauth.view_prescriber")
    return _prescriber_page(request, _prescriber(npi))


@require_POST
@staff_required
def prescriber_edit(request: StaffRequest, npi: str) -> HttpResponse:
    require_perm(request, "priorauth.change_prescriber")
    prescriber = _prescriber(npi)
    form = PrescriberEditForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            prescriber_services.prescriber_update(
                actor=request.user,
                npi=npi,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except ServiceError as error:
            _, status = refused(form, error)
        else:
            messages.success(request, "Saved: letters made from now on go to the new details.")
            return redirect("priorauth:prescriber", npi=npi)
    return _prescriber_page(request, prescriber, form, status)

"""Enrollment import pages: 834 and census uploads (dry run, then apply) and the status
of an import running in the background. Thin: the import modules do the work."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from payerdesk.core.errors import NotFound, NotPermitted, ServiceError
from payerdesk.core.views import StaffRequest, is_htmx, staff_required
from payerdesk.groups.forms.groups import CensusUploadForm, Enrollment834Form
from payerdesk.groups.models import ImportJob
from payerdesk.groups.services import imports
from payerdesk.groups.services.census import COLUMNS


def _import(
    request: StaffRequest, form: Form, kind: str, template: str, extra: dict[str, Any]
) -> HttpResponse:
    """Validate the form, import in the foreground or queue a job; render the outcome."""
    if not request.user.has_perm("groups.add_member"):
        raise PermissionDenied("Enrollment is for group administrators")
    result, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            options = {
                "actor": request.user, "kind": kind, "name": upload.name,
                "content": upload.read(), "dry_run": form.cleaned_data["dry_run"],
                "apply_audit": form.cleaned_data.get("apply_audit", False),
            }  # fmt: skip
            try:
                if upload.size > imports.background_threshold():
                    job = imports.import_job_create(**options)
                    return redirect("groups:import-job", job_id=job.pk)
                result = imports.run_import(**options)
            except NotPermitted as error:
                form.add_error("file", error.message)
                status = 403
            except ServiceError as error:
                form.add_error("file", error.message)
                status = error.http_status
        else:
            status = 400
    context = {"form": form, "result": result, **extra}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def enrollment_upload(request: StaffRequest) -> HttpResponse:
    form = Enrollment834Form(request.POST or None, request.FILES or None)
    return _import(request, form, ImportJob.Kind.X834, "groups/imports/enrollment_upload.html", {})


@require_http_methods(["GET", "POST"])
@staff_required
def census_upload(request: StaffRequest) -> HttpResponse:
    form = CensusUploadForm(request.POST or None, request.FILES or None)
    extra = {"columns": COLUMNS.items()}
    return _import(request, form, ImportJob.Kind.CENSUS, "groups/imports/census_upload.html", extra)


@require_GET
@staff_required
def import_job(request: StaffRequest, job_id: int) -> HttpResponse:
    """The job's state and progress; htmx polls the status fragment until it is done."""
    try:
        job = imports.import_job_get(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404("No such import job") from None
    processed = imports.progress_read(job)
    context = {"job": job, "processed": processed, "percent": imports.percent(job, processed),
               "finished": job.state in {ImportJob.State.DONE, ImportJob.State.FAILED}}  # fmt: skip
    template = "groups/imports/partials/import_job_status.html" if is_htmx(request) else (
        "groups/imports/import_job.html"
    )  # fmt: skip
    return render(request, template, context)

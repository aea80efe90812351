"""Group administration pages: 834 enrollment upload so far."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from payerdesk.core.errors import NotPermitted, ServiceError
from payerdesk.core.views import StaffRequest, staff_required
from payerdesk.groups.enrollment import enrollment_834_apply
from payerdesk.groups.forms import EnrollmentUploadForm


@require_http_methods(["GET", "POST"])
@staff_required
def enrollment_upload(request: StaffRequest) -> HttpResponse:
    if not request.user.has_perm("groups.add_member"):
        raise PermissionDenied("Enrollment is for group administrators")
    form = EnrollmentUploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = enrollment_834_apply(
                    actor=request.user,
                    name=upload.name,
                    content=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except NotPermitted as error:
                form.add_error("file", error.message)
                status = 403
            except ServiceError as error:
                form.add_error("file", error.message)
                status = error.http_status
        else:
            status = 400
    # A Counter answers 0 for the template's `.items` lookup: hand over plain pairs.
    counts = sorted(result.by_maintenance_type.items()) if result else []
    context = {"form": form, "result": result, "counts": counts}
    return render(request, "groups/enrollment_upload.html", context, status=status)

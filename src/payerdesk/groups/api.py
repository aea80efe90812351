"""Group administration over REST: enrollment files so far."""

from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from payerdesk.core.api import staff_user
from payerdesk.groups.enrollment import enrollment_834_apply

router = Router(tags=["group administration"])


class EnrollmentResultOut(Schema):
    interchange_control_number: str
    dry_run: bool
    already_imported: bool
    by_maintenance_type: dict[str, int]
    changes: list[str]


@router.post("/enrollment/files", response=EnrollmentResultOut, summary="Apply an X12 834")
def upload_834(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False
) -> EnrollmentResultOut:
    """Apply an 834 all or nothing; `dry_run=true` reports the changes and applies none."""
    user = staff_user(request)
    result = enrollment_834_apply(
        actor=user, name=file.name or "upload.834", content=file.read(), dry_run=dry_run
    )
    return EnrollmentResultOut(
        interchange_control_number=result.interchange_control_number,
        dry_run=result.dry_run,
        already_imported=result.already_imported,
        by_maintenance_type=dict(result.by_maintenance_type),
        changes=result.changes,
    )

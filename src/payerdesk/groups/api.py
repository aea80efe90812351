"""Group administration over REST: enrollment files (834, census), import jobs, eligibility."""

from datetime import date

from django.http import HttpRequest
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.models import AccessLogEntry
from payerdesk.groups import imports, selectors
from payerdesk.groups.models import ImportJob

router = Router(tags=["group administration"])


class EnrollmentResultOut(Schema):
    interchange_control_number: str
    dry_run: bool
    already_imported: bool
    by_maintenance_type: dict[str, int]
    changes: list[str]
    audit: bool
    audit_applied: bool
    absence_means: str


class CensusResultOut(Schema):
    name: str
    dry_run: bool
    already_imported: bool
    rows: int
    members_added: int
    changes: list[str]


class ImportJobOut(Schema):
    id: int
    kind: str
    name: str
    state: str
    dry_run: bool
    apply_audit: bool
    processed: int
    total: int
    result: dict[str, object]
    error: str
    status_url: str


def _job_out(job: ImportJob) -> ImportJobOut:
    return ImportJobOut(
        id=job.pk, kind=job.kind, name=job.name, state=job.state, dry_run=job.dry_run,
        apply_audit=job.apply_audit, processed=imports.progress_read(job), total=job.total,
        result=job.result, error=job.error, status_url=f"/api/import-jobs/{job.pk}",
    )  # fmt: skip


def _import(
    request: HttpRequest, kind: str, file: UploadedFile, dry_run: bool, apply_audit: bool = False
) -> Status[dict[str, object] | ImportJobOut]:
    """Small files answer 200 with the result; large ones 202 with the queued job."""
    options = {
        "actor": staff_user(request), "kind": kind, "name": file.name or f"upload.{kind}",
        "content": file.read(), "dry_run": dry_run, "apply_audit": apply_audit,
    }  # fmt: skip
    if (file.size or 0) > imports.background_threshold():
        return Status(202, _job_out(imports.import_job_create(**options)))
    return Status(200, imports.run_import(**options))


@router.post(
    "/enrollment/files",
    response={200: EnrollmentResultOut, 202: ImportJobOut},
    summary="Apply an X12 834",
)
def upload_834(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False, apply_audit: bool = False
) -> Status[dict[str, object] | ImportJobOut]:
    """Apply an 834 all or nothing; `dry_run=true` reports the changes and applies none. A
    full (030 audit) file reports its differences; `apply_audit=true` applies them. A large
    file answers 202 with an import job to poll."""
    return _import(request, ImportJob.Kind.X834, file, dry_run, apply_audit)


@router.post(
    "/census/files",
    response={200: CensusResultOut, 202: ImportJobOut},
    summary="Apply a census (CSV or Excel)",
)
def upload_census(
    request: HttpRequest, file: File[UploadedFile], dry_run: bool = False
) -> Status[dict[str, object] | ImportJobOut]:
    """Apply a census all or nothing; errors name the row and column. `dry_run=true`
    reports the changes and applies none. A large file answers 202 with an import job."""
    return _import(request, ImportJob.Kind.CENSUS, file, dry_run)


@router.get("/import-jobs/{job_id}", response=ImportJobOut, summary="An import job's progress")
def import_job(request: HttpRequest, job_id: int) -> ImportJobOut:
    """State, progress and the result or the located error of a background import."""
    user = staff_user(request)
    return _job_out(imports.import_job_get(user=user, job_id=job_id))


class EligibilityQuery(Schema):
    member: str
    date: date
    group: str | None = None


class CoverageOut(Schema):
    product: str
    insurance_line: str
    plan: str
    tier: str
    start_date: date
    end_date: date | None


class EligibilityOut(Schema):
    member: str
    group: str
    date: date
    covered: bool
    coverages: list[CoverageOut]


@router.get("/eligibility", response=EligibilityOut, summary="Is this person covered on a date?")
def eligibility(request: HttpRequest, query: Query[EligibilityQuery]) -> EligibilityOut:
    """For the claims department: the products and tiers a member has on a date."""
    user = staff_user(request)
    member = selectors.member_find(user=user, member_id=query.member, group_number=query.group)
    log_record_view(
        request, user, record_type="member", record_id=str(member.pk),
        channel=AccessLogEntry.Channel.API,
    )  # fmt: skip
    rows = selectors.coverage_as_of(member=member, on=query.date)
    return EligibilityOut(
        member=member.member_id,
        group=member.group.group_number,
        date=query.date,
        covered=bool(rows),
        coverages=[
            CoverageOut(
                product=row.plan.product.name,
                insurance_line=row.plan.product.insurance_line,
                plan=row.plan.name,
                tier=row.tier,
                start_date=row.start_date,
                end_date=row.end_date,
            )
            for row in rows
        ],
    )

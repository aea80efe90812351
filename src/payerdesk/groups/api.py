"""Group administration over REST: enrollment files so far."""

from datetime import date

from django.http import HttpRequest
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile

from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.models import AccessLogEntry
from payerdesk.groups import selectors
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

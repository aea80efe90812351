"""Group administration over REST: enrollment files (834, census), import jobs,
eligibility, groups, plan designs, rate tables, members and coverages. Role-scoped like the
pages; PHI reads access-logged."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from payerdesk.core.access import log_record_view
from payerdesk.core.api import staff_user
from payerdesk.core.errors import ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import AccessLogEntry, Market, User
from payerdesk.groups import selectors
from payerdesk.groups.models import (
    Coverage,
    EmployerGroup,
    ImportJob,
    Member,
    PlanDesign,
    Product,
    RateRow,
)
from payerdesk.groups.services import groups as services
from payerdesk.groups.services import imports

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


# --- Groups, plan designs, rates, members and coverages -----------------------------------


def _staff_with(request: HttpRequest, perm: str) -> User:
    """A staff user whose role holds `perm`; the selectors then scope the rows."""
    user = staff_user(request)
    if not user.has_perm(perm):
        raise NotPermitted("Your role does not administer employer groups.")
    return user


def _log(request: HttpRequest, user: User, record_type: str, record_id: int) -> None:
    log_record_view(
        request, user, record_type=record_type, record_id=str(record_id),
        channel=AccessLogEntry.Channel.API,
    )  # fmt: skip


def _renamed(error: InvalidInput) -> InvalidInput:
    """Rating names the benefit `benefit`; the API's field is `benefit_amount`."""
    if error.field == "benefit":
        return InvalidInput(error.code, error.message, field="benefit_amount")
    return error


class SetupStepOut(Schema):
    position: int
    label: str
    done_at: datetime | None
    done_by: str | None


class GroupOut(Schema):
    group_number: str
    legal_name: str
    situs_state: str
    market: str
    effective_date: date
    status: str
    billing_contact_name: str
    billing_contact_email: str
    billing_contact_phone: str
    welcome_call: int | None

    @staticmethod
    def of(group: EmployerGroup) -> "GroupOut":
        return GroupOut(
            group_number=group.group_number, legal_name=group.legal_name,
            situs_state=group.situs_state, market=group.market.code,
            effective_date=group.effective_date, status=group.status,
            billing_contact_name=group.billing_contact_name,
            billing_contact_email=group.billing_contact_email,
            billing_contact_phone=group.billing_contact_phone,
            welcome_call=group.welcome_call_id,
        )  # fmt: skip


class GroupDetailOut(GroupOut):
    setup_steps: list[SetupStepOut]


class GroupIn(Schema):
    group_number: str
    legal_name: str
    situs_state: str
    market: str = Field(description="Market code, e.g. TRI")
    effective_date: date
    billing_contact_name: str
    billing_contact_email: str
    billing_contact_phone: str = ""


@router.get("/groups", response=list[GroupOut], summary="List employer groups")
def group_list(request: HttpRequest, search: str = "") -> list[GroupOut]:
    """The groups of the markets you serve; `search` matches a group number or name."""
    user = _staff_with(request, "groups.view_employergroup")
    return [GroupOut.of(group) for group in selectors.group_list(user=user, search=search)]


@router.post("/groups", response={201: GroupDetailOut}, summary="Install an employer group")
def group_create(request: HttpRequest, payload: GroupIn) -> Status[GroupDetailOut]:
    """Creates the group, its set-up checklist and a welcome call due in two business days."""
    user = _staff_with(request, "groups.add_employergroup")
    market = _market(payload.market)
    group = services.group_create(actor=user, **{**payload.dict(), "market": market})
    return Status(201, _group_detail(group))


def _market(code: str) -> Market:
    market = Market.objects.filter(code=code.upper()).first()
    if market is None:
        raise InvalidInput(ErrorCode.INVALID, f"No market {code!r}.", field="market")
    return market


class GroupMarketIn(Schema):
    market: str = Field(description="The new market's code")
    reason: str = Field(description="Why the group moves; kept in its audit trail")


@router.post(
    "/groups/{group_number}/market", response=GroupDetailOut, summary="Move a group to a market"
)
def group_market_change(
    request: HttpRequest, group_number: str, payload: GroupMarketIn
) -> GroupDetailOut:
    """You must serve both the group's market and the new one."""
    user = _staff_with(request, "groups.change_employergroup")
    group = selectors.group_get(user=user, group_number=group_number)
    group = services.group_market_change(
        actor=user, group=group, market=_market(payload.market), reason=payload.reason
    )
    return _group_detail(group)


def _group_detail(group: EmployerGroup) -> GroupDetailOut:
    steps = [
        SetupStepOut(
            position=step.position,
            label=step.label,
            done_at=step.done_at,
            done_by=step.done_by.get_username() if step.done_by else None,
        )
        for step in group.setup_steps.select_related("done_by")
    ]
    return GroupDetailOut(**GroupOut.of(group).dict(), setup_steps=steps)


@router.get("/groups/{group_number}", response=GroupDetailOut, summary="One employer group")
def group_get(request: HttpRequest, group_number: str) -> GroupDetailOut:
    user = _staff_with(request, "groups.view_employergroup")
    return _group_detail(selectors.group_get(user=user, group_number=group_number))


class RateOut(Schema):
    id: int
    age_min: int
    age_max: int
    tobacco: bool | None
    tier: str
    rate: Decimal

    @staticmethod
    def of(row: RateRow) -> "RateOut":
        return RateOut(
            id=row.pk, age_min=row.age_min, age_max=row.age_max, tobacco=row.tobacco,
            tier=row.tier, rate=row.rate,
        )  # fmt: skip


class PlanIn(Schema):
    product: str = Field(description="Product code, e.g. term-life")
    name: str
    effective_date: date
    tiers: list[str]
    rate_basis: str
    eligibility_class: str = "All full-time employees"
    waiting_period_days: int = 0
    grace_period_days: int = Field(31, description="Days after premium is due before lapse")
    unit_amount: Decimal | None = None
    min_benefit: Decimal | None = None
    max_benefit: Decimal | None = None
    guaranteed_issue: Decimal | None = None
    age_rule: str = "effective_date"


class PlanOut(PlanIn):
    id: int
    group: str
    rates: list[RateOut]

    @staticmethod
    def of(plan: PlanDesign) -> "PlanOut":
        values = {name: getattr(plan, name) for name in services.PLAN_FIELDS}
        return PlanOut(
            id=plan.pk, group=plan.group.group_number, product=plan.product.code,
            tiers=plan.tiers, rates=[RateOut.of(row) for row in plan.rates.all()], **values,
        )  # fmt: skip


@router.get("/groups/{group_number}/plans", response=list[PlanOut], summary="Plan designs")
def plan_list(request: HttpRequest, group_number: str) -> list[PlanOut]:
    """The group's plan designs, each with its rate table."""
    user = _staff_with(request, "groups.view_plandesign")
    group = selectors.group_get(user=user, group_number=group_number)
    return [PlanOut.of(plan) for plan in selectors.plans_of(group)]


@router.post("/groups/{group_number}/plans", response={201: PlanOut}, summary="Add a plan design")
def plan_create(request: HttpRequest, group_number: str, payload: PlanIn) -> Status[PlanOut]:
    user = _staff_with(request, "groups.add_plandesign")
    group = selectors.group_get(user=user, group_number=group_number)
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise InvalidInput(ErrorCode.INVALID, f"No product {payload.product!r}.", field="product")
    plan = services.plan_design_save(
        actor=user, group=group, **{**payload.dict(), "product": product}
    )
    return Status(201, PlanOut.of(plan))


class RateIn(Schema):
    rate: Decimal
    age_min: int = 0
    age_max: int = 120
    tobacco: bool | None = Field(None, description="Empty: applies to both")
    tier: str = Field("", description="Empty: every tier")


@router.get("/plans/{plan_id}/rates", response=list[RateOut], summary="A plan's rate table")
def rate_list(request: HttpRequest, plan_id: int) -> list[RateOut]:
    user = _staff_with(request, "groups.view_raterow")
    plan = selectors.plan_get(user=user, plan_id=plan_id)
    return [RateOut.of(row) for row in plan.rates.all()]


@router.post("/plans/{plan_id}/rates", response={201: RateOut}, summary="Add a rate")
def rate_create(request: HttpRequest, plan_id: int, payload: RateIn) -> Status[RateOut]:
    """One cell of the rate table; age bands of the same tier and tobacco may not overlap."""
    user = _staff_with(request, "groups.add_raterow")
    plan = selectors.plan_get(user=user, plan_id=plan_id)
    return Status(201, RateOut.of(services.rate_row_save(actor=user, plan=plan, **payload.dict())))


class MemberIn(Schema):
    member_id: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    relationship: str = "18"
    employee: str | None = Field(None, description="For a dependent: the employee's member id")
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    hire_date: date | None = None
    employment_class: str = ""
    tobacco: bool = False


class MemberOut(Schema):
    id: int
    group: str
    member_id: str
    subscriber_id: str
    relationship: str
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    tobacco: bool
    employee: str | None

    @staticmethod
    def of(member: Member) -> "MemberOut":
        return MemberOut(
            id=member.pk, group=member.group.group_number, member_id=member.member_id,
            subscriber_id=member.subscriber_id, relationship=member.relationship,
            first_name=member.first_name, last_name=member.last_name,
            birth_date=member.birth_date, sex=member.sex, tobacco=member.tobacco,
            employee=member.subscriber_id if member.employee_id else None,
        )  # fmt: skip


class CoverageRowOut(Schema):
    id: int
    product: str
    plan_id: int
    plan: str
    tier: str
    benefit_amount: Decimal | None
    start_date: date
    end_date: date | None
    status: str
    monthly_premium: Decimal
    rated_age: int
    rated_tobacco: bool

    @staticmethod
    def of(row: Coverage) -> "CoverageRowOut":
        return CoverageRowOut(
            id=row.pk, product=row.plan.product.code, plan_id=row.plan_id, plan=row.plan.name,
            tier=row.tier, benefit_amount=row.benefit_amount, start_date=row.start_date,
            end_date=row.end_date, status=row.status, monthly_premium=row.monthly_premium,
            rated_age=row.rated_age, rated_tobacco=row.rated_tobacco,
        )  # fmt: skip


class MemberDetailOut(MemberOut):
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    hire_date: date | None
    employment_class: str
    dependents: list[str]
    coverages: list[CoverageRowOut]


@router.get("/groups/{group_number}/members", response=list[MemberOut], summary="Members")
def member_list(request: HttpRequest, group_number: str) -> list[MemberOut]:
    """The group's employees and dependents (access-logged: PHI)."""
    user = _staff_with(request, "groups.view_member")
    group = selectors.group_get(user=user, group_number=group_number)
    _log(request, user, "group_members", group.pk)
    return [MemberOut.of(member) for member in group.members.select_related("group")]


@router.post("/groups/{group_number}/members", response={201: MemberOut}, summary="Add a member")
def member_create(request: HttpRequest, group_number: str, payload: MemberIn) -> Status[MemberOut]:
    user = _staff_with(request, "groups.add_member")
    group = selectors.group_get(user=user, group_number=group_number)
    values = payload.dict()
    employee = None
    if values.pop("employee"):
        employee = group.members.filter(member_id=payload.employee, employee__isnull=True).first()
        if employee is None:
            raise InvalidInput(
                ErrorCode.INVALID, f"No employee {payload.employee!r} in the group.",
                field="employee",
            )  # fmt: skip
    member = services.member_add(actor=user, group=group, employee=employee, **values)
    return Status(201, MemberOut.of(member))


@router.get("/members/{member_pk}", response=MemberDetailOut, summary="One member, with coverage")
def member_get(request: HttpRequest, member_pk: int) -> MemberDetailOut:
    """Demographics, dependents and the whole coverage history (access-logged: PHI)."""
    user = _staff_with(request, "groups.view_member")
    member = selectors.member_get(user=user, member_pk=member_pk)
    _log(request, user, "member", member.pk)
    return MemberDetailOut(
        **MemberOut.of(member).dict(),
        address_line1=member.address_line1, address_line2=member.address_line2,
        city=member.city, state=member.state, postal_code=member.postal_code,
        hire_date=member.hire_date, employment_class=member.employment_class,
        dependents=[dependent.member_id for dependent in member.dependents.all()],
        coverages=[CoverageRowOut.of(row) for row in selectors.coverage_history(member)],
    )  # fmt: skip


@router.get("/members/{member_pk}/coverages", response=list[CoverageRowOut], summary="Coverages")
def coverage_list(
    request: HttpRequest, member_pk: int, as_of: date | None = None
) -> list[CoverageRowOut]:
    """The member's coverage history, or with `as_of` the coverages in force that day."""
    user = _staff_with(request, "groups.view_coverage")
    member = selectors.member_get(user=user, member_pk=member_pk)
    _log(request, user, "member", member.pk)
    rows = (
        selectors.coverage_as_of(member=member, on=as_of)
        if as_of
        else list(selectors.coverage_history(member))
    )
    return [CoverageRowOut.of(row) for row in rows]


class CoverageIn(Schema):
    plan_id: int
    tier: str = Field(
        "", description="EMP, ESP, ECH or FAM; empty for a dependent on a tier-rated plan, "
        "who is covered at the employee's tier for no premium of their own",
    )  # fmt: skip
    start_date: date
    benefit_amount: Decimal | None = None


@router.post(
    "/members/{member_pk}/coverages", response={201: CoverageRowOut}, summary="Add coverage"
)
def coverage_create(
    request: HttpRequest, member_pk: int, payload: CoverageIn
) -> Status[CoverageRowOut]:
    """Covers the member from `start_date`, priced from the plan's rate table on that date."""
    user = _staff_with(request, "groups.add_coverage")
    member = selectors.member_get(user=user, member_pk=member_pk)
    plan = member.group.plans.filter(pk=payload.plan_id).first()
    if plan is None:
        raise InvalidInput(
            ErrorCode.INVALID, f"Group {member.group.group_number} has no plan {payload.plan_id}.",
            field="plan_id",
        )  # fmt: skip
    try:
        row = services.coverage_add(
            actor=user, member=member, plan=plan, tier=payload.tier,
            benefit_amount=payload.benefit_amount, start_date=payload.start_date,
        )  # fmt: skip
    except InvalidInput as error:
        raise _renamed(error) from None
    return Status(201, CoverageRowOut.of(row))

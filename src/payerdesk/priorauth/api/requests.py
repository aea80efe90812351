"""Prior authorization over REST: intake, reads, pharmacist actions, reference data."""

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BeforeValidator, WithJsonSchema

from payerdesk.core.access import log_record_view, viewer
from payerdesk.core.errors import NotPermitted
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.roles import is_staff_member
from payerdesk.priorauth import selectors
from payerdesk.priorauth.models import Channel, ClockRule, Prescriber, PriorAuthRequest
from payerdesk.priorauth.services import clocks as clock_services
from payerdesk.priorauth.services import criteria as criteria_services
from payerdesk.priorauth.services import formulary as formulary_services
from payerdesk.priorauth.services import prescribers as prescriber_services
from payerdesk.priorauth.services import requests as request_services

router = Router(tags=["prior authorization"])
RECORD_TYPE = request_services.RECORD_TYPE


def api_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise NotPermitted("Sign in with an API token.")
    return user


def staff_with(request: HttpRequest, permission: str, what: str) -> User:
    user = api_user(request)
    if not is_staff_member(user) or not user.has_perm(permission):
        raise NotPermitted(f"Your role may not {what}.")
    return user


def reader(request: HttpRequest) -> User:
    """Staff who read requests, or a provider (who sees only their own)."""
    user = api_user(request)
    if not (user.has_perm("priorauth.view_priorauthrequest") or selectors.is_provider(user)):
        raise NotPermitted("Your role does not see prior authorization requests.")
    return user


def log_view(request: HttpRequest, user: User, pa: PriorAuthRequest) -> None:
    log_record_view(
        request,
        user,
        record_type=RECORD_TYPE,
        record_id=str(pa.pk),
        channel=AccessLogEntry.Channel.API,
    )


class RequestIn(Schema):
    member_id: str = Field(..., min_length=1, max_length=30)
    group_number: str | None = Field(None, max_length=20)
    prescriber_npi: str = Field(..., min_length=1, max_length=20)
    drug: str = Field(..., min_length=1, max_length=20, description="RXCUI or 11-digit NDC")
    urgency: Literal["standard", "expedited"]
    line_of_business: Literal["medicare_part_d", "medicare_advantage", "medicaid", "commercial"]
    answers: dict[str, Any] = Field(default_factory=dict, description="Answers by linkId")
    supporting_statement: str = Field("", max_length=20_000)


class LetterOut(Schema):
    id: int
    kind: str
    file_name: str
    sha256: str = Field(description="Empty until the letter is issued")
    created_at: datetime
    issued_at: datetime | None = Field(
        description="When the worker made the PDF and emailed it; null while it is due"
    )


class RequestOut(Schema):
    id: int
    number: str
    request_type: str
    status: str
    decision: str
    automatic: bool
    member_id: str
    prescriber_npi: str
    drug_rxcui: str
    drug_name: str
    urgency: str
    line_of_business: str
    channel: str
    answers: dict[str, Any]
    criteria_code: str | None
    criteria_version: int | None
    unmet: list[str]
    approval_start: date | None
    approval_end: date | None
    denial_reason: str
    information_requested: str
    received_at: datetime
    clock_start: datetime | None
    due_at: datetime | None
    overdue: bool
    decided_at: datetime | None
    duplicate_of: str | None
    work_item: int
    letters: list[LetterOut]

    @staticmethod
    def of(pa: PriorAuthRequest) -> "RequestOut":
        return RequestOut(
            id=pa.pk,
            number=pa.number,
            request_type=pa.request_type,
            status=pa.status,
            decision=pa.decision,
            automatic=pa.automatic,
            member_id=pa.member.member_id,
            prescriber_npi=pa.prescriber.npi,
            drug_rxcui=pa.drug.rxcui,
            drug_name=pa.drug.name,
            urgency=pa.urgency,
            line_of_business=pa.line_of_business,
            channel=pa.channel,
            answers=pa.answers,
            criteria_code=pa.criteria.code if pa.criteria else None,
            criteria_version=pa.criteria.version if pa.criteria else None,
            unmet=pa.unmet,
            approval_start=pa.approval_start,
            approval_end=pa.approval_end,
            denial_reason=pa.denial_reason,
            information_requested=pa.information_requested,
            received_at=pa.received_at,
            clock_start=pa.clock_start,
            due_at=pa.due_at,
            overdue=pa.is_overdue(),
            decided_at=pa.decided_at,
            duplicate_of=pa.duplicate_of.number if pa.duplicate_of else None,
            work_item=pa.work_item_id,
            letters=[
                LetterOut(
                    id=x.pk,
                    kind=x.kind,
                    file_name=x.file_name,
                    sha256=x.sha256,
                    created_at=x.created_at,
                    issued_at=x.issued_at,
                )
                for x in pa.letter_list()
            ],
        )


@router.post(
    "/priorauth/requests", response={201: RequestOut}, summary="Submit a PA or exception request"
)
def request_submit(request: HttpRequest, body: RequestIn) -> Status[RequestOut]:
    """Decided at once when the answers meet the drug's criteria; otherwise referred to a
    pharmacist (status `in_review`, with the unmet criteria)."""
    user = api_user(request)
    pa = request_services.prior_auth_submit(
        actor=user,
        member_id=body.member_id,
        group_number=body.group_number,
        prescriber_npi=body.prescriber_npi,
        drug=body.drug,
        urgency=body.urgency,
        line_of_business=body.line_of_business,
        channel=Channel.ONLINE,
        answers=body.answers,
        supporting_statement=body.supporting_statement,
        viewer=viewer(request, user, channel=AccessLogEntry.Channel.API),
    )
    return Status(201, RequestOut.of(pa))


class RequestQuery(Schema):
    status: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("/priorauth/requests", response=list[RequestOut], summary="Requests you may see")
def request_list(request: HttpRequest, query: Query[RequestQuery]) -> list[RequestOut]:
    user = reader(request)
    rows = selectors.requests_visible_to(user).select_related("criteria", "duplicate_of")
    if query.status:
        rows = rows.filter(status=query.status)
    page = list(rows[query.offset : query.offset + query.limit])
    for pa in page:
        log_view(request, user, pa)
    return [RequestOut.of(pa) for pa in page]


@router.get("/priorauth/requests/{request_id}", response=RequestOut, summary="One request")
def request_detail(request: HttpRequest, request_id: int) -> RequestOut:
    user = reader(request)
    pa = selectors.request_get(user=user, request_id=request_id)
    log_view(request, user, pa)
    return RequestOut.of(pa)


class ApproveIn(Schema):
    approval_days: int = Field(
        request_services.DEFAULT_APPROVAL_DAYS, ge=1, le=request_services.MAX_APPROVAL_DAYS
    )


class DenyIn(Schema):
    reason: str = Field(..., max_length=5000)


class PendIn(Schema):
    information: str = Field(..., max_length=5000)


class StatementIn(Schema):
    statement: str = Field(..., max_length=20_000)


def _acted(request: HttpRequest, user: User, pa: PriorAuthRequest) -> RequestOut:
    fresh = selectors.request_get(user=user, request_id=pa.pk)
    log_view(request, user, fresh)
    return RequestOut.of(fresh)


def _visible(user: User, request_id: int) -> None:
    # Out of sight reads the same as nonexistent, before any permission answer.
    selectors.request_get(user=user, request_id=request_id)


@router.post("/priorauth/requests/{request_id}/approve", response=RequestOut, summary="Approve")
def request_approve(request: HttpRequest, request_id: int, body: ApproveIn) -> RequestOut:
    user = reader(request)
    _visible(user, request_id)
    pa = request_services.prior_auth_approve(
        actor=user, request_id=request_id, approval_days=body.approval_days
    )
    return _acted(request, user, pa)


@router.post("/priorauth/requests/{request_id}/deny", response=RequestOut, summary="Deny")
def request_deny(request: HttpRequest, request_id: int, body: DenyIn) -> RequestOut:
    """Pharmacists only, with a specific reason; anyone else is refused (403)."""
    user = reader(request)
    _visible(user, request_id)
    pa = request_services.prior_auth_deny(actor=user, request_id=request_id, reason=body.reason)
    return _acted(request, user, pa)


@router.post("/priorauth/requests/{request_id}/pend", response=RequestOut, summary="Pend")
def request_pend(request: HttpRequest, request_id: int, body: PendIn) -> RequestOut:
    user = reader(request)
    _visible(user, request_id)
    pa = request_services.prior_auth_pend(
        actor=user, request_id=request_id, information=body.information
    )
    return _acted(request, user, pa)


@router.post(
    "/priorauth/requests/{request_id}/statement",
    response=RequestOut,
    summary="Add the supporting statement of an exception",
)
def request_statement(request: HttpRequest, request_id: int, body: StatementIn) -> RequestOut:
    user = reader(request)
    _visible(user, request_id)
    pa = request_services.prior_auth_statement_add(
        actor=user, request_id=request_id, statement=body.statement
    )
    return _acted(request, user, pa)


def _base64_decoded(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected the file's bytes as a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError(f"not valid base64 ({error})") from None


# Sent as a base64 string, decoded once when the body is read.
Base64Content = Annotated[
    bytes,
    BeforeValidator(_base64_decoded),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


class DocumentIn(Schema):
    """The document received. Refused naming `document` when it is empty, over the size
    limit or not an accepted type by its content."""

    file_name: str = Field(..., min_length=1, max_length=200, description="e.g. labs.pdf")
    content: Base64Content = Field(
        ..., alias="content_base64", description="The file's bytes, base64"
    )


class InformationIn(Schema):
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="Changed answers by linkId; null takes an answer away",
    )
    note: str = Field("", max_length=20_000)
    document: DocumentIn | None = None


@router.post(
    "/priorauth/requests/{request_id}/information",
    response=RequestOut,
    summary="Record or send the information asked for on a pended request",
)
def request_information(request: HttpRequest, request_id: int, body: InformationIn) -> RequestOut:
    """Intake staff record what the prescriber's office sent; a provider acting for the
    request's NPI sends it themselves (another NPI's request is not found). The request is
    decided again on its own criteria version: approved when the criteria now approve,
    otherwise back to pharmacist review. The clock keeps running."""
    user = reader(request)
    _visible(user, request_id)
    document = body.document
    pa = request_services.prior_auth_information_receive(
        actor=user,
        request_id=request_id,
        answers=body.answers,
        note=body.note,
        document=request_services.Fax(document.file_name, document.content) if document else None,
    )
    return _acted(request, user, pa)


class DrugOut(Schema):
    rxcui: str
    name: str
    ndc: str
    tier: int | None
    prior_authorization: bool
    step_therapy: bool
    quantity_limit: bool
    quantity_limit_text: str
    on_formulary: bool
    has_criteria: bool


class DrugQuery(Schema):
    q: str = Field(..., min_length=1, max_length=100, description="Name, RXCUI or NDC")


@router.get("/priorauth/drugs", response=list[DrugOut], summary="Search drugs")
def drug_search(request: HttpRequest, query: Query[DrugQuery]) -> list[DrugOut]:
    """By name (any part), RXCUI or NDC, with tier and PA/ST/QL flags of the current formulary."""
    staff_with(request, "priorauth.view_formularydrug", "search the formulary")
    return [DrugOut(**hit.__dict__) for hit in selectors.drug_search(query.q)]


class FormularyOut(Schema):
    id: int
    formulary_id: str
    formulary_version: str
    contract_year: str
    drug_count: int
    sha256: str
    created: bool
    message: str


@router.post(
    "/priorauth/formularies",
    response={200: FormularyOut, 201: FormularyOut},
    summary="Import a CMS basic formulary file",
)
def formulary_upload(
    request: HttpRequest, formulary_file: File[UploadedFile], names_file: File[UploadedFile]
) -> Status[FormularyOut]:
    """Pipe-delimited, columns by header name. The same file again changes nothing (200)."""
    user = staff_with(request, "priorauth.add_formularyversion", "import formularies")
    result = formulary_services.formulary_import(
        actor=user,
        formulary_name=formulary_file.name or "formulary.txt",
        formulary_content=formulary_file.read(),
        names_name=names_file.name or "names.txt",
        names_content=names_file.read(),
    )
    version = result.formulary
    out = FormularyOut(
        id=version.pk,
        formulary_id=version.formulary_id,
        formulary_version=version.formulary_version,
        contract_year=version.contract_year,
        drug_count=version.drug_count,
        sha256=version.sha256,
        created=result.created,
        message=result.message,
    )
    return Status(201 if result.created else 200, out)


class CriteriaOut(Schema):
    id: int
    code: str
    version: int
    title: str
    rxcuis: list[str]
    sha256: str
    created: bool
    uploaded_at: datetime


@router.post(
    "/priorauth/criteria",
    response={200: CriteriaOut, 201: CriteriaOut},
    summary="Upload a criteria version (Questionnaire + JDM decision)",
)
def criteria_upload(
    request: HttpRequest,
    questionnaire: File[UploadedFile],
    decision: File[UploadedFile],
    code: Form[str],
    title: Form[str],
    rxcuis: Form[str],
) -> Status[CriteriaOut]:
    """`rxcuis` is comma separated. The same content again for a code changes nothing (200)."""
    user = staff_with(request, "priorauth.add_criteriaset", "upload criteria")
    result = criteria_services.criteria_upload(
        actor=user,
        code=code,
        title=title,
        rxcuis=rxcuis.split(","),
        questionnaire=questionnaire.read(),
        decision=decision.read(),
    )
    criteria = result.criteria
    out = CriteriaOut(
        id=criteria.pk,
        code=criteria.code,
        version=criteria.version,
        title=criteria.title,
        rxcuis=criteria.rxcuis,
        sha256=criteria.sha256,
        created=result.created,
        uploaded_at=timezone.localtime(criteria.uploaded_at),
    )
    return Status(201 if result.created else 200, out)


class PrescriberIn(Schema):
    npi: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., max_length=200)
    email: str = Field("", max_length=254)


class PrescriberPatch(Schema):
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)


class PrescriberOut(Schema):
    npi: str
    name: str
    email: str

    @staticmethod
    def of(prescriber: Prescriber) -> "PrescriberOut":
        return PrescriberOut(npi=prescriber.npi, name=prescriber.name, email=prescriber.email)


class PrescriberQuery(Schema):
    q: str = Field("", max_length=100, description="Part of the name or email, or an NPI")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("/priorauth/prescribers", response=list[PrescriberOut], summary="Find prescribers")
def prescriber_list(request: HttpRequest, query: Query[PrescriberQuery]) -> list[PrescriberOut]:
    staff_with(request, "priorauth.view_prescriber", "see prescribers")
    rows = selectors.prescriber_list(query.q)[query.offset : query.offset + query.limit]
    return [PrescriberOut.of(row) for row in rows]


@router.post(
    "/priorauth/prescribers", response={201: PrescriberOut}, summary="Register a prescriber"
)
def prescriber_register(request: HttpRequest, body: PrescriberIn) -> Status[PrescriberOut]:
    """The NPI's check digit is verified; an NPI already registered is refused (409)."""
    user = staff_with(request, "priorauth.add_prescriber", "register prescribers")
    prescriber = prescriber_services.prescriber_register(
        actor=user, npi=body.npi, name=body.name, email=body.email
    )
    return Status(201, PrescriberOut.of(prescriber))


@router.patch(
    "/priorauth/prescribers/{npi}", response=PrescriberOut, summary="Change name or email"
)
def prescriber_update(request: HttpRequest, npi: str, body: PrescriberPatch) -> PrescriberOut:
    user = staff_with(request, "priorauth.change_prescriber", "change prescribers")
    prescriber = prescriber_services.prescriber_update(
        actor=user, npi=npi, name=body.name, email=body.email
    )
    return PrescriberOut.of(prescriber)


# --- determination clocks ----------------------------------------------------------------


class ClockRuleOut(Schema):
    line_of_business: str
    urgency: str
    hours: int
    escalate_before_hours: int
    source: str


class ClockRulePatch(Schema):
    hours: int
    escalate_before_hours: int
    source: str = Field("", max_length=120)
    reason: str = Field(description="Why the clock changes; kept in its history")


@router.get("/priorauth/clock-rules", response=list[ClockRuleOut], summary="Determination clocks")
def clock_rule_list(request: HttpRequest) -> list[ClockRule]:
    staff_with(request, "priorauth.view_clockrule", "see the determination clocks")
    return list(selectors.clock_rules())


@router.patch(
    "/priorauth/clock-rules/{line_of_business}/{urgency}",
    response=ClockRuleOut,
    summary="Change a determination clock",
)
def clock_rule_change(
    request: HttpRequest, line_of_business: str, urgency: str, body: ClockRulePatch
) -> ClockRule:
    """Requests already received keep the clock they started with."""
    user = staff_with(request, "priorauth.change_clockrule", "change the determination clocks")
    return clock_services.clock_rule_change(
        actor=user, line_of_business=line_of_business, urgency=urgency, **body.dict()
    )

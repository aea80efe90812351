"""Prior authorization requests over REST: intake, reads and the pharmacist's actions."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from payerdesk.core.access import viewer
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.priorauth.api.access import (
    api_user,
    log_view,
    reader,
)
from payerdesk.priorauth.api.schemas import (
    ApproveIn,
    DenyIn,
    InformationIn,
    PendIn,
    RequestIn,
    RequestOut,
    RequestQuery,
    StatementIn,
)
from payerdesk.priorauth.models import Channel, PriorAuthRequest
from payerdesk.priorauth.selectors import requests as request_selectors
from payerdesk.priorauth.services import requests as request_services

router = Router()


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


@router.get("/priorauth/requests", response=list[RequestOut], summary="Requests you may see")
def request_list(request: HttpRequest, query: Query[RequestQuery]) -> list[RequestOut]:
    user = reader(request)
    rows = request_selectors.requests_visible_to(user).select_related("criteria", "duplicate_of")
    if query.status:
        rows = rows.filter(status=query.status)
    page = list(rows[query.offset : query.offset + query.limit])
    for pa in page:
        log_view(request, user, pa)
    return [RequestOut.of(pa) for pa in page]


@router.get("/priorauth/requests/{request_id}", response=RequestOut, summary="One request")
def request_detail(request: HttpRequest, request_id: int) -> RequestOut:
    user = reader(request)
    pa = request_selectors.request_get(user=user, request_id=request_id)
    log_view(request, user, pa)
    return RequestOut.of(pa)


def _acted(request: HttpRequest, user: User, pa: PriorAuthRequest) -> RequestOut:
    fresh = request_selectors.request_get(user=user, request_id=pa.pk)
    log_view(request, user, fresh)
    return RequestOut.of(fresh)


def _visible(user: User, request_id: int) -> None:
    # Out of sight reads the same as nonexistent, before any permission answer.
    request_selectors.request_get(user=user, request_id=request_id)


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

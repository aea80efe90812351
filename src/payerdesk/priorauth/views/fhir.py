"""`POST /fhir/Claim/$submit`: Da Vinci PAS-style prior authorization over FHIR.

Bearer-token authentication like `/api/`; FHIR JSON in and out. A submission that
cannot be read, or that the intake refuses, answers an OperationOutcome whose
`expression` is the FHIR path of the problem; nothing is stored.
"""

import json
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from fhir.resources.R4B.operationoutcome import OperationOutcome

from payerdesk.core import services as core_services
from payerdesk.core.access import viewer
from payerdesk.core.errors import NotAuthenticated, ServiceError
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.uploads import body_too_large_message
from payerdesk.priorauth.formats.fhir import FhirError, claim_response_build, pas_bundle_read
from payerdesk.priorauth.models import Channel, LineOfBusiness, PriorAuthRequest, Status
from payerdesk.priorauth.services.requests import prior_auth_submit

FHIR_JSON = "application/fhir+json"
# The reader speaks the model's line-of-business codes (one vocabulary for the model,
# the API and FHIR); a Bundle without one is an employer group's member, i.e. commercial.
DEFAULT_LINE = LineOfBusiness.COMMERCIAL
# Intake fields -> where they come from in a PAS Bundle.
FIELD_PATHS = {
    "member_id": "Patient.identifier",
    "group_number": "Patient.identifier",
    "prescriber_npi": "Claim.provider",
    "drug": "Claim.item[0].productOrService",
    "urgency": "Claim.priority",
    "line_of_business": "Claim.insurance",
}
ISSUE_CODES = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-long",
}


def fhir_response(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type=FHIR_JSON)


def operation_outcome(status: int, message: str, path: str | None) -> HttpResponse:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": ISSUE_CODES.get(status, "invalid"),
        "diagnostics": message,
    }
    if path:
        issue["expression"] = [path]
    outcome = OperationOutcome.model_validate(
        {"resourceType": "OperationOutcome", "issue": [issue]}
    )
    return fhir_response(json.loads(outcome.model_dump_json()), status)


def _field_path(field: str | None) -> str | None:
    if field and field.startswith("answers."):
        return f"QuestionnaireResponse.item.where(linkId='{field[8:]}').answer"
    return FIELD_PATHS.get(field or "", "Bundle")


def _authenticate(request: HttpRequest) -> User:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send an API token: Authorization: Bearer TOKEN")
    return core_services.api_token_authenticate(token.strip())


def _outcome(pa: PriorAuthRequest) -> Literal["approved", "pended", "denied"]:
    if pa.status == Status.APPROVED:
        return "approved"
    return "denied" if pa.status == Status.DENIED else "pended"


def _note(pa: PriorAuthRequest) -> str:
    if pa.status == Status.APPROVED:
        return f"Approved: {pa.drug.name} through {pa.approval_end:%Y-%m-%d}."
    if pa.status == Status.AWAITING_STATEMENT:
        return "Pended: a non-formulary exception needs the prescriber's supporting statement."
    return "Pended for pharmacist review: " + "; ".join(pa.unmet)


@csrf_exempt
@require_POST
def claim_submit(request: HttpRequest) -> HttpResponse:
    try:
        user = _authenticate(request)
    except NotAuthenticated as error:
        return operation_outcome(401, error.message, None)
    try:
        submission = pas_bundle_read(request.body)
    except RequestDataTooBig:
        return operation_outcome(413, body_too_large_message(), "Bundle")
    except FhirError as error:
        return operation_outcome(400, error.message, error.path)
    line = submission.line_of_business
    try:
        pa = prior_auth_submit(
            actor=user,
            member_id=submission.member_id,
            prescriber_npi=submission.prescriber_npi,
            drug=submission.drug_code,
            urgency=submission.urgency,
            line_of_business=line or DEFAULT_LINE,
            channel=Channel.FHIR,
            answers=submission.answers,
            claim_identifier=submission.claim_identifier or "",
            # The ClaimResponse shows the request: logged in the request's transaction.
            viewer=viewer(request, user, channel=AccessLogEntry.Channel.API),
        )
    except ServiceError as error:
        return operation_outcome(error.http_status, error.message, _field_path(error.field))
    response = claim_response_build(
        claim_identifier=submission.claim_identifier or None,
        request_reference=pa.number,
        member_id=pa.member.member_id,
        outcome=_outcome(pa),
        approval_start=pa.approval_start,
        approval_end=pa.approval_end,
        note=_note(pa),
        created=timezone.localtime(pa.received_at),
    )
    return fhir_response(response)

"""The request and response bodies of priorauth's REST API."""

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema

from payerdesk.priorauth.models import Prescriber, PriorAuthRequest
from payerdesk.priorauth.services import requests as request_services


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


class RequestQuery(Schema):
    status: str | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


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


class FormularyOut(Schema):
    id: int
    formulary_id: str
    formulary_version: str
    contract_year: str
    drug_count: int
    sha256: str
    created: bool
    message: str


class CriteriaOut(Schema):
    id: int
    code: str
    version: int
    title: str
    rxcuis: list[str]
    sha256: str
    created: bool
    uploaded_at: datetime


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

"""Determination letters: what was decided, for which drug, and how to appeal."""

from datetime import date

from django.utils import timezone

from payerdesk.core.documents import Document, Table, render_pdf
from payerdesk.priorauth.models import Letter, LineOfBusiness, PriorAuthRequest

SENDER = "payerdesk Coverage Review, Pharmacy Prior Authorization"

APPEAL_PART_D = (
    "If you disagree with this decision, you or your prescriber may ask us to look at it "
    "again (a redetermination). Ask within 65 days of the date of this letter, in writing or "
    "by phone. If your health could be seriously harmed by waiting, ask for a fast (expedited) "
    "redetermination and we will answer within 72 hours. You may send any information that "
    "supports your request. If we say no again, an independent review entity can look at your "
    "case."
)
APPEAL_MEDICARE_ADVANTAGE = (
    "If you disagree with this decision, you or your prescriber may ask us to look at it "
    "again (a reconsideration). Ask within 65 days of the date of this letter, in writing or "
    "by phone. If your health could be seriously harmed by waiting, ask for a fast (expedited) "
    "reconsideration and we will answer within 72 hours. You may send any information that "
    "supports your request. If we say no again, your case goes to an independent review "
    "entity automatically."
)
APPEAL_MEDICAID = (
    "If you disagree with this decision, you or your prescriber (with your written consent) "
    "may appeal to us. Appeal within 60 days of the date of this letter, in writing or by "
    "phone. If waiting could seriously harm your health, ask for an expedited appeal and we "
    "will answer within 72 hours. You may send any information that supports your appeal. "
    "If we say no again, you may ask for a State fair hearing within 120 days of our appeal "
    "decision."
)
APPEAL_COMMERCIAL = (
    "If you disagree with this decision, you or your prescriber may appeal. Send your appeal "
    "within 180 days of the date of this letter, in writing or by phone, with any information "
    "that supports it. If waiting could seriously harm your health, ask for an expedited "
    "appeal and we will answer within 72 hours. You also have the right to an external review "
    "by an independent organisation after our appeal decision."
)
# The appeal rights each line of business's rules give the member: Part D 42 CFR 423.582
# and 423.590, Medicare Advantage 422.582 and 422.590, Medicaid 438.402 and 438.408,
# commercial plans 29 CFR 2560.503-1 and 45 CFR 147.136.
APPEAL_RIGHTS = {
    LineOfBusiness.PART_D: APPEAL_PART_D,
    LineOfBusiness.MEDICARE_ADVANTAGE: APPEAL_MEDICARE_ADVANTAGE,
    LineOfBusiness.MEDICAID: APPEAL_MEDICAID,
    LineOfBusiness.COMMERCIAL: APPEAL_COMMERCIAL,
}


def _appeal_rights(request: PriorAuthRequest) -> str:
    return APPEAL_RIGHTS[LineOfBusiness(request.line_of_business)]


def _facts(request: PriorAuthRequest) -> Table:
    member = request.member
    return Table(
        header=("", ""),
        rows=[
            ("Request", request.number),
            ("Type", request.get_request_type_display()),
            ("Member", f"{member.first_name} {member.last_name} (ID {member.member_id})"),
            ("Drug", f"{request.drug.name} (RXCUI {request.drug.rxcui})"),
            ("Prescriber", f"{request.prescriber.name} (NPI {request.prescriber.npi})"),
            ("Coverage", request.get_line_of_business_display()),
            ("Received", f"{timezone.localtime(request.received_at):%B %d, %Y %H:%M %Z}"),
        ],
        widths=(1, 3),
    )


def _document(letter: Letter) -> Document:
    request, kind = letter.request, letter.kind
    addressee = [request.prescriber.name, f"NPI {request.prescriber.npi}"]
    drug = request.drug.name
    if kind == Letter.Kind.APPROVAL:
        blocks: list[str | Table] = [
            f"We approved coverage of {drug}.",
            f"The approval is valid from {request.approval_start:%B %d, %Y} through "
            f"{request.approval_end:%B %d, %Y}. Fill the prescription as usual during that time.",
            _facts(request),
        ]
        title = f"Coverage approved: {drug}"
    elif kind == Letter.Kind.DENIAL:
        blocks = [
            f"We cannot approve coverage of {drug}.",
            "# Why we said no",
            letter.text,
            _facts(request),
            "# Your right to appeal",
            _appeal_rights(request),
        ]
        title = f"Coverage denied: {drug}"
    else:
        blocks = [
            f"Before we can decide on coverage of {drug}, we need more information from you.",
            "# What we need",
            letter.text,
            "Please send it by replying to this letter, by fax or by phone, quoting "
            f"{request.number}.",
            _facts(request),
        ]
        title = f"More information needed: {drug}"
    return Document(
        title=title,
        # Dated the day of the decision, even when the worker makes it later.
        issued_on=timezone.localdate(letter.created_at),
        sender=SENDER,
        addressee=addressee,
        reference=request.number,
        blocks=blocks,
    )


def letter_text(request: PriorAuthRequest, kind: str) -> str:
    """What the letter quotes from the decision, kept on the letter when it is decided."""
    if kind == Letter.Kind.DENIAL:
        return request.denial_reason
    if kind == Letter.Kind.MORE_INFORMATION:
        return request.information_requested
    return ""


def letter_render(letter: Letter) -> bytes:
    """The PDF of a letter; its request, member, drug and prescriber should be selected."""
    return render_pdf(_document(letter))


def letter_file_name(request: PriorAuthRequest, kind: str, on: date) -> str:
    return f"{request.number}-{kind}-{on:%Y%m%d}.pdf"

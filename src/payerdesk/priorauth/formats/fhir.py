"""Prior authorization over FHIR, Da Vinci PAS style: read a submitted Bundle, build the
ClaimResponse. Uses the ``fhir.resources`` R4B models; imports no Django.

Reading a ``Claim/$submit`` Bundle (every problem is a ``FhirError`` with its FHIR path):

* exactly one ``Claim``, ``use = preauthorization``; references resolve inside the Bundle
  by ``fullUrl`` or ``Type/id``.
* member id: the Patient's identifier typed ``MB`` (v2-0203 member number), else its
  first identifier with a value.
* prescriber NPI: the ``us-npi`` identifier of ``Claim.provider`` (a Practitioner, or a
  PractitionerRole's practitioner), else of the MedicationRequest's requester; the check
  digit is verified (Luhn with prefix 80840).
* drug: the RxNorm (preferred) or NDC coding of the MedicationRequest named by the
  Claim item's ``requestedService`` extension, or of the Bundle's only MedicationRequest
  (``medicationCodeableConcept`` or a referenced Medication's ``code``), else of
  ``Claim.item[0].productOrService``.
* urgency: ``Claim.priority`` ``stat``/``urgent`` -> expedited, ``normal``/``deferred``
  -> standard.
* line of business, from the focal ``Claim.insurance`` Coverage when the Bundle has it:
  a coding in ``LINE_OF_BUSINESS_SYSTEM`` on ``Coverage.type`` or on a ``Coverage.class``
  taken as is; else ``Coverage.type`` in the Source of Payment Typology
  (https://nahdo.org/sopt): 122 (Medicare drug benefit) -> ``medicare_part_d``, 11x
  (Medicare managed care) -> ``medicare_advantage``, 2x -> ``medicaid``, 5x/6x (private,
  BCBS) -> ``commercial``; anything else -> ``None`` (the caller decides).
* answers: the QuestionnaireResponse in ``Claim.supportingInfo`` (``valueReference``) or
  the Bundle's only QuestionnaireResponse entry; items (nested ones flattened) by linkId,
  one value each: boolean, Coding (its code), string, integer, decimal, date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.claimresponse import ClaimResponse
from pydantic import ValidationError
from stdnum import luhn

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
SOPT_SYSTEM = "https://nahdo.org/sopt"
LINE_OF_BUSINESS_SYSTEM = "urn:payerdesk:line-of-business"
REQUESTED_SERVICE = (
    "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-requestedService"
)
REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
REVIEW_ACTION_CODE = (
    "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"
)
X12_306_SYSTEM = "https://codesystem.x12.org/005010/306"
PREAUTH_REF_SYSTEM = "urn:payerdesk:priorauth-request"
INSURER_DISPLAY = "payerdesk health plan"
URGENCY = {"stat": "expedited", "urgent": "expedited", "normal": "standard", "deferred": "standard"}
# X12 306 action codes PAS uses: A1 certified in total, A3 not certified, A4 pended.
REVIEW_ACTIONS = {
    "approved": ("A1", "Certified in total"),
    "denied": ("A3", "Not Certified"),
    "pended": ("A4", "Pended"),
}


class FhirError(ValueError):
    """A submission that cannot be read; ``path`` is the FHIR path of the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class PasSubmission:
    member_id: str
    prescriber_npi: str
    drug_system: str
    drug_code: str
    urgency: Literal["standard", "expedited"]
    line_of_business: str | None
    # By linkId: bool, str (a Coding's code), int, Decimal, date; what Criteria.clean takes.
    answers: dict[str, object] = field(default_factory=dict)
    claim_identifier: str | None = None


@dataclass(frozen=True)
class _Entry:
    index: int
    resource: Any  # a fhir.resources model

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}].resource"


class _Bundle:
    """The Bundle's resources, findable by type and by reference."""

    def __init__(self, bundle: Bundle) -> None:
        self.entries = [
            _Entry(i, entry.resource)
            for i, entry in enumerate(bundle.entry or [])
            if entry.resource is not None
        ]
        self.by_reference: dict[str, _Entry] = {}
        for i, entry in enumerate(bundle.entry or []):
            if entry.resource is None:
                continue
            found = _Entry(i, entry.resource)
            if entry.fullUrl:
                self.by_reference[str(entry.fullUrl)] = found
            if entry.resource.id:
                self.by_reference[f"{entry.resource.get_resource_type()}/{entry.resource.id}"] = (
                    found
                )

    def of_type(self, *types: str) -> list[_Entry]:
        return [e for e in self.entries if e.resource.get_resource_type() in types]

    def resolve(self, reference: Any, path: str, *types: str) -> _Entry:
        target = getattr(reference, "reference", None)
        if not target:
            raise FhirError(f"{path}.reference", "a reference to a resource in the Bundle")
        found = self.by_reference.get(str(target))
        if found is None and "/" in str(target):  # an absolute URL ending in Type/id
            found = self.by_reference.get("/".join(str(target).split("/")[-2:]))
        if found is None:
            raise FhirError(f"{path}.reference", f"{target!r} does not resolve in the Bundle")
        if types and found.resource.get_resource_type() not in types:
            raise FhirError(
                f"{path}.reference",
                f"{target!r} is a {found.resource.get_resource_type()}, expected "
                + " or ".join(types),
            )
        return found


# --- reading ----------------------------------------------------------------------------


def pas_bundle_read(body: bytes | str | Mapping[str, Any]) -> PasSubmission:
    """The prior authorization request in a PAS Bundle, or FhirError naming the path."""
    bundle = _Bundle(_bundle_validate(_json_object(body)))
    claims = bundle.of_type("Claim")
    if len(claims) != 1:
        raise FhirError("Bundle.entry", f"exactly one Claim is needed, found {len(claims)}")
    claim = claims[0]
    if claim.resource.use != "preauthorization":
        raise FhirError(
            f"{claim.path}.use", f"must be preauthorization, not {claim.resource.use!r}"
        )
    patient = bundle.resolve(claim.resource.patient, f"{claim.path}.patient", "Patient")
    request = _medication_request(bundle, claim)
    system, code = _drug(bundle, claim, request)
    identifiers = claim.resource.identifier or []
    return PasSubmission(
        member_id=_member_id(patient),
        prescriber_npi=_prescriber_npi(bundle, claim, request),
        drug_system=system,
        drug_code=code,
        urgency=_urgency(claim),
        line_of_business=_line_of_business(bundle, claim),
        answers=_answers(bundle, claim),
        claim_identifier=str(identifiers[0].value)
        if identifiers and identifiers[0].value
        else None,
    )


def _json_object(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        data: object = dict(body)
    else:
        try:
            data = json.loads(body.decode("utf-8-sig") if isinstance(body, bytes) else body)
        except UnicodeDecodeError as error:
            raise FhirError("Bundle", f"not UTF-8 text (byte {error.start})") from None
        except json.JSONDecodeError as error:
            raise FhirError(
                "Bundle", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
    if not isinstance(data, dict):
        raise FhirError("Bundle", "expected a JSON object")
    if data.get("resourceType") != "Bundle":
        raise FhirError(
            "Bundle.resourceType", f"expected a Bundle, got {data.get('resourceType')!r}"
        )
    return data


def _bundle_validate(data: dict[str, Any]) -> Bundle:
    entries = data.get("entry")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            continue
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        try:
            get_fhir_model_class(str(kind))
        except (ValueError, KeyError):
            raise FhirError(
                f"Bundle.entry[{i}].resource.resourceType", f"{kind!r} is not a FHIR R4 resource"
            ) from None
    try:
        return Bundle.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise FhirError(fhir_path("Bundle", first["loc"]), first["msg"]) from None


def fhir_path(root: str, loc: tuple[int | str, ...]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _member_id(patient: _Entry) -> str:
    identifiers = [i for i in patient.resource.identifier or [] if i.value]
    typed = [i for i in identifiers if _has_code(i.type, "MB")]
    chosen = (typed or identifiers or [None])[0]
    if chosen is None:
        raise FhirError(f"{patient.path}.identifier", "the patient has no member id identifier")
    return str(chosen.value)


def _has_code(concept: Any, code: str) -> bool:
    return concept is not None and any(c.code == code for c in concept.coding or [])


def _prescriber_npi(bundle: _Bundle, claim: _Entry, request: _Entry | None) -> str:
    if claim.resource.provider is not None:
        provider = bundle.resolve(
            claim.resource.provider, f"{claim.path}.provider", "Practitioner", "PractitionerRole"
        )
    elif request is not None and request.resource.requester is not None:
        provider = bundle.resolve(
            request.resource.requester,
            f"{request.path}.requester",
            "Practitioner",
            "PractitionerRole",
        )
    else:
        raise FhirError(f"{claim.path}.provider", "the prescriber is missing")
    if provider.resource.get_resource_type() == "PractitionerRole":
        provider = bundle.resolve(
            provider.resource.practitioner, f"{provider.path}.practitioner", "Practitioner"
        )
    for i, identifier in enumerate(provider.resource.identifier or []):
        if identifier.system == NPI_SYSTEM and identifier.value:
            npi = str(identifier.value)
            if not (len(npi) == 10 and npi.isdigit() and luhn.is_valid("80840" + npi)):
                raise FhirError(
                    f"{provider.path}.identifier[{i}].value",
                    f"{npi!r} is not a valid NPI (10 digits, Luhn check digit)",
                )
            return npi
    raise FhirError(f"{provider.path}.identifier", f"no NPI identifier (system {NPI_SYSTEM})")


def _medication_request(bundle: _Bundle, claim: _Entry) -> _Entry | None:
    for i, item in enumerate(claim.resource.item or []):
        for j, extension in enumerate(item.extension or []):
            if extension.url == REQUESTED_SERVICE and extension.valueReference is not None:
                return bundle.resolve(
                    extension.valueReference,
                    f"{claim.path}.item[{i}].extension[{j}].valueReference",
                    "MedicationRequest",
                )
    requests = bundle.of_type("MedicationRequest")
    return requests[0] if len(requests) == 1 else None


def _drug(bundle: _Bundle, claim: _Entry, request: _Entry | None) -> tuple[str, str]:
    if request is not None:
        if request.resource.medicationReference is not None:
            medication = bundle.resolve(
                request.resource.medicationReference,
                f"{request.path}.medicationReference",
                "Medication",
            )
            return _drug_coding(medication.resource.code, f"{medication.path}.code")
        return _drug_coding(
            request.resource.medicationCodeableConcept,
            f"{request.path}.medicationCodeableConcept",
        )
    items = claim.resource.item or []
    if not items:
        raise FhirError(f"{claim.path}.item", "no medication: no MedicationRequest and no item")
    return _drug_coding(items[0].productOrService, f"{claim.path}.item[0].productOrService")


def _drug_coding(concept: Any, path: str) -> tuple[str, str]:
    codings = concept.coding or [] if concept is not None else []
    for system in (RXNORM_SYSTEM, NDC_SYSTEM):
        for coding in codings:
            if coding.system == system and coding.code:
                return system, str(coding.code)
    raise FhirError(f"{path}.coding", "no medication code (RxNorm or NDC)")


def _urgency(claim: _Entry) -> Literal["standard", "expedited"]:
    codes = [c.code for c in claim.resource.priority.coding or [] if c.code in URGENCY]
    if not codes:
        raise FhirError(
            f"{claim.path}.priority", "expected a processpriority code: stat, urgent or normal"
        )
    return "expedited" if URGENCY[str(codes[0])] == "expedited" else "standard"


def _line_of_business(bundle: _Bundle, claim: _Entry) -> str | None:
    insurances = claim.resource.insurance or []
    focal = [i for i, insurance in enumerate(insurances) if insurance.focal] or [0]
    index = focal[0]
    if index >= len(insurances):
        return None
    coverage = bundle.resolve(
        insurances[index].coverage, f"{claim.path}.insurance[{index}].coverage", "Coverage"
    )
    concepts = [coverage.resource.type] + [c.type for c in coverage.resource.class_fhir or []]
    codings = [coding for concept in concepts if concept for coding in concept.coding or []]
    for coding in codings:
        if coding.system == LINE_OF_BUSINESS_SYSTEM and coding.code:
            return str(coding.code)
    for coding in codings:
        if coding.system == SOPT_SYSTEM and coding.code:
            return _sopt_line(str(coding.code))
    return None


def _sopt_line(code: str) -> str | None:
    if code.startswith("122"):  # Medicare drug benefit
        return "medicare_part_d"
    if code.startswith("11"):  # Medicare managed care
        return "medicare_advantage"
    if code.startswith("2"):
        return "medicaid"
    if code[:1] in ("5", "6"):
        return "commercial"
    return None


def _answers(bundle: _Bundle, claim: _Entry) -> dict[str, object]:
    response: _Entry | None = None
    for i, info in enumerate(claim.resource.supportingInfo or []):
        target = getattr(info.valueReference, "reference", None)
        if target and (found := bundle.by_reference.get(str(target))) is not None:
            if found.resource.get_resource_type() == "QuestionnaireResponse":
                response = found
                break
        elif info.valueReference is not None:
            bundle.resolve(info.valueReference, f"{claim.path}.supportingInfo[{i}].valueReference")
    if response is None:
        responses = bundle.of_type("QuestionnaireResponse")
        if len(responses) > 1:
            raise FhirError(
                "Bundle.entry", "several QuestionnaireResponses, none in supportingInfo"
            )
        response = responses[0] if responses else None
    answers: dict[str, object] = {}
    if response is not None:
        _read_items(response.resource.item or [], response.path, answers)
    return answers


def _read_items(items: list[Any], path: str, into: dict[str, object]) -> None:
    for i, item in enumerate(items):
        item_path = f"{path}.item[{i}]"
        answers = item.answer or []
        if len(answers) > 1:
            raise FhirError(f"{item_path}.answer", f"{item.linkId!r} has several answers; one")
        if answers:
            if item.linkId in into:
                raise FhirError(f"{item_path}.linkId", f"{item.linkId!r} is answered twice")
            into[str(item.linkId)] = _answer_value(answers[0], f"{item_path}.answer[0]")
            _read_items(answers[0].item or [], f"{item_path}.answer[0]", into)
        _read_items(item.item or [], item_path, into)


def _answer_value(answer: Any, path: str) -> object:
    if answer.valueBoolean is not None:
        return bool(answer.valueBoolean)
    if answer.valueCoding is not None:
        if not answer.valueCoding.code:
            raise FhirError(f"{path}.valueCoding.code", "the coding has no code")
        return str(answer.valueCoding.code)
    for name in ("valueString", "valueInteger", "valueDecimal", "valueDate"):
        value = getattr(answer, name)
        if value is not None:
            return value
    supported = "valueBoolean, valueCoding, valueString, valueInteger, valueDecimal, valueDate"
    raise FhirError(path, f"unsupported answer type; supported: {supported}")


# --- the response -----------------------------------------------------------------------


def claim_response_build(
    *,
    claim_identifier: str | None,
    request_reference: str,
    member_id: str,
    outcome: Literal["approved", "pended", "denied"],
    approval_start: date | None,
    approval_end: date | None,
    note: str,
    created: datetime,
) -> dict[str, Any]:
    """A PAS-style ClaimResponse as JSON-ready dict, validated through the R4B model.

    ``request_reference`` is the plan's number for the prior authorization request: it
    becomes ``identifier`` and ``preAuthRef`` (what the prescriber quotes later);
    ``claim_identifier`` (the submitter's Claim.identifier) goes in ``request``.
    """
    if created.tzinfo is None:
        raise ValueError("created must be an aware datetime")
    if outcome == "approved" and (approval_start is None or approval_end is None):
        raise ValueError("an approval needs its period")
    code, display = REVIEW_ACTIONS[outcome]
    review_action = {
        "url": REVIEW_ACTION,
        "extension": [
            {"url": "number", "valueString": request_reference},
            {
                "url": REVIEW_ACTION_CODE,
                "valueCodeableConcept": {
                    "coding": [{"system": X12_306_SYSTEM, "code": code, "display": display}]
                },
            },
        ],
    }
    data: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "identifier": [{"system": PREAUTH_REF_SYSTEM, "value": request_reference}],
        "status": "active",
        "type": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "pharmacy"}
            ]
        },
        "use": "preauthorization",
        "patient": {
            "identifier": {
                "type": {
                    "coding": [
                        {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}
                    ]
                },
                "value": member_id,
            }
        },
        "created": created.isoformat(),
        "insurer": {"display": INSURER_DISPLAY},
        "outcome": "queued" if outcome == "pended" else "complete",
        "disposition": note,
        "preAuthRef": request_reference,
        "item": [
            {
                "itemSequence": 1,
                "adjudication": [
                    {
                        "extension": [review_action],
                        "category": {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                    "code": "submitted",
                                }
                            ]
                        },
                    }
                ],
            }
        ],
    }
    if claim_identifier:
        data["request"] = {"identifier": {"value": claim_identifier}}
    if outcome == "approved" and approval_start and approval_end:
        data["preAuthPeriod"] = {
            "start": approval_start.isoformat(),
            "end": approval_end.isoformat(),
        }
    validated = ClaimResponse.model_validate(data)
    result: dict[str, Any] = json.loads(validated.model_dump_json(exclude_none=True))
    return result

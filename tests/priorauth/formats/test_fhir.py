"""Da Vinci PAS-style Bundles read into a submission, each malformed one refused with its
FHIR path, and ClaimResponses that parse back through fhir.resources."""

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.claimresponse import ClaimResponse

from payerdesk.priorauth.formats.fhir import (
    NDC_SYSTEM,
    RXNORM_SYSTEM,
    FhirError,
    PasSubmission,
    claim_response_build,
    pas_bundle_read,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pas_semaglutide.json"
CLAIM, PATIENT, ROLE, PRACTITIONER = 0, 1, 2, 3
COVERAGE, MEDREQ, QR = 6, 7, 8


def bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def res(data: dict[str, Any], index: int) -> dict[str, Any]:
    resource: dict[str, Any] = data["entry"][index]["resource"]
    return resource


def test_reads_a_realistic_pas_bundle():
    assert pas_bundle_read(FIXTURE.read_bytes()) == PasSubmission(
        member_id="M100234",
        prescriber_npi="1234567893",
        drug_system=RXNORM_SYSTEM,
        drug_code="1991302",
        urgency="standard",
        line_of_business="medicare_advantage",
        answers={
            "diagnosis": "E11",
            "a1c": Decimal("8.4"),
            "a1c_date": date(2026, 10, 30),
            "metformin_tried": True,
            "metformin_days": 180,
            "weight_loss_only": False,
            "notes": "Metformin 1000 mg twice daily since May.",
        },
        claim_identifier="PA-CLINIC-0042",
    )
    assert pas_bundle_read(FIXTURE.read_text()) == pas_bundle_read(bundle())


@pytest.mark.parametrize(
    ("priority", "urgency"),
    [("stat", "expedited"), ("urgent", "expedited"), ("normal", "standard")],
)
def test_priority_sets_urgency(priority, urgency):
    data = bundle()
    res(data, CLAIM)["priority"]["coding"][0]["code"] = priority
    assert pas_bundle_read(data).urgency == urgency


@pytest.mark.parametrize(
    ("coverage_type", "line"),
    [
        ({"system": "https://nahdo.org/sopt", "code": "122"}, "medicare_part_d"),
        ({"system": "https://nahdo.org/sopt", "code": "111"}, "medicare_advantage"),
        ({"system": "https://nahdo.org/sopt", "code": "21"}, "medicaid"),
        ({"system": "https://nahdo.org/sopt", "code": "511"}, "commercial"),
        ({"system": "https://nahdo.org/sopt", "code": "9"}, None),
        ({"system": "urn:payerdesk:line-of-business", "code": "commercial"}, "commercial"),
    ],
)
def test_line_of_business_from_coverage(coverage_type, line):
    data = bundle()
    res(data, COVERAGE)["type"] = {"coding": [coverage_type]}
    assert pas_bundle_read(data).line_of_business == line


def test_without_coverage_type_line_of_business_is_unknown():
    data = bundle()
    del res(data, COVERAGE)["type"]
    assert pas_bundle_read(data).line_of_business is None


def test_drug_from_a_referenced_medication_or_the_claim_item():
    data = bundle()
    medreq = res(data, MEDREQ)
    del medreq["medicationCodeableConcept"]
    medreq["medicationReference"] = {"reference": "#med"}
    data["entry"].append(
        {
            "fullUrl": "#med",
            "resource": {
                "resourceType": "Medication",
                "code": {"coding": [{"system": NDC_SYSTEM, "code": "00169413212"}]},
            },
        }
    )
    found = pas_bundle_read(data)
    assert (found.drug_system, found.drug_code) == (NDC_SYSTEM, "00169413212")
    # No MedicationRequest at all: the Claim item's productOrService.
    data = bundle()
    del data["entry"][MEDREQ]
    del res(data, CLAIM)["item"][0]["extension"]
    assert pas_bundle_read(data).drug_code == "1991302"


def test_prescriber_as_a_practitioner_and_answers_as_a_plain_entry():
    data = bundle()
    claim = res(data, CLAIM)
    claim["provider"] = {"reference": "http://clinic.example.org/fhir/Practitioner/prac-1"}
    claim["supportingInfo"] = claim["supportingInfo"][:1]
    assert pas_bundle_read(data).prescriber_npi == "1234567893"
    assert pas_bundle_read(data).answers["diagnosis"] == "E11"
    data["entry"].pop(QR)
    assert pas_bundle_read(data).answers == {}
    res(data, CLAIM).pop("identifier")
    assert pas_bundle_read(data).claim_identifier is None


def mutate(change) -> dict[str, Any]:
    data = bundle()
    change(data)
    return data


def drop_claim(data):
    del data["entry"][CLAIM]


def second_claim(data):
    data["entry"].append(copy.deepcopy(data["entry"][CLAIM]))


def several_answers(data):
    res(data, QR)["item"][0]["answer"].append({"valueCoding": {"code": "E66"}})


@pytest.mark.parametrize(
    ("body", "path", "says"),
    [
        ('{"resourceType": "Bundle", "entry": [', "Bundle", "invalid JSON at line 1"),
        (b"\xc3\x28", "Bundle", "not UTF-8"),
        ("[]", "Bundle", "expected a JSON object"),
        ({"resourceType": "Claim"}, "Bundle.resourceType", "expected a Bundle, got 'Claim'"),
        (mutate(lambda d: d.__setitem__("type", 7)), "Bundle.type", "valid string"),
        (
            mutate(lambda d: res(d, PATIENT).__setitem__("birthDate", "1961-02-30")),
            "Bundle.entry[1].resource.birthDate",
            "valid date",
        ),
        (
            mutate(lambda d: res(d, CLAIM).pop("priority")),
            "Bundle.entry[0].resource.priority",
            "required",
        ),
        (
            mutate(lambda d: res(d, CLAIM).__setitem__("resourceType", "Claimz")),
            "Bundle.entry[0].resource.resourceType",
            "'Claimz' is not a FHIR R4 resource",
        ),
        (mutate(drop_claim), "Bundle.entry", "exactly one Claim is needed, found 0"),
        (mutate(second_claim), "Bundle.entry", "found 2"),
        (
            mutate(lambda d: res(d, CLAIM).__setitem__("use", "claim")),
            "Bundle.entry[0].resource.use",
            "must be preauthorization, not 'claim'",
        ),
        (
            mutate(lambda d: res(d, CLAIM).__setitem__("patient", {"reference": "Patient/nobody"})),
            "Bundle.entry[0].resource.patient.reference",
            "does not resolve",
        ),
        (
            mutate(lambda d: res(d, CLAIM).__setitem__("patient", {"reference": "Coverage/cov-1"})),
            "Bundle.entry[0].resource.patient.reference",
            "is a Coverage, expected Patient",
        ),
        (
            mutate(lambda d: res(d, CLAIM).__setitem__("patient", {"display": "Ana Rivera"})),
            "Bundle.entry[0].resource.patient.reference",
            "a reference",
        ),
        (
            mutate(lambda d: res(d, PATIENT).pop("identifier")),
            "Bundle.entry[1].resource.identifier",
            "no member id",
        ),
        (
            mutate(lambda d: res(d, PRACTITIONER).pop("identifier")),
            "Bundle.entry[3].resource.identifier",
            "no NPI identifier",
        ),
        (
            mutate(
                lambda d: res(d, PRACTITIONER)["identifier"][0].__setitem__("value", "1234567890")
            ),
            "Bundle.entry[3].resource.identifier[0].value",
            "not a valid NPI",
        ),
        (
            mutate(
                lambda d: res(d, ROLE).__setitem__("practitioner", {"reference": "Practitioner/x"})
            ),
            "Bundle.entry[2].resource.practitioner.reference",
            "does not resolve",
        ),
        (
            mutate(
                lambda d: res(d, MEDREQ)["medicationCodeableConcept"].__setitem__(
                    "coding", [{"system": "http://snomed.info/sct", "code": "1187607009"}]
                )
            ),
            "Bundle.entry[7].resource.medicationCodeableConcept.coding",
            "no medication code",
        ),
        (
            mutate(
                lambda d: res(d, CLAIM)["item"][0]["extension"][0].__setitem__(
                    "valueReference", {"reference": "MedicationRequest/gone"}
                )
            ),
            "Bundle.entry[0].resource.item[0].extension[0].valueReference.reference",
            "does not resolve",
        ),
        (
            mutate(lambda d: res(d, CLAIM)["priority"]["coding"][0].__setitem__("code", "asap")),
            "Bundle.entry[0].resource.priority",
            "stat, urgent or normal",
        ),
        (
            mutate(
                lambda d: res(d, CLAIM)["insurance"][0].__setitem__(
                    "coverage", {"reference": "Coverage/other"}
                )
            ),
            "Bundle.entry[0].resource.insurance[0].coverage.reference",
            "does not resolve",
        ),
        (
            mutate(
                lambda d: res(d, CLAIM)["supportingInfo"][1].__setitem__(
                    "valueReference", {"reference": "urn:uuid:missing"}
                )
            ),
            "Bundle.entry[0].resource.supportingInfo[1].valueReference.reference",
            "does not resolve",
        ),
        (mutate(several_answers), "Bundle.entry[8].resource.item[0].answer", "several answers"),
        (
            mutate(
                lambda d: res(d, QR)["item"][3].__setitem__(
                    "answer", [{"valueAttachment": {"contentType": "application/pdf"}}]
                )
            ),
            "Bundle.entry[8].resource.item[3].answer[0]",
            "unsupported answer type",
        ),
        (
            mutate(
                lambda d: res(d, QR)["item"][0]["answer"][0].__setitem__(
                    "valueCoding", {"display": "T2DM"}
                )
            ),
            "Bundle.entry[8].resource.item[0].answer[0].valueCoding.code",
            "no code",
        ),
        (
            mutate(
                lambda d: res(d, QR)["item"].append(
                    {"linkId": "diagnosis", "answer": [{"valueString": "E11"}]}
                )
            ),
            "Bundle.entry[8].resource.item[5].linkId",
            "answered twice",
        ),
    ],
)
def test_bad_bundles_name_the_fhir_path(body, path, says):
    with pytest.raises(FhirError) as caught:
        pas_bundle_read(body)
    assert caught.value.path == path
    assert says in caught.value.message
    assert str(caught.value).startswith(path)


def test_several_questionnaire_responses_without_supporting_info_are_refused():
    data = bundle()
    res(data, CLAIM)["supportingInfo"] = []
    data["entry"].append(copy.deepcopy(data["entry"][QR]))
    data["entry"][-1]["fullUrl"] = "urn:uuid:other"
    with pytest.raises(FhirError) as caught:
        pas_bundle_read(data)
    assert caught.value.path == "Bundle.entry"


CREATED = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outcome", "fhir_outcome", "action"),
    [("approved", "complete", "A1"), ("pended", "queued", "A4"), ("denied", "complete", "A3")],
)
def test_claim_response_parses_back(outcome, fhir_outcome, action):
    approved = outcome == "approved"
    built = claim_response_build(
        claim_identifier="PA-CLINIC-0042",
        request_reference="PA-000123",
        member_id="M100234",
        outcome=outcome,
        approval_start=date(2026, 11, 23) if approved else None,
        approval_end=date(2027, 11, 22) if approved else None,
        note="Meets criteria" if approved else "Referred for pharmacist review",
        created=CREATED,
    )
    json.dumps(built)  # JSON-ready
    parsed: Any = ClaimResponse.model_validate(built)
    assert parsed.use == "preauthorization" and parsed.status == "active"
    assert parsed.outcome == fhir_outcome
    assert parsed.preAuthRef == "PA-000123"
    assert parsed.request.identifier.value == "PA-CLINIC-0042"
    assert parsed.patient.identifier.value == "M100234"
    assert parsed.disposition == built["disposition"]
    review = parsed.item[0].adjudication[0].extension[0]
    assert review.url.endswith("extension-reviewAction")
    code = next(e for e in review.extension if e.url.endswith("reviewActionCode"))
    assert code.valueCodeableConcept.coding[0].code == action
    assert code.valueCodeableConcept.coding[0].system == "https://codesystem.x12.org/005010/306"
    if approved:
        assert (parsed.preAuthPeriod.start, parsed.preAuthPeriod.end) == (
            date(2026, 11, 23),
            date(2027, 11, 22),
        )
    else:
        assert parsed.preAuthPeriod is None


def test_claim_response_keeps_the_offset_and_needs_aware_time_and_a_period():
    eastern = timezone(timedelta(hours=-5))
    built = claim_response_build(
        claim_identifier=None,
        request_reference="PA-9",
        member_id="M1",
        outcome="pended",
        approval_start=None,
        approval_end=None,
        note="Pended",
        created=datetime(2026, 11, 23, 9, 0, tzinfo=eastern),
    )
    assert built["created"] == "2026-11-23T09:00:00-05:00"
    assert "request" not in built
    with pytest.raises(ValueError, match="aware"):
        claim_response_build(
            claim_identifier=None,
            request_reference="PA-9",
            member_id="M1",
            outcome="pended",
            approval_start=None,
            approval_end=None,
            note="x",
            created=datetime(2026, 11, 23, 9, 0),  # noqa: DTZ001
        )
    with pytest.raises(ValueError, match="period"):
        claim_response_build(
            claim_identifier=None,
            request_reference="PA-9",
            member_id="M1",
            outcome="approved",
            approval_start=None,
            approval_end=None,
            note="x",
            created=CREATED,
        )

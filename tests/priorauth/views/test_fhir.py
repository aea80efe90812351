"""POST /fhir/Claim/$submit: a PAS Bundle in, a ClaimResponse out, through the same intake."""

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.claimresponse import ClaimResponse

from payerdesk.core import services as core_services
from payerdesk.core.models import AccessLogEntry, WorkItem
from payerdesk.groups.models import Member
from payerdesk.priorauth.criteria_sets import demo_criteria_sets
from payerdesk.priorauth.demo import _data
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.services.criteria import criteria_upload
from payerdesk.priorauth.services.formulary import formulary_import
from payerdesk.priorauth.services.prescribers import prescriber_register
from tests.priorauth.conftest import NPI

BUNDLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "pas_semaglutide.json").read_text()
)
URL = "/fhir/Claim/$submit"


def _answers(data: dict[str, Any]) -> list[dict[str, Any]]:
    return next(
        e["resource"]["item"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )


def _a1c(data: dict[str, Any]) -> dict[str, Any]:
    labs = next(item for item in _answers(data) if item["linkId"] == "labs")
    return next(item for item in labs["item"] if item["linkId"] == "a1c")


# The shared fixture carries a free-text note the demo criteria do not ask for.
_answers(BUNDLE)[:] = [item for item in _answers(BUNDLE) if item["linkId"] != "notes"]


@pytest.fixture
def demo_setup(users, markets, queues, member):
    formulary_import(
        actor=None,
        formulary_name="formulary_2026.txt",
        formulary_content=_data("formulary_2026.txt"),
        names_name="drug_names.txt",
        names_content=_data("drug_names.txt"),
    )
    for criteria in demo_criteria_sets():
        criteria_upload(
            actor=None,
            code=criteria.slug,
            title=criteria.title,
            rxcuis=[drug.rxcui for drug in criteria.drugs],
            questionnaire=criteria.questionnaire,
            decision=criteria.decision,
        )
    prescriber_register(actor=None, npi=NPI, name="Dr. Chidi Okafor", email="o@x.example")
    Member.objects.create(
        group=member.group,
        subscriber_id="M100234",
        member_id="M100234",
        relationship="18",
        first_name="Rosa",
        last_name="Park",
        birth_date=date(1958, 2, 4),
        sex="F",
    )


def client_for_role(users, role: str = "rep") -> Client:
    _, raw = core_services.api_token_issue(actor=None, user=users[role], name="fhir")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client: Client, body: object):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, text, content_type="application/fhir+json")


def entry(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind)


def test_a_bundle_that_meets_the_criteria_is_approved(demo_setup, users):
    response = post(client_for_role(users), BUNDLE)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    claim_response = ClaimResponse.model_validate(response.json())
    pa = PriorAuthRequest.objects.get()
    assert pa.channel == "fhir" and pa.status == "approved"
    assert pa.line_of_business == "medicare_advantage"  # SOPT 111 on the Coverage
    assert pa.claim_identifier == "PA-CLINIC-0042"
    assert pa.criteria is not None and pa.criteria.code == "glp1-t2dm"
    assert claim_response.preAuthRef == pa.number
    assert claim_response.outcome == "complete"
    assert AccessLogEntry.objects.filter(record_id=str(pa.pk), channel="api").exists()


def test_the_claim_response_is_logged_as_a_view_of_the_request(demo_setup, users):
    assert post(client_for_role(users), BUNDLE).status_code == 200
    pa = PriorAuthRequest.objects.get()
    [entry] = AccessLogEntry.objects.all()
    assert (entry.user, entry.channel, entry.action) == (users["rep"], "api", "view")
    assert (entry.record_type, entry.record_id, entry.path) == (
        "prior_auth_request",
        str(pa.pk),
        URL,
    )


def test_no_request_is_stored_when_its_view_cannot_be_logged(demo_setup, users, access_log_fails):
    items = WorkItem.objects.count()
    with pytest.raises(access_log_fails):
        post(client_for_role(users), BUNDLE)
    # The entry was written, then rolled back with the request: neither without the other.
    assert not PriorAuthRequest.objects.exists() and WorkItem.objects.count() == items
    assert not AccessLogEntry.objects.exists()


def test_a_bundle_that_falls_short_is_pended_for_review(demo_setup, users):
    body = copy.deepcopy(BUNDLE)
    _a1c(body)["answer"] = [{"valueDecimal": 6.1}]
    response = post(client_for_role(users), body)
    assert response.status_code == 200
    pa = PriorAuthRequest.objects.get()
    assert pa.status == "in_review" and pa.work_item.queue.slug == "pharmacist-review"
    text = json.dumps(response.json())
    assert "A4" in text and "Pended for pharmacist review" in text


def _without_claim(data):
    data["entry"] = [e for e in data["entry"] if e["resource"]["resourceType"] != "Claim"]


def _unknown_member(data):
    for identifier in entry(data, "Patient")["identifier"]:
        identifier["value"] = "NOBODY" if identifier.get("type") else identifier["value"]


def _unknown_drug(data):
    entry(data, "MedicationRequest")["medicationCodeableConcept"]["coding"] = [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "4242424"}
    ]


def _unknown_prescriber(data):
    entry(data, "Practitioner")["identifier"][0]["value"] = "1245319599"


def _bad_answer(data):
    _a1c(data)["answer"] = [{"valueString": "high"}]


def _invalid_npi(data):
    entry(data, "Practitioner")["identifier"][0]["value"] = "1234567890"  # check digit off


def _metformin(data):
    return next(item for item in _answers(data) if item["linkId"] == "metformin_tried")


def _required_missing(data):
    labs = next(item for item in _answers(data) if item["linkId"] == "labs")
    labs["item"] = [item for item in labs["item"] if item["linkId"] != "a1c"]


def _not_enabled(data):
    # metformin not tried, yet its days answered: the follow-up is not enabled.
    _metformin(data)["answer"][0]["valueBoolean"] = False


def _line_of_business(code):
    def mutate(data):
        entry(data, "Coverage")["type"] = {
            "coding": [{"system": "urn:payerdesk:line-of-business", "code": code}]
        }

    return mutate


@pytest.mark.parametrize(
    ("mutate", "status", "path", "says"),
    [
        (_without_claim, 400, "Bundle.entry", "Claim"),
        (_unknown_member, 422, "Patient.identifier", "No member 'NOBODY'"),
        (_unknown_drug, 422, "Claim.item[0].productOrService", "4242424"),
        (_unknown_prescriber, 422, "Claim.provider", "No prescriber with NPI 1245319599"),
        (
            _bad_answer,
            422,
            "QuestionnaireResponse.item.where(linkId='a1c').answer",
            "a1c: expected a number",
        ),
        (_invalid_npi, 400, "Bundle.entry[3].resource.identifier", "not a valid NPI"),
        (
            _required_missing,
            422,
            "QuestionnaireResponse.item.where(linkId='a1c').answer",
            "a1c: an answer is required",
        ),
        (
            _not_enabled,
            422,
            "QuestionnaireResponse.item.where(linkId='metformin_days').answer",
            "metformin_days: this question does not apply",
        ),
        # One vocabulary: the model's codes, and no other (the old `part_d` included).
        (_line_of_business("part_d"), 422, "Claim.insurance", "'part_d' is not one of"),
    ],
)
def test_bad_bundles_get_an_operation_outcome_with_the_path(
    demo_setup, users, mutate, status, path, says
):
    body = copy.deepcopy(BUNDLE)
    mutate(body)
    response = post(client_for_role(users), body)
    assert response.status_code == status
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["expression"][0].startswith(path), issue
    assert says in issue["diagnostics"]
    assert not PriorAuthRequest.objects.exists() and not AccessLogEntry.objects.exists()


def test_the_line_of_business_code_is_the_models(demo_setup, users):
    body = copy.deepcopy(BUNDLE)
    _line_of_business("medicare_part_d")(body)
    assert post(client_for_role(users), body).status_code == 200
    pa = PriorAuthRequest.objects.get()
    assert pa.line_of_business == "medicare_part_d"
    assert pa.due_at is not None and pa.clock_start is not None
    assert pa.due_at - pa.clock_start == timedelta(hours=72)


def test_malformed_json_is_refused(demo_setup, users):
    response = post(client_for_role(users), "{not json")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not PriorAuthRequest.objects.exists()


def test_no_token_no_entry(demo_setup):
    response = Client().post(URL, json.dumps(BUNDLE), content_type="application/fhir+json")
    assert response.status_code == 401 and response.json()["issue"][0]["code"] == "login"
    assert not PriorAuthRequest.objects.exists()


def test_roles_without_intake_are_refused(demo_setup, users):
    response = post(client_for_role(users, "groupadmin"), BUNDLE)
    assert response.status_code == 403 and response.json()["issue"][0]["code"] == "forbidden"

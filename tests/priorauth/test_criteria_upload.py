"""Criteria uploads: versions, the same upload twice, and every refusal, by service,
page and API."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.priorauth.models import CriteriaSet
from payerdesk.priorauth.selectors import reference as reference_selectors
from payerdesk.priorauth.services.criteria import criteria_upload
from tests.priorauth.conftest import DECISION, QUESTIONNAIRE, SEMAGLUTIDE


def text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def upload(questionnaire=QUESTIONNAIRE, decision=DECISION, actor=None, rxcuis=None, **kw):
    return criteria_upload(
        actor=actor,
        code=kw.get("code", "glp1-t2d"),
        title="GLP-1",
        rxcuis=rxcuis or [SEMAGLUTIDE],
        questionnaire=text(questionnaire),
        decision=text(decision),
    )


def test_versions_count_up_and_the_newest_applies(formulary):
    first = upload().criteria
    changed = copy.deepcopy(DECISION)
    changed["nodes"][2]["content"]["rules"][0]["d"] = "90"
    second = upload(decision=changed).criteria
    assert (first.version, second.version) == (1, 2)
    assert reference_selectors.criteria_for(SEMAGLUTIDE) == second
    assert second.questionnaire == QUESTIONNAIRE and second.decision == changed


def test_the_same_upload_twice_changes_nothing(formulary):
    first = upload()
    again = upload()
    assert first.created and not again.created and again.criteria == first.criteria
    assert CriteriaSet.objects.count() == 1


def _other_outcome():
    bad = copy.deepcopy(DECISION)
    bad["nodes"][2]["content"]["rules"][1]["o"] = '"deny"'
    return bad


def _reads_undefined():
    bad = copy.deepcopy(DECISION)
    bad["nodes"][1]["content"]["expressions"][0]["value"] = "bmi > 30 ? [] : ['BMI']"
    return bad


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"questionnaire": "{not json"}, "questionnaire", "questionnaire is not valid JSON"),
        ({"decision": "[1, 2"}, "decision", "decision is not valid JSON"),
        ({"decision": _other_outcome()}, "decision", "deny"),
        ({"decision": _reads_undefined()}, "decision", "bmi"),
        ({"questionnaire": {"resourceType": "Patient"}}, "questionnaire", "Questionnaire"),
        ({"rxcuis": ["31337"]}, "rxcuis", "Unknown RXCUI(s): 31337"),
        ({"code": "no spaces please"}, "code", "letters, digits and hyphens"),
    ],
)
def test_bad_uploads_are_refused_naming_what_and_where(formulary, kwargs, field, says):
    with pytest.raises(InvalidInput) as refused:
        upload(**kwargs)
    assert refused.value.field == field
    assert says in refused.value.message
    assert not CriteriaSet.objects.exists()


def test_only_administrators_upload(formulary, users):
    with pytest.raises(NotPermitted):
        upload(actor=users["pharmacist"])
    assert upload(actor=users["admin"]).created


def _form(decision=DECISION):
    return {
        "code": "glp1-t2d",
        "title": "GLP-1 agonists",
        "rxcuis": SEMAGLUTIDE,
        "questionnaire": SimpleUploadedFile("q.json", json.dumps(QUESTIONNAIRE).encode()),
        "decision": SimpleUploadedFile("d.json", json.dumps(decision).encode()),
    }


def test_page_upload_and_refusal(formulary, users, client_for):
    client = client_for(users["admin"])
    refused = client.post(reverse("priorauth:criteria-upload"), _form(_other_outcome()))
    assert refused.status_code == 422 and b"deny" in refused.content
    done = client.post(reverse("priorauth:criteria-upload"), _form(), follow=True)
    assert b"Stored GLP-1 agonists v1" in done.content


def test_api_upload_and_refusal(formulary, api_client):
    client = api_client("admin")
    refused = client.post("/api/priorauth/criteria", _form(_reads_undefined()))
    assert refused.status_code == 422 and refused.json()["field"] == "decision"
    created = client.post("/api/priorauth/criteria", _form())
    assert created.status_code == 201 and created.json()["version"] == 1

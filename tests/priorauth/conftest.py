"""A small formulary, one drug's criteria with a follow-up question, a prescriber, a member."""

import json
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import TestCase

from payerdesk.core.models import AccessLogEntry, Market, User
from payerdesk.core.services import access_log_record
from payerdesk.groups.models import Member
from payerdesk.groups.services import groups as group_services
from payerdesk.priorauth.models import Prescriber, PriorAuthRequest
from payerdesk.priorauth.services.criteria import criteria_upload
from payerdesk.priorauth.services.formulary import formulary_import
from payerdesk.priorauth.services.prescribers import prescriber_register, provider_link
from payerdesk.priorauth.services.requests import prior_auth_pend, prior_auth_submit

NPI = "1234567893"  # a valid NPI (Luhn with 80840)
OTHER_NPI = "1245319599"
SEMAGLUTIDE = "1991306"
ADALIMUMAB = "1602700"
BRAND_X = "999001"  # named in the drug file, not on the formulary

NAMES = (
    "RXCUI|DRUG_NAME\n"
    f"{SEMAGLUTIDE}|semaglutide 1 MG/DOSE pen injector (Ozempic)\n"
    f"{ADALIMUMAB}|adalimumab 40 MG/0.4ML prefilled syringe (Humira)\n"
    "860975|metformin hydrochloride 500 MG oral tablet\n"
    f"{BRAND_X}|Brandex 20 MG oral tablet\n"
)
HEADER = (
    "FORMULARY_ID|FORMULARY_VERSION|CONTRACT_YEAR|RXCUI|NDC|TIER_LEVEL_VALUE|"
    "QUANTITY_LIMIT_YN|QUANTITY_LIMIT_AMOUNT|QUANTITY_LIMIT_DAYS|PRIOR_AUTHORIZATION_YN|"
    "STEP_THERAPY_YN|EXTRA_COLUMN"
)
ROWS = [
    f"00026123|8|2026|{SEMAGLUTIDE}|00169413212|3|Y|3|28|Y|Y|x",
    f"00026123|8|2026|{ADALIMUMAB}|00074055402|5|N|||Y|N|x",
    "00026123|8|2026|860975|00093104801|1|N|||N|N|x",
]
FORMULARY = "\n".join([HEADER, *ROWS]) + "\n"

QUESTIONNAIRE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {
            "linkId": "diagnosis",
            "text": "Diagnosis",
            "type": "choice",
            "required": True,
            "answerOption": [
                {"valueCoding": {"code": "E11", "display": "Type 2 diabetes"}},
                {"valueCoding": {"code": "E66", "display": "Obesity"}},
            ],
        },
        {"linkId": "a1c", "text": "Latest A1c (%)", "type": "decimal", "required": True},
        {
            "linkId": "tried_metformin",
            "text": "Tried metformin?",
            "type": "boolean",
            "required": True,
        },
        {
            "linkId": "metformin_days",
            "text": "Days on metformin",
            "type": "integer",
            "required": True,
            "enableWhen": [{"question": "tried_metformin", "operator": "=", "answerBoolean": True}],
        },
    ],
}
UNMET = {
    "id": "unmet",
    "type": "expressionNode",
    "name": "unmet",
    "content": {
        "expressions": [
            {
                "id": "u",
                "key": "unmet",
                "value": "filter(["
                "diagnosis == 'E11' ? null : 'Diagnosis is not type 2 diabetes', "
                "a1c != null and a1c >= 7 ? null : 'A1c below 7%', "
                "metformin_days != null and metformin_days >= 90 ? null : "
                "'Metformin tried for fewer than 90 days'], # != null)",
            }
        ]
    },
}
TABLE = {
    "id": "table",
    "type": "decisionTableNode",
    "name": "table",
    "content": {
        "hitPolicy": "first",
        "inputs": [{"id": "n", "name": "Unmet count", "field": "len(unmet)"}],
        "outputs": [
            {"id": "o", "name": "Outcome", "field": "outcome"},
            {"id": "d", "name": "Days", "field": "approvalDays"},
            {"id": "u", "name": "Unmet", "field": "unmet"},
        ],
        "rules": [
            {"_id": "r1", "n": "0", "o": '"approve"', "d": "180"},
            {"_id": "r2", "n": "", "o": "'refer'", "u": "unmet"},
        ],
    },
}
DECISION: dict[str, Any] = {
    "contentType": "application/vnd.gorules.decision",
    "nodes": [
        {"id": "in", "type": "inputNode", "name": "in"},
        UNMET,
        TABLE,
        {"id": "out", "type": "outputNode", "name": "out"},
    ],
    "edges": [
        {"id": "e1", "sourceId": "in", "targetId": "unmet"},
        {"id": "e2", "sourceId": "unmet", "targetId": "table"},
        {"id": "e3", "sourceId": "table", "targetId": "out"},
    ],
}
MEETS = {"diagnosis": "E11", "a1c": 8.1, "tried_metformin": True, "metformin_days": 120}
FALLS_SHORT = {"diagnosis": "E11", "a1c": 6.2, "tried_metformin": False}


def pa_files() -> tuple[SimpleUploadedFile, SimpleUploadedFile]:
    return (
        SimpleUploadedFile("basic.txt", FORMULARY.encode()),
        SimpleUploadedFile("names.txt", NAMES.encode()),
    )


def pa_criteria_files() -> tuple[SimpleUploadedFile, SimpleUploadedFile]:
    return (
        SimpleUploadedFile("q.json", json.dumps(QUESTIONNAIRE).encode()),
        SimpleUploadedFile("d.json", json.dumps(DECISION).encode()),
    )


def member_create(users: dict[str, User], markets: dict[str, Market]) -> Member:
    group = group_services.group_create(
        actor=users["groupadmin"],
        group_number="G2001",
        legal_name="Acme Tools Inc",
        situs_state="NY",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="Pat",
        billing_contact_email="pat@acme.example",
    )
    return Member.objects.create(
        group=group,
        subscriber_id="M100",
        member_id="M100",
        relationship="18",
        first_name="Jordan",
        last_name="Rivera",
        birth_date=date(1970, 3, 15),
        sex="F",
    )


def pa_scene_create(
    users: dict[str, User], markets: dict[str, Market]
) -> tuple[PriorAuthRequest, int]:
    """A request with a pharmacist (no criteria for its drug), pended with a letter; the
    `provider` user acts for its prescriber."""
    formulary_import(
        actor=None,
        formulary_name="basic.txt",
        formulary_content=FORMULARY.encode(),
        names_name="names.txt",
        names_content=NAMES.encode(),
    )
    criteria_upload(
        actor=None,
        code="glp1-t2d",
        title="GLP-1",
        rxcuis=[SEMAGLUTIDE],
        questionnaire=json.dumps(QUESTIONNAIRE),
        decision=json.dumps(DECISION),
    )
    prescriber_register(actor=None, npi=NPI, name="Dr. Ana Ruiz", email="r@x.example")
    provider_link(actor=None, user=users["provider"], npi=NPI)
    member_create(users, markets)
    pa = prior_auth_submit(
        actor=users["rep"],
        member_id="M100",
        prescriber_npi=NPI,
        drug=ADALIMUMAB,
        urgency="standard",
        line_of_business="medicare_part_d",
        channel="phone",
        answers={},
    )
    # The letter is made by its task once the pend commits (ImmediateBackend in tests).
    with TestCase.captureOnCommitCallbacks(execute=True):
        prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information="Labs?")
    return pa, pa.letters.get().pk


@pytest.fixture
def formulary(db):
    return formulary_import(
        actor=None,
        formulary_name="basic.txt",
        formulary_content=FORMULARY.encode(),
        names_name="names.txt",
        names_content=NAMES.encode(),
    ).formulary


@pytest.fixture
def criteria(formulary):
    return criteria_upload(
        actor=None,
        code="glp1-t2d",
        title="GLP-1 agonists for type 2 diabetes",
        rxcuis=[SEMAGLUTIDE],
        questionnaire=json.dumps(QUESTIONNAIRE),
        decision=json.dumps(DECISION),
    ).criteria


@pytest.fixture
def prescriber(db) -> Prescriber:
    return prescriber_register(
        actor=None, npi=NPI, name="Dr. Ana Ruiz", email="ruiz@clinic.example"
    )


@pytest.fixture
def member(users, markets, queues) -> Member:
    group = group_services.group_create(
        actor=users["groupadmin"],
        group_number="G2001",
        legal_name="Acme Tools Inc",
        situs_state="NY",
        market=markets["TRI"],
        effective_date=date(2026, 1, 1),
        billing_contact_name="Pat",
        billing_contact_email="pat@acme.example",
    )
    return Member.objects.create(
        group=group,
        subscriber_id="M100",
        member_id="M100",
        relationship="18",
        first_name="Jordan",
        last_name="Rivera",
        birth_date=date(1970, 3, 15),
        sex="F",
    )


@pytest.fixture
def setup(formulary, criteria, prescriber, member, users, queues):
    """Everything a request needs."""
    return {"member": member, "prescriber": prescriber, "criteria": criteria}


@pytest.fixture
def submit(setup, users):
    def make(answers=None, *, actor="rep", drug=SEMAGLUTIDE, **overrides):
        fields = dict(
            member_id="M100",
            prescriber_npi=NPI,
            drug=drug,
            urgency="standard",
            line_of_business="medicare_part_d",
            channel="phone",
            answers=MEETS if answers is None else answers,
        )
        fields.update(overrides)
        return prior_auth_submit(actor=users[actor], **fields)

    return make


@pytest.fixture
def access_log_fails(monkeypatch) -> type[DatabaseError]:
    """Writing the access log fails once the entry is written: the error raised."""

    def failing(**entry: Any) -> AccessLogEntry:
        access_log_record(**entry)
        raise DatabaseError("The access log is unavailable.")

    monkeypatch.setattr("payerdesk.core.access.access_log_record", failing)
    return DatabaseError

"""Every prior authorization page, API operation and FHIR route for every role (see
tests/access.py).

A route missing from these tables fails the completeness check in
tests/core/test_access_matrix.py: add it, with its answer for every role, when you add it.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from payerdesk.priorauth.models import PriorAuthRequest
from tests.access import (
    EVERYONE,
    ApiRows,
    PageRows,
    assert_api_answer,
    assert_page_answer,
    page_client,
    staff,
    token_client,
)
from tests.priorauth.conftest import (
    ADALIMUMAB,
    NPI,
    OTHER_NPI,
    SEMAGLUTIDE,
    pa_criteria_files,
    pa_files,
    pa_scene_create,
)
from tests.world import World

MARKET_ROLES_REFUSED = dict.fromkeys(["groupadmin", "salesadmin", "coordinator"], 403)


def pa_readers(ok: int, **overrides: int) -> dict[str, int]:
    """Prior authorization requests: the national review roles and auditors read them;
    the market roles do not; a provider reads the requests of their own NPI."""
    return {**staff(ok, **MARKET_ROLES_REFUSED), "provider": ok, **overrides}


def pa_intake(ok: int) -> dict[str, int]:
    return staff(403, rep=ok, pharmacist=ok, supervisor=ok, admin=ok)


PHARMACIST_ONLY = {**staff(403, pharmacist=200)}
PRESCRIBER_READERS = staff(403, **dict.fromkeys(
    ["rep", "pharmacist", "supervisor", "auditor", "admin"], 200))  # fmt: skip

CLOCK_READERS = staff(403, supervisor=200, auditor=200, admin=200)
CLOCK = ("medicare_part_d", "standard")

PAGES: PageRows = {
    # The module's landing page: staff who read requests (a provider has their list).
    "priorauth:home": ("GET", pa_readers(200, provider=403)),
    "priorauth:requests": ("GET", pa_readers(200)),
    "priorauth:request-new": ("GET", pa_intake(200)),
    "priorauth:request-questions": ("GET", pa_intake(200)),
    "priorauth:request-detail": ("GET", pa_readers(200)),
    "priorauth:request-letter": ("GET", pa_readers(200)),
    "priorauth:request-approve": ("POST", staff(403, pharmacist=302)),
    "priorauth:request-deny": ("POST", staff(403, pharmacist=302)),
    "priorauth:request-pend": ("POST", staff(403, pharmacist=302)),
    # The scene's request is not waiting for a statement: intake roles get the 409.
    "priorauth:request-statement": ("POST", pa_readers(409, auditor=403)),
    # The scene's request is pended: the intake staff record what arrived, and the
    # provider of its NPI sends it; both get the form's questions.
    "priorauth:request-information": ("POST", {**pa_intake(302), "provider": 302}),
    "priorauth:request-information-questions": ("GET", {**pa_intake(200), "provider": 200}),
    "priorauth:drugs": (
        "GET",
        staff(403, **{r: 200 for r in ("rep", "pharmacist", "supervisor", "auditor", "admin")}),
    ),
    # Prescribers: the readers of requests see them; whoever takes requests registers and
    # edits them (the scene registered NPI 1234567893; the new one is another NPI).
    "priorauth:prescribers": ("GET", PRESCRIBER_READERS),
    "priorauth:prescriber-new": ("POST", pa_intake(302)),
    "priorauth:prescriber": ("GET", PRESCRIBER_READERS),
    "priorauth:prescriber-edit": ("POST", pa_intake(302)),
    # The clocks: supervisors and auditors read them; only the administrator changes them.
    "priorauth:clock-rules": ("GET", CLOCK_READERS),
    "priorauth:clock-rule": ("GET", CLOCK_READERS),
    "priorauth:clock-rule-edit": ("POST", staff(403, admin=302)),
    # Administrators import and upload; the page shows the versions and sets to their
    # readers (read only).
    "priorauth:formulary-import": ("GET", staff(403, auditor=200, admin=200)),
    "priorauth:criteria-upload": ("GET", PRESCRIBER_READERS),
    "priorauth:metrics": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
    "priorauth:metrics-csv": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
}

# (method, OpenAPI path) -> expected status per staff role; outside roles 403,
# anonymous 401.
API: ApiRows = {
    ("POST", "/api/priorauth/requests"): {**pa_intake(201), "provider": 201},
    ("GET", "/api/priorauth/requests"): pa_readers(200),
    ("GET", "/api/priorauth/requests/{request_id}"): pa_readers(200),
    ("POST", "/api/priorauth/requests/{request_id}/approve"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/deny"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/pend"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/statement"): pa_readers(409, auditor=403),
    ("POST", "/api/priorauth/requests/{request_id}/information"): {
        **pa_intake(200),
        "provider": 200,
    },
    ("GET", "/api/priorauth/drugs"): staff(
        403, **{r: 200 for r in ("rep", "pharmacist", "supervisor", "auditor", "admin")}
    ),
    ("GET", "/api/priorauth/prescribers"): PRESCRIBER_READERS,
    ("POST", "/api/priorauth/prescribers"): pa_intake(201),
    ("PATCH", "/api/priorauth/prescribers/{npi}"): pa_intake(200),
    # The scene imported this formulary already: the same file again answers 200.
    ("GET", "/api/priorauth/clock-rules"): CLOCK_READERS,
    ("PATCH", "/api/priorauth/clock-rules/{line_of_business}/{urgency}"): staff(403, admin=200),
    ("POST", "/api/priorauth/formularies"): staff(403, admin=200),
    ("POST", "/api/priorauth/criteria"): staff(403, admin=201),
}

# FHIR operations (bearer token, like the API); outside roles as listed, else 403.
FHIR: ApiRows = {
    ("POST", "/fhir/Claim/$submit"): {**pa_intake(200), "provider": 200},
}
PAS_BUNDLE = Path(__file__).resolve().parent / "fixtures/pas_semaglutide.json"
PA_NO_ID = {"priorauth:request-new", "priorauth:request-questions"}
DENIAL_REASON = "A1c of 6.2% is below the 7% the criteria require; no other indication."


@dataclass(frozen=True)
class PaScene:
    """The formulary, criteria, prescriber and member, and a pended request with its letter."""

    pa: PriorAuthRequest
    letter_id: int


# The world and the scene are built once for the module; each case runs in its own
# savepoint, so what a request changes is gone for the next case.
pytestmark = pytest.mark.usefixtures("module_world", "pa_scene")


@pytest.fixture(scope="module")
def pa_scene(module_world: World) -> PaScene:
    return PaScene(*pa_scene_create(module_world.users, module_world.markets))


def _page_request(client: Client, url_name: str, method: str, pa: PaScene):
    name = url_name.split(":")[1]
    kwargs: dict[str, object] = {}
    if url_name.startswith("priorauth:request-") and url_name not in PA_NO_ID:
        kwargs["request_id"] = pa.pa.pk
    if url_name == "priorauth:request-letter":
        kwargs["letter_id"] = pa.letter_id
    if url_name in ("priorauth:prescriber", "priorauth:prescriber-edit"):
        kwargs["npi"] = NPI
    if url_name in ("priorauth:clock-rule", "priorauth:clock-rule-edit"):
        kwargs.update(zip(("line_of_business", "urgency"), CLOCK, strict=True))
    url = reverse(url_name, kwargs=kwargs)
    if method == "GET":
        return client.get(url)
    forms: dict[str, dict[str, object]] = {
        "request-approve": {"approval_days": "90"},
        "request-deny": {"reason": DENIAL_REASON},
        "request-pend": {"information": "Send the last two A1c results."},
        "request-statement": {"statement": "Generic failed."},
        "request-information": {"note": "The office faxed the last two A1c results."},
        "prescriber-new": {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor"},
        "prescriber-edit": {"name": "Dr. Ana Ruiz", "email": "ruiz@new-clinic.example"},
        "clock-rule-edit": {"hours": "48", "escalate_before_hours": "6", "reason": "Pilot"},
    }
    return client.post(url, forms.get(name, {}))


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, pa_scene, users, client_for):
    method, expected = PAGES[name]
    response = _page_request(page_client(role, users, client_for), name, method, pa_scene)
    assert_page_answer(response, role, expected)


def _pa_api_post(client: Client, url: str, path: str):
    if path.endswith("/formularies"):
        files = pa_files()
        return client.post(url, {"formulary_file": files[0], "names_file": files[1]})
    if path.endswith("/criteria"):
        questionnaire, decision = pa_criteria_files()
        form = {"code": "matrix", "title": "Matrix", "rxcuis": SEMAGLUTIDE}
        return client.post(url, {**form, "questionnaire": questionnaire, "decision": decision})
    bodies: dict[str, dict[str, object]] = {
        "/api/priorauth/requests": {
            "member_id": "M100", "prescriber_npi": NPI, "drug": ADALIMUMAB,
            "urgency": "standard", "line_of_business": "medicare_part_d", "answers": {},
        },
        "/approve": {"approval_days": 90},
        "/deny": {"reason": DENIAL_REASON},
        "/pend": {"information": "Send the last two A1c results."},
        "/statement": {"statement": "Generic failed."},
        "/information": {"note": "The office faxed the last two A1c results."},
        "/prescribers": {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor"},
    }  # fmt: skip
    body = next(value for key, value in bodies.items() if path.endswith(key))
    return client.post(url, body, content_type="application/json")


def _api_request(client: Client, method: str, path: str, pa: PaScene):
    url = path.replace("{npi}", NPI).replace("{line_of_business}/{urgency}", "/".join(CLOCK))
    if "{request_id}" in url:
        url = url.replace("{request_id}", str(pa.pa.pk))
    if path == "/api/priorauth/drugs":
        url += "?q=sema"
    if method == "GET":
        return client.get(url)
    if method == "PATCH" and path == "/api/priorauth/prescribers/{npi}":
        change = {"email": "ruiz@new-clinic.example"}
        return client.patch(url, change, content_type="application/json")
    if method == "PATCH":
        clock = {"hours": 48, "escalate_before_hours": 6, "reason": "Pilot"}
        return client.patch(url, clock, content_type="application/json")
    return _pa_api_post(client, url, path)


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, pa_scene, users):
    response = _api_request(token_client(role, users), method, path, pa_scene)
    assert_api_answer(response, role, API[(method, path)])


def _pas_bundle() -> str:
    """The shared PAS sample, for the scene's member and a drug without criteria."""
    bundle = json.loads(PAS_BUNDLE.read_text())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["identifier"] = [{"type": {"coding": [{"code": "MB"}]}, "value": "M100"}]
        elif resource["resourceType"] == "MedicationRequest":
            resource["medicationCodeableConcept"] = {
                "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": ADALIMUMAB}]
            }  # fmt: skip
        elif resource["resourceType"] == "QuestionnaireResponse":
            resource.pop("item", None)
    return json.dumps(bundle)


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(FHIR))
def test_fhir_access(method, path, role, pa_scene, users):
    response = token_client(role, users).post(
        path, _pas_bundle(), content_type="application/fhir+json"
    )
    expected = 401 if role == "anonymous" else FHIR[(method, path)].get(role, 403)
    assert response.status_code == expected, response.content[:500]

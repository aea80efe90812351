"""Every page and API endpoint for every role: allowed or refused, as the policy says.

The item under test sits unassigned in the coverage review queue, which reps work.
A route missing from the tables below fails the coverage test: add it, with its answer
for every role, when you add the route.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from payerdesk.api import api
from payerdesk.core import services
from payerdesk.core.models import Market, User, WorkItem
from payerdesk.core.roles import Role
from payerdesk.core.urls import urlpatterns as core_urls
from payerdesk.groups.urls import urlpatterns as groups_urls
from payerdesk.priorauth.fhir_urls import urlpatterns as fhir_urls
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.urls import urlpatterns as priorauth_urls
from tests.priorauth.conftest import (
    ADALIMUMAB,
    NPI,
    SEMAGLUTIDE,
    pa_criteria_files,
    pa_files,
    pa_scene_create,
)

SAMPLE_834 = (
    Path(__file__).resolve().parents[3] / "shared/samples/x12/834/enroll-employee-managed-care.834"
)
STAFF = ["rep", "pharmacist", "groupadmin", "salesadmin", "coordinator", "auditor",
         "supervisor", "admin"]  # fmt: skip
OUTSIDE = ["employer", "provider"]
EVERYONE = [*STAFF, *OUTSIDE, "anonymous"]


def staff(ok: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, ok) for role in STAFF}


def item_scope(ok: int, *, auditor: int, rep: int | None = None) -> dict[str, int]:
    """Only rep (queue worker), auditor, supervisor and admin can see the item."""
    return staff(404, rep=ok if rep is None else rep, auditor=auditor, supervisor=ok, admin=ok)


WORKERS_REFUSED = dict.fromkeys(["pharmacist", "groupadmin", "salesadmin", "coordinator"], 403)
MARKET_ROLES_REFUSED = dict.fromkeys(["groupadmin", "salesadmin", "coordinator"], 403)


def pa_readers(ok: int, **overrides: int) -> dict[str, int]:
    """Prior authorization requests: the national review roles and auditors read them;
    the market roles do not; a provider reads the requests of their own NPI."""
    return {**staff(ok, **MARKET_ROLES_REFUSED), "provider": ok, **overrides}


def pa_intake(ok: int) -> dict[str, int]:
    return staff(403, rep=ok, pharmacist=ok, supervisor=ok, admin=ok)


PHARMACIST_ONLY = {**staff(403, pharmacist=200)}

# route name -> (method, expected status per staff role); outside roles get 403 and
# anonymous users the login page on every one of them.
PAGES: dict[str, tuple[str, dict[str, int]]] = {
    "core:my-work": ("GET", staff(200)),
    "core:work-items": ("GET", staff(200)),
    "core:queues": ("GET", staff(200)),
    "core:work-item": ("GET", item_scope(200, auditor=200)),
    "core:work-item-claim": ("POST", item_scope(302, auditor=403)),
    "core:work-item-assign": ("POST", item_scope(302, auditor=403, rep=403)),
    "core:work-item-transition": ("POST", item_scope(302, auditor=403, rep=409)),
    "core:work-item-note": ("POST", item_scope(302, auditor=403)),
    "core:work-item-attach": ("POST", item_scope(302, auditor=403)),
    "core:work-item-follow-up": ("POST", item_scope(302, auditor=403)),
    "core:work-item-attachment": ("GET", item_scope(200, auditor=200)),
    "core:queue-claim-next": ("POST", staff(302, auditor=403, **WORKERS_REFUSED)),
    "core:queue-health": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
    "groups:enrollment-upload": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
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
    "priorauth:drugs": (
        "GET",
        staff(403, **{r: 200 for r in ("rep", "pharmacist", "supervisor", "auditor", "admin")}),
    ),
    "priorauth:formulary-import": ("GET", staff(403, admin=200)),
    "priorauth:criteria-upload": ("GET", staff(403, admin=200)),
    "priorauth:metrics": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
    "priorauth:metrics-csv": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
}

# (method, OpenAPI path) -> expected status per staff role; outside roles 403,
# anonymous 401.
API: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/work-items"): staff(200),
    ("GET", "/api/work-items/mine"): staff(200),
    ("GET", "/api/work-items/{item_id}"): item_scope(200, auditor=200),
    ("GET", "/api/work-items/{item_id}/timeline"): item_scope(200, auditor=200),
    ("POST", "/api/work-items/{item_id}/claim"): item_scope(200, auditor=403),
    ("POST", "/api/work-items/{item_id}/assign"): item_scope(200, auditor=403, rep=403),
    ("POST", "/api/work-items/{item_id}/transition"): item_scope(200, auditor=403, rep=409),
    ("POST", "/api/work-items/{item_id}/notes"): item_scope(201, auditor=403),
    ("POST", "/api/work-items/{item_id}/attachments"): item_scope(201, auditor=403),
    ("POST", "/api/work-items/{item_id}/follow-ups"): item_scope(201, auditor=403),
    ("GET", "/api/queues"): staff(200),
    ("POST", "/api/queues/{slug}/claim-next"): staff(200, auditor=403, **WORKERS_REFUSED),
    ("GET", "/api/queues/health"): staff(403, auditor=200, supervisor=200, admin=200),
    # The sample names a group that does not exist here: allowed roles get a located 422.
    ("POST", "/api/enrollment/files"): staff(403, groupadmin=422, supervisor=422, admin=422),
    # No member by that id here: roles that may look get the same 404 as a hidden one.
    ("GET", "/api/eligibility"): staff(404),
    ("POST", "/api/priorauth/requests"): {**pa_intake(201), "provider": 201},
    ("GET", "/api/priorauth/requests"): pa_readers(200),
    ("GET", "/api/priorauth/requests/{request_id}"): pa_readers(200),
    ("POST", "/api/priorauth/requests/{request_id}/approve"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/deny"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/pend"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/statement"): pa_readers(409, auditor=403),
    ("GET", "/api/priorauth/drugs"): staff(
        403, **{r: 200 for r in ("rep", "pharmacist", "supervisor", "auditor", "admin")}
    ),
    # The scene imported this formulary already: the same file again answers 200.
    ("POST", "/api/priorauth/formularies"): staff(403, admin=200),
    ("POST", "/api/priorauth/criteria"): staff(403, admin=201),
}


def test_every_page_route_is_in_the_matrix():
    names = {
        f"{namespace}:{pattern.name}"
        for namespace, patterns in (
            ("core", core_urls),
            ("groups", groups_urls),
            ("priorauth", priorauth_urls),
        )
        for pattern in patterns
        if isinstance(pattern, URLPattern)
    }
    assert names == set(PAGES)


def test_every_api_operation_is_in_the_matrix():
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), path) for path, methods in schema["paths"].items() for method in methods
    }
    assert operations == set(API)


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("fax.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")


def _page_request(client: Client, name: str, method: str, scene: "Scene"):
    item, attachment_id = scene.item, scene.attachment_id
    kwargs: dict[str, object] = {}
    url_name, name = name, name.split(":")[1]
    if url_name.startswith("priorauth:"):
        scene.pa  # noqa: B018 - builds the prior authorization scene
    if url_name.startswith("priorauth:request-") and url_name not in PA_NO_ID:
        kwargs["request_id"] = scene.pa.pk
    if url_name == "priorauth:request-letter":
        kwargs["letter_id"] = scene.letter_id
    if name == "work-item" or name.startswith("work-item-"):
        kwargs["item_id"] = item.pk
    if name == "work-item-attachment":
        kwargs["attachment_id"] = attachment_id
    if name == "queue-claim-next":
        kwargs["slug"] = item.queue.slug
    url = reverse(url_name, kwargs=kwargs)
    if method == "GET":
        return client.get(url)
    forms: dict[str, dict[str, object]] = {
        "work-item-assign": {"assignee": "rep"},
        "work-item-transition": {"status": "attempted"},
        "work-item-note": {"body": "Called the office."},
        "work-item-attach": {"file": _pdf()},
        "work-item-follow-up": {
            "remind_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "message": "Chase the fax",
        },
        "request-approve": {"approval_days": "90"},
        "request-deny": {"reason": DENIAL_REASON},
        "request-pend": {"information": "Send the last two A1c results."},
        "request-statement": {"statement": "Generic failed."},
    }
    return client.post(url, forms.get(name, {}))


PA_NO_ID = {"priorauth:request-new", "priorauth:request-questions"}
DENIAL_REASON = "A1c of 6.2% is below the 7% the criteria require; no other indication."


@dataclass
class Scene:
    item: WorkItem
    attachment_id: int
    users: dict[str, User]
    markets: dict[str, Market]
    _pa: tuple[PriorAuthRequest, int] | None = None

    def _prior_auth(self) -> tuple[PriorAuthRequest, int]:
        # Built only for the prior authorization routes: it takes a formulary and criteria.
        if self._pa is None:
            self._pa = pa_scene_create(self.users, self.markets)
        return self._pa

    @property
    def pa(self) -> PriorAuthRequest:
        return self._prior_auth()[0]

    @property
    def letter_id(self) -> int:
        return self._prior_auth()[1]


@pytest.fixture
def scene(users, make_item, markets, queues) -> Scene:
    item = make_item(kind="callback", title="Call back the prescriber")
    attachment = services.work_item_attach(
        actor=users["supervisor"], item_id=item.pk, upload=_pdf()
    )
    return Scene(item, attachment.pk, users, markets)


def _client(role: str, users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, scene, users, client_for):
    method, expected_for_staff = PAGES[name]
    response = _page_request(_client(role, users, client_for), name, method, scene)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in OUTSIDE:
        assert response.status_code == expected_for_staff.get(role, 403), response.content[:500]
    else:
        assert response.status_code == expected_for_staff[role], response.content[:500]


def _api_request(client: Client, method: str, path: str, scene: Scene):
    item = scene.item
    url = path.replace("{item_id}", str(item.pk)).replace("{slug}", item.queue.slug)
    if "{request_id}" in url:
        url = url.replace("{request_id}", str(scene.pa.pk))
    elif path.startswith("/api/priorauth/"):
        scene.pa  # noqa: B018 - the formulary and prescriber these calls need
    if path == "/api/eligibility":
        url += "?member=M1&date=2026-01-01"
    if path == "/api/priorauth/drugs":
        url += "?q=sema"
    if method == "GET":
        return client.get(url)
    if path.startswith("/api/priorauth/"):
        return _pa_api_post(client, url, path)
    if path.endswith("/attachments"):
        return client.post(url, {"file": _pdf()})
    if path.endswith("/enrollment/files"):
        return client.post(url, {"file": SimpleUploadedFile("a.834", SAMPLE_834.read_bytes())})
    body: dict[str, object] = {}
    if path.endswith("/assign"):
        body = {"assignee": "rep"}
    elif path.endswith("/transition"):
        body = {"status": "attempted"}
    elif path.endswith("/notes"):
        body = {"body": "Called the office."}
    elif path.endswith("/follow-ups"):
        body = {"remind_at": (timezone.now() + timedelta(days=1)).isoformat(), "message": "Fax"}
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, scene, users):
    if role == "anonymous":
        client = Client()
    else:
        _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = _api_request(client, method, path, scene)
    if role == "anonymous":
        assert response.status_code == 401
    elif role in OUTSIDE:
        expected = API[(method, path)].get(role, 403)
        assert response.status_code == expected, response.content[:500]
    else:
        assert response.status_code == API[(method, path)][role], response.content[:500]


# FHIR operations (bearer token, like the API); outside roles as listed, else 403.
FHIR: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "/fhir/Claim/$submit"): {**pa_intake(200), "provider": 200},
}
PAS_BUNDLE = Path(__file__).resolve().parents[1] / "priorauth/fixtures/pas_semaglutide.json"


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


def test_every_fhir_route_is_in_the_matrix():
    paths = {f"/fhir/{pattern.pattern}" for pattern in fhir_urls if isinstance(pattern, URLPattern)}
    assert paths == {path for _, path in FHIR}


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(FHIR))
def test_fhir_access(method, path, role, scene, users):
    scene.pa  # noqa: B018 - the formulary, prescriber and member the Bundle names
    headers = {}
    if role != "anonymous":
        _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
        headers = {"Authorization": f"Bearer {raw}"}
    response = Client(headers=headers).post(
        path, _pas_bundle(), content_type="application/fhir+json"
    )
    expected = 401 if role == "anonymous" else FHIR[(method, path)].get(role, 403)
    assert response.status_code == expected, response.content[:500]


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
            "urgency": "standard", "line_of_business": "part_d", "answers": {},
        },
        "/approve": {"approval_days": 90},
        "/deny": {"reason": DENIAL_REASON},
        "/pend": {"information": "Send the last two A1c results."},
        "/statement": {"statement": "Generic failed."},
    }  # fmt: skip
    body = next(value for key, value in bodies.items() if path.endswith(key))
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("role", EVERYONE)
def test_django_admin_is_for_administrators_only(role, users, client_for):
    client = _client(role, users, client_for)
    if role == Role.ADMIN:
        users[role].is_staff = True
        users[role].save()
    response = client.get(reverse("admin:core_queue_changelist"))
    if role == Role.ADMIN:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

"""Every page and API endpoint for every role: allowed or refused, as the policy says.

Each app keeps its rows next to its tests: the core routes here, the others in
tests/groups/, tests/billing/ and tests/priorauth/ `test_access_matrix.py`; the roles,
clients and answer rules they share are in tests/access.py. A route missing from every
app's tables fails `test_every_route_is_in_the_matrix` below: add it, with its answer
for every role, to its app's tables when you add the route.

The core item under test sits unassigned in the coverage review queue, which reps work.
"""

from collections.abc import Hashable
from datetime import timedelta
from typing import TypeVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from payerdesk.api import api
from payerdesk.billing.urls import urlpatterns as billing_urls
from payerdesk.core import services
from payerdesk.core.models import WorkItem
from payerdesk.core.roles import Role
from payerdesk.core.urls import urlpatterns as core_urls
from payerdesk.groups.urls import urlpatterns as groups_urls
from payerdesk.priorauth.urls import fhir_urlpatterns as fhir_urls
from payerdesk.priorauth.urls import urlpatterns as priorauth_urls
from tests.access import (
    EVERYONE,
    STAFF,
    ApiRows,
    PageRows,
    assert_api_answer,
    assert_page_answer,
    page_client,
    staff,
    token_client,
)
from tests.billing import test_access_matrix as billing_matrix
from tests.groups import test_access_matrix as groups_matrix
from tests.priorauth import test_access_matrix as priorauth_matrix
from tests.world import World


def item_scope(ok: int, *, auditor: int, rep: int | None = None) -> dict[str, int]:
    """Only rep (queue worker), auditor, supervisor and admin can see the item."""
    return staff(404, rep=ok if rep is None else rep, auditor=auditor, supervisor=ok, admin=ok)


WORKERS_REFUSED = dict.fromkeys(["pharmacist", "groupadmin", "salesadmin", "coordinator"], 403)
# A hand-made item in the coverage review queue: workers of other queues get the 422
# that names the queue; the auditor opens nothing.
NEW_ITEM: dict[str, object] = {
    "kind": "task",
    "title": "Chase the fax",
    "queue": "coverage-review",
    "market": "TRI",
}
OTHER_QUEUES = dict.fromkeys(["pharmacist", "groupadmin", "salesadmin", "coordinator"], 422)
LOG_READERS = staff(403, auditor=200, supervisor=200, admin=200)

PAGES: PageRows = {
    # An employer administrator's home is the employer portal.
    "core:my-work": ("GET", {**staff(200), "employer": 302, "provider": 302}),
    "core:work-items": ("GET", staff(200)),
    "core:work-item-new": ("POST", staff(302, auditor=403, **OTHER_QUEUES)),
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
    "core:access-log": ("GET", LOG_READERS),
    "core:access-log-csv": ("GET", LOG_READERS),
}

# (method, OpenAPI path) -> expected status per staff role; outside roles 403,
# anonymous 401.
API: ApiRows = {
    ("GET", "/api/work-items"): staff(200),
    ("POST", "/api/work-items"): staff(201, auditor=403, **OTHER_QUEUES),
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
    ("GET", "/api/access-log"): LOG_READERS,
}

# Every app's tables, for the completeness check.
MATRICES: dict[str, tuple[PageRows, ApiRows]] = {
    "core": (PAGES, API),
    "groups": (groups_matrix.PAGES, groups_matrix.API),
    "billing": (billing_matrix.PAGES, billing_matrix.API),
    "priorauth": (priorauth_matrix.PAGES, priorauth_matrix.API),
}
FHIR_MATRIX: ApiRows = priorauth_matrix.FHIR


Route = TypeVar("Route", bound=Hashable)


def _differences(routes: set[Route], rows: list[Route]) -> list[str]:
    missing = sorted(map(str, routes - set(rows)))
    unknown = sorted(map(str, set(rows) - routes))
    twice = sorted({str(row) for row in rows if rows.count(row) > 1})
    return [
        *(f"no rows for {route}" for route in missing),
        *(f"rows for {route}, which is no route" for route in unknown),
        *(f"rows for {route} in two apps' tables" for route in twice),
    ]


def test_every_route_is_in_the_matrix():
    """Every page route, API operation and FHIR route has exactly one app's rows."""
    page_names = {
        f"{namespace}:{pattern.name}"
        for namespace, patterns in (
            ("core", core_urls),
            ("groups", groups_urls),
            ("billing", billing_urls),
            ("priorauth", priorauth_urls),
        )
        for pattern in patterns
        if isinstance(pattern, URLPattern)
    }
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), path) for path, methods in schema["paths"].items() for method in methods
    }
    fhir_paths = {
        f"/fhir/{pattern.pattern}" for pattern in fhir_urls if isinstance(pattern, URLPattern)
    }
    problems = [
        *_differences(page_names, [name for pages, _ in MATRICES.values() for name in pages]),
        *_differences(operations, [op for _, ops in MATRICES.values() for op in ops]),
        *_differences(fhir_paths, [path for _, path in FHIR_MATRIX]),
        *(
            f"page {name} is in the {app} tables"
            for app, (pages, _) in MATRICES.items()
            for name in pages
            if not name.startswith(f"{app}:")
        ),
    ]
    assert not problems, "\n".join(problems)


# GET pages that are blank forms for a change: they show nothing to read, so the
# auditor, who changes nothing, is refused them like the change itself.
WRITE_FORMS = {
    "groups:enrollment-upload", "groups:census-upload", "groups:change-new",
    "groups:terminate-member", "groups:reinstate-member", "groups:terminate-group",
    "groups:reinstate-group", "priorauth:request-new", "priorauth:request-questions",
    "priorauth:request-information-questions",
}  # fmt: skip


def test_the_auditor_reads_everything_and_changes_nothing():
    """Every read a staff role gets, the auditor gets too (pages, and API GETs); every
    change answers the auditor 403."""
    rows = [
        (name, method, expected)
        for pages, api_rows in MATRICES.values()
        for name, (method, expected) in [*pages.items(), *groups_matrix.READS.items()]
    ] + [
        (f"{method} {path}", method, expected)
        for _, api_rows in MATRICES.values()
        for (method, path), expected in [*api_rows.items(), *FHIR_MATRIX.items()]
    ]
    problems = set()
    for route, method, expected in rows:
        auditor = expected.get("auditor", 403)
        if method != "GET" and auditor != 403:
            problems.add(f"{route}: the auditor changes nothing, yet gets {auditor}")
        readable = any(expected.get(role) == 200 for role in STAFF)
        if method == "GET" and readable and auditor != 200 and route not in WRITE_FORMS:
            problems.add(f"{route}: the auditor reads it, yet gets {auditor}")
    assert not problems, "\n".join(sorted(problems))


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("fax.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")


# The world and the scene are built once for the module; each case runs in its own
# savepoint, so a request that changes the item changes it for that case only.
pytestmark = pytest.mark.usefixtures("module_world")


@pytest.fixture(scope="module")
def scene(module_world: World) -> tuple[WorkItem, int]:
    item = services.work_item_create(
        actor=None, kind="callback", title="Call back the prescriber",
        queue=module_world.queues["coverage"], market=None, due_at=None,
    )  # fmt: skip
    attachment = services.work_item_attach(
        actor=module_world.users["supervisor"], item_id=item.pk, upload=_pdf()
    )
    return item, attachment.pk


def _page_request(client: Client, url_name: str, method: str, item: WorkItem, attachment_id: int):
    name = url_name.split(":")[1]
    kwargs: dict[str, object] = {}
    if name == "work-item" or (name.startswith("work-item-") and name != "work-item-new"):
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
        "work-item-new": NEW_ITEM,
        "work-item-note": {"body": "Called the office."},
        "work-item-attach": {"file": _pdf()},
        "work-item-follow-up": {
            "remind_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "message": "Chase the fax",
        },
    }
    return client.post(url, forms.get(name, {}))


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, scene, users, client_for):
    item, attachment_id = scene
    method, expected = PAGES[name]
    client = page_client(role, users, client_for)
    response = _page_request(client, name, method, item, attachment_id)
    assert_page_answer(response, role, expected)


def _api_request(client: Client, method: str, path: str, item: WorkItem):
    url = path.replace("{item_id}", str(item.pk)).replace("{slug}", item.queue.slug)
    if method == "GET":
        return client.get(url)
    if path.endswith("/attachments"):
        return client.post(url, {"file": _pdf()})
    body: dict[str, object] = {}
    if path.endswith("/assign"):
        body = {"assignee": "rep"}
    elif path.endswith("/transition"):
        body = {"status": "attempted"}
    elif path.endswith("/notes"):
        body = {"body": "Called the office."}
    elif path == "/api/work-items":
        body = NEW_ITEM
    elif path.endswith("/follow-ups"):
        body = {"remind_at": (timezone.now() + timedelta(days=1)).isoformat(), "message": "Fax"}
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, scene, users):
    item, _ = scene
    response = _api_request(token_client(role, users), method, path, item)
    assert_api_answer(response, role, API[(method, path)])


@pytest.mark.parametrize("role", EVERYONE)
def test_django_admin_is_for_administrators_only(role, users, client_for):
    client = page_client(role, users, client_for)
    if role == Role.ADMIN:
        users[role].is_staff = True
        users[role].save()
    response = client.get(reverse("admin:core_queue_changelist"))
    if role == Role.ADMIN:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

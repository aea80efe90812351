"""Every page and API endpoint for every role: allowed or refused, as the policy says.

The item under test sits unassigned in the coverage review queue, which reps work.
A route missing from the tables below fails the coverage test: add it, with its answer
for every role, when you add the route.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from payerdesk.api import api
from payerdesk.core import services
from payerdesk.core.models import User, WorkItem
from payerdesk.core.roles import Role
from payerdesk.core.urls import urlpatterns as core_urls
from payerdesk.groups import underwriting
from payerdesk.groups.urls import urlpatterns as groups_urls

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
    # Policy changes: the change sits in group G-MATRIX (Tri-State), referred to underwriting.
    "groups:changes": ("GET", staff(403, groupadmin=200, auditor=200, supervisor=200, admin=200)),
    "groups:change": ("GET", staff(403, groupadmin=200, auditor=200, supervisor=200, admin=200)),
    "groups:change-new": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:change-approve": (
        "POST",
        staff(404, groupadmin=302, auditor=403, supervisor=302, admin=302),
    ),
    "groups:change-decline": (
        "POST",
        staff(404, groupadmin=302, auditor=403, supervisor=302, admin=302),
    ),
    "groups:terminate-member": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:reinstate-member": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:terminate-group": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:reinstate-group": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:underwriting-rules": (
        "GET",
        staff(403, groupadmin=200, auditor=200, supervisor=200, admin=200),
    ),
}
# Pages the employer group administrator may open for their own group (the portal);
# every other page refuses the outside roles.
PORTAL: dict[str, int] = {"groups:changes": 200, "groups:change": 200, "groups:change-new": 200}

GROUP_WRITERS = ("groupadmin", "supervisor", "admin")
GROUP_WRITE = staff(404, groupadmin=200, auditor=403, supervisor=200, admin=200)

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
    # Policy changes in group G-MATRIX (Tri-State): roles that cannot see its members get
    # the same 404 as for a nonexistent one; the auditor sees them but changes nothing.
    ("POST", "/api/policy-changes/preview"): GROUP_WRITE,
    ("POST", "/api/policy-changes"): {**GROUP_WRITE, **dict.fromkeys(GROUP_WRITERS, 201)},
    ("GET", "/api/policy-changes"): staff(200),
    ("GET", "/api/policy-changes/{change_id}"): staff(
        404, groupadmin=200, auditor=200, supervisor=200, admin=200
    ),
    ("POST", "/api/policy-changes/{change_id}/approve"): GROUP_WRITE,
    ("POST", "/api/policy-changes/{change_id}/decline"): GROUP_WRITE,
    ("POST", "/api/members/{member_pk}/terminate"): GROUP_WRITE,
    # The member's coverage is in force: allowed roles get the 409 that says so.
    ("POST", "/api/members/{member_pk}/reinstate"): {
        **GROUP_WRITE,
        **dict.fromkeys(GROUP_WRITERS, 409),
    },
    ("POST", "/api/employer-groups/{group_number}/terminate"): GROUP_WRITE,
    ("POST", "/api/employer-groups/{group_number}/reinstate"): {
        **GROUP_WRITE,
        **dict.fromkeys(GROUP_WRITERS, 409),
    },
    ("GET", "/api/underwriting-rules"): staff(
        403, groupadmin=200, auditor=200, supervisor=200, admin=200
    ),
    ("POST", "/api/underwriting-rules"): staff(403, supervisor=201, admin=201),
}


POLICY_PATHS = (
    "/api/policy-changes", "/api/members/", "/api/employer-groups/", "/api/underwriting-rules",
)  # fmt: skip


def test_every_page_route_is_in_the_matrix():
    names = {
        f"{namespace}:{pattern.name}"
        for namespace, patterns in (("core", core_urls), ("groups", groups_urls))
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


def _page_request(
    client: Client, name: str, method: str, item: WorkItem, attachment_id: int,
    policy: dict[str, int] | None = None,
):  # fmt: skip
    kwargs: dict[str, object] = {}
    url_name, name = name, name.split(":")[1]
    policy = policy or {}
    if name in ("change", "change-approve", "change-decline"):
        kwargs["change_id"] = policy["change_id"]
    if name in ("change-new", "terminate-member", "reinstate-member"):
        kwargs["member_pk"] = policy["member_pk"]
    if name in ("terminate-group", "reinstate-group"):
        kwargs["group_pk"] = policy["group_pk"]
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
        "change-decline": {"reason": "No evidence of insurability received"},
    }
    return client.post(url, forms.get(name, {}))


@pytest.fixture
def scene(users, make_item) -> tuple[WorkItem, int]:
    item = make_item(kind="callback", title="Call back the prescriber")
    attachment = services.work_item_attach(
        actor=users["supervisor"], item_id=item.pk, upload=_pdf()
    )
    return item, attachment.pk


def _client(role: str, users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


@pytest.fixture
def policy_scene(users, markets, queues) -> dict[str, int]:
    """A Tri-State group whose portal the employer holds, a covered member, and a change
    the underwriting rules referred (an increase above guaranteed issue)."""
    from payerdesk.groups import services as group_services
    from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
    from payerdesk.groups.policy_changes import ChangeRequest, policy_change_request

    group = group_services.group_create(
        actor=users["supervisor"], group_number="G-MATRIX", legal_name="Matrix Co",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pat@example.test",
    )  # fmt: skip
    group.portal_users.add(users["employer"])
    product = Product.objects.create(code="life", name="Term life", insurance_line="LIF")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Life", effective_date=date(2026, 1, 1),
        tiers=["EMP"], rate_basis="per_unit", unit_amount=Decimal("1000"),
        guaranteed_issue=Decimal("50000"),
    )  # fmt: skip
    RateRow.objects.create(plan=plan, rate=Decimal("0.10"))
    member = Member.objects.create(
        group=group, subscriber_id="M1", member_id="M1", relationship="18", first_name="A",
        last_name="B", birth_date=date(1980, 1, 1), sex="F",
    )  # fmt: skip
    group_services.coverage_add(
        actor=None, member=member, plan=plan, tier="EMP", benefit_amount=Decimal("20000"),
        start_date=date(2026, 1, 1),
    )  # fmt: skip
    change = policy_change_request(
        actor=users["groupadmin"], member=member,
        request=ChangeRequest(change_type="benefit_increase", effective_date=date(2026, 2, 1),
                              plan=plan, benefit_amount=Decimal("90000")),
    )  # fmt: skip
    return {
        "change_id": change.pk, "member_pk": member.pk, "group_pk": group.pk, "plan_id": plan.pk,
    }  # fmt: skip


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, scene, users, client_for, request):
    item, attachment_id = scene
    policy = request.getfixturevalue("policy_scene") if name.startswith("groups:") else None
    method, expected_for_staff = PAGES[name]
    client = _client(role, users, client_for)
    response = _page_request(client, name, method, item, attachment_id, policy)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in OUTSIDE:
        expected = PORTAL.get(name, 403) if role == "employer" else 403
        assert response.status_code == expected, response.content[:500]
    else:
        assert response.status_code == expected_for_staff[role], response.content[:500]


def _policy_api_request(client: Client, method: str, path: str, policy: dict[str, int]):
    url = (
        path.replace("{change_id}", str(policy["change_id"]))
        .replace("{member_pk}", str(policy["member_pk"]))
        .replace("{group_number}", "G-MATRIX")
    )
    if method == "GET":
        return client.get(url)
    if path == "/api/underwriting-rules":
        shipped = underwriting.DEFAULT_FILE.read_bytes()
        return client.post(url, {"file": SimpleUploadedFile("rules.json", shipped)})
    body: dict[str, object] = {
        "member": policy["member_pk"], "change_type": "benefit_increase",
        "effective_date": "2026-02-01", "plan": policy["plan_id"], "benefit_amount": "30000",
    }  # fmt: skip
    if path.endswith("/decline"):
        body = {"reason": "No evidence of insurability"}
    elif path.endswith("/approve"):
        body = {}
    elif path.endswith("/terminate"):
        body = {"termination_date": "2026-06-30", "reason": "voluntary"}
    elif path.endswith("/reinstate"):
        body = {"reason": "appeal"}
    return client.post(url, body, content_type="application/json")


def _api_request(client: Client, method: str, path: str, item: WorkItem):
    url = path.replace("{item_id}", str(item.pk)).replace("{slug}", item.queue.slug)
    if path == "/api/eligibility":
        url += "?member=M1&date=2026-01-01"
    if method == "GET":
        return client.get(url)
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
def test_api_access(method, path, role, scene, users, request):
    item, _ = scene
    if role == "anonymous":
        client = Client()
    else:
        _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
    if path.startswith(POLICY_PATHS):
        policy = request.getfixturevalue("policy_scene")
        response = _policy_api_request(client, method, path, policy)
    else:
        response = _api_request(client, method, path, item)
    if role == "anonymous":
        assert response.status_code == 401
    elif role in OUTSIDE:
        assert response.status_code == 403
    else:
        assert response.status_code == API[(method, path)][role], response.content[:500]


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

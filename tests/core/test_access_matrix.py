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
from payerdesk.billing import delinquency, listbills
from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.urls import urlpatterns as billing_urls
from payerdesk.core import services
from payerdesk.core.models import User, WorkItem
from payerdesk.core.roles import Role
from payerdesk.core.urls import urlpatterns as core_urls
from payerdesk.groups import services as group_services
from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
from payerdesk.groups.urls import urlpatterns as groups_urls

SAMPLE_834 = (
    Path(__file__).resolve().parents[3] / "shared/samples/x12/834/enroll-employee-managed-care.834"
)
SAMPLE_820 = Path(__file__).resolve().parents[3] / "shared/samples/x12/820/sample_820_01.txt"
STAFF = ["rep", "pharmacist", "groupadmin", "salesadmin", "coordinator", "auditor",
         "supervisor", "admin"]  # fmt: skip
OUTSIDE = ["employer", "provider"]
EVERYONE = [*STAFF, *OUTSIDE, "anonymous"]


def staff(ok: int, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, ok) for role in STAFF}


def item_scope(ok: int, *, auditor: int, rep: int | None = None) -> dict[str, int]:
    """Only rep (queue worker), auditor, supervisor and admin can see the item."""
    return staff(404, rep=ok if rep is None else rep, auditor=auditor, supervisor=ok, admin=ok)


def billing(ok: int, *, auditor: int | None = None, employer: int = 403) -> dict[str, int]:
    """Group administrators (of the group's market), supervisors and administrators
    bill; auditors read. `employer`: the answer for the group's own portal user."""
    answers = staff(403, groupadmin=ok, supervisor=ok, admin=ok)
    answers["auditor"] = ok if auditor is None else auditor
    answers["employer"] = employer
    return answers


WORKERS_REFUSED = dict.fromkeys(["pharmacist", "groupadmin", "salesadmin", "coordinator"], 403)


MISSING = 999999  # billing routes are tried on records that do not exist: 404 when allowed

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
    "billing:list-bills": ("GET", billing(200)),
    # The bill exists: generating it again answers with it.
    "billing:list-bill-generate": ("POST", billing(302, auditor=403)),
    "billing:list-bill": ("GET", billing(200, employer=200)),
    "billing:list-bill-pdf": ("GET", billing(200, employer=200)),
    "billing:list-bill-csv": ("GET", billing(200, employer=200)),
    "billing:list-bill-xlsx": ("GET", billing(200, employer=200)),
    "billing:portal": ("GET", {**staff(403), "employer": 200}),
    "billing:schedule": ("GET", billing(200)),
    "billing:aging": ("GET", billing(200)),
    "billing:delinquency": ("GET", billing(200)),
    "billing:delinquency-notice": ("GET", billing(200)),
    "billing:delinquency-cancel": ("POST", billing(302, auditor=403)),
    # The back premium is unpaid: reinstating is refused as a conflict.
    "billing:delinquency-reinstate": ("POST", billing(409, auditor=403)),
    "billing:remittances": ("GET", billing(200)),
    "billing:remittance-upload": ("POST", billing(400, auditor=403)),  # no file: the form says so
    "billing:payment-create": ("POST", billing(400, auditor=403)),
    "billing:remittance": ("GET", billing(404)),
    "billing:variance-resolve": ("POST", billing(404, auditor=403)),
    "billing:refunds": ("GET", billing(200)),
    "billing:refund-decide": ("POST", billing(404, auditor=403)),
    "billing:refunds-export": ("POST", billing(200, auditor=403)),
    "billing:reconciliation": ("GET", billing(404)),
    "billing:premium-reverse": ("POST", billing(404, auditor=403)),
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
    ("PUT", "/api/billing/groups/{group_number}/schedule"): billing(200, auditor=403),
    ("POST", "/api/list-bills"): billing(200, auditor=403),
    ("GET", "/api/list-bills"): billing(200),
    ("GET", "/api/list-bills/{bill_id}"): billing(200),
    ("GET", "/api/billing/aging"): billing(200),
    ("GET", "/api/billing/delinquencies"): billing(200),
    ("POST", "/api/billing/delinquencies/{delinquency_id}/cancel"): billing(200, auditor=403),
    ("POST", "/api/billing/delinquencies/{delinquency_id}/reinstate"): billing(409, auditor=403),
    # The 820 sample names no group (no REF*38): allowed roles get a located 422.
    ("POST", "/api/remittances/files"): billing(422, auditor=403),
    ("POST", "/api/remittances/payments"): billing(422, auditor=403),  # no such group
    ("GET", "/api/remittances/{remittance_id}"): billing(404),
    ("POST", "/api/variances/{variance_id}/resolve"): billing(404, auditor=403),
    ("GET", "/api/refunds"): billing(200),
    ("POST", "/api/refunds/{refund_id}/decision"): billing(404, auditor=403),
    ("POST", "/api/refunds/export"): billing(200, auditor=403),
    ("POST", "/api/reversals"): billing(404, auditor=403),  # no such member
    ("GET", "/api/reconciliation/{group_number}"): billing(404),
}


def test_every_page_route_is_in_the_matrix():
    names = {
        f"{namespace}:{pattern.name}"
        for namespace, patterns in (
            ("core", core_urls),
            ("groups", groups_urls),
            ("billing", billing_urls),
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


def _billing_kwargs(name: str) -> dict[str, object]:
    if name.startswith("list-bill") and name not in ("list-bills", "list-bill-generate"):
        return {"bill_id": ListBill.objects.get().pk}
    if name.startswith("delinquency"):
        return {"delinquency_id": Delinquency.objects.get().pk}
    if name == "schedule":
        return {"group_number": "B100"}
    return {}


def _page_request(client: Client, name: str, method: str, item: WorkItem, attachment_id: int):
    kwargs: dict[str, object] = {}
    url_name, name = name, name.split(":")[1]
    if url_name.startswith("billing:"):
        kwargs.update(_billing_kwargs(name))
    if name == "work-item" or name.startswith("work-item-"):
        kwargs["item_id"] = item.pk
    if name == "work-item-attachment":
        kwargs["attachment_id"] = attachment_id
    if name == "queue-claim-next":
        kwargs["slug"] = item.queue.slug
    for key in ("remittance_id", "variance_id", "refund_id", "group_id"):
        if url_name.startswith("billing:") and f"<int:{key}>" in _route(url_name):
            kwargs[key] = MISSING
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
        "list-bill-generate": {"group": "B100", "period": "2026-01-10"},
    }
    return client.post(url, forms.get(name, {}))


def _route(url_name: str) -> str:
    name = url_name.split(":")[1]
    return next(str(p.pattern) for p in billing_urls if getattr(p, "name", "") == name)


@pytest.fixture
def billing_scene(users, markets, queues) -> None:
    """A Tri-State group with one covered member, its January bill unpaid past the grace
    period (so a lapsed delinquency), and the employer user on its portal."""
    group = group_services.group_create(
        actor=users["groupadmin"], group_number="B100", legal_name="Billing Matrix Inc",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pay@billing.example",
    )  # fmt: skip
    group.portal_users.add(users["employer"])
    product = Product.objects.create(code="acc", name="Accident", insurance_line="AH")
    plan = PlanDesign.objects.create(
        group=group, product=product, name="Accident", effective_date=date(2026, 1, 1),
        tiers=["EMP"], rate_basis="tier",
    )  # fmt: skip
    RateRow.objects.create(plan=plan, tier="EMP", rate=Decimal("12.40"))
    member = Member.objects.create(
        group=group, subscriber_id="S1", member_id="S1", relationship="18", first_name="A",
        last_name="B", birth_date=date(1980, 1, 1), sex="F",
    )  # fmt: skip
    group_services.coverage_add(
        actor=None, member=member, plan=plan, tier="EMP", benefit_amount=None,
        start_date=date(2026, 1, 1),
    )  # fmt: skip
    listbills.billing_schedule_set(
        actor=None, group=group, mode="monthly", first_period_start=date(2026, 1, 1)
    )
    listbills.list_bill_generate(actor=None, group=group, period_start=date(2026, 1, 1))
    delinquency.delinquency_review(today=date(2026, 3, 1), group=group)


@pytest.fixture
def scene(request, users, make_item) -> tuple[WorkItem, int]:
    if "billing" in request.node.name or "list-bills" in request.node.name:
        request.getfixturevalue("billing_scene")
    item = make_item(kind="callback", title="Call back the prescriber")
    attachment = services.work_item_attach(
        actor=users["supervisor"], item_id=item.pk, upload=_pdf()
    )
    return item, attachment.pk


def _client(role: str, users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, scene, users, client_for):
    item, attachment_id = scene
    method, expected_for_staff = PAGES[name]
    response = _page_request(_client(role, users, client_for), name, method, item, attachment_id)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in OUTSIDE:
        assert response.status_code == expected_for_staff.get(role, 403)
    else:
        assert response.status_code == expected_for_staff[role], response.content[:500]


def _api_request(client: Client, method: str, path: str, item: WorkItem):
    url = path.replace("{item_id}", str(item.pk)).replace("{slug}", item.queue.slug)
    for key in ("{remittance_id}", "{variance_id}", "{refund_id}"):
        url = url.replace(key, str(MISSING))
    if path.startswith("/api/reconciliation/"):
        url = url.replace("{group_number}", str(MISSING))
    if path == "/api/eligibility":
        url += "?member=M1&date=2026-01-01"
    if "/billing/" in path or "/list-bills" in path:
        url = _billing_url(url)
    if method == "GET":
        return client.get(url)
    if path.endswith("/attachments"):
        return client.post(url, {"file": _pdf()})
    if path.endswith("/enrollment/files"):
        return client.post(url, {"file": SimpleUploadedFile("a.834", SAMPLE_834.read_bytes())})
    if path.endswith("/remittances/files"):
        return client.post(url, {"file": SimpleUploadedFile("a.820", SAMPLE_820.read_bytes())})
    body: dict[str, object] = {}
    if path.endswith("/remittances/payments"):
        body = {"group": "NOPE", "amount": "10.00", "payment_date": "2026-01-05",
                "method": "check", "reference": "CHK 1"}  # fmt: skip
    elif path.endswith("/resolve"):
        body = {"action": "write_off", "reason": "pennies"}
    elif path.endswith("/decision"):
        body = {"approve": True}
    elif path.endswith("/reversals"):
        body = {"member": "M1", "group": "NOPE", "since": "2026-01-01", "reason": "retro term"}
    elif path.endswith("/assign"):
        body = {"assignee": "rep"}
    elif path.endswith("/transition"):
        body = {"status": "attempted"}
    elif path.endswith("/notes"):
        body = {"body": "Called the office."}
    elif path.endswith("/follow-ups"):
        body = {"remind_at": (timezone.now() + timedelta(days=1)).isoformat(), "message": "Fax"}
    elif path.endswith("/schedule"):
        body = {"mode": "monthly", "first_period_start": "2026-01-01"}
        return client.put(url, body, content_type="application/json")
    elif path == "/api/list-bills":
        body = {"group": "B100", "period": "2026-01-10"}
    return client.post(url, body, content_type="application/json")


def _billing_url(url: str) -> str:
    if "{bill_id}" in url:
        url = url.replace("{bill_id}", str(ListBill.objects.get().pk))
    if "{delinquency_id}" in url:
        url = url.replace("{delinquency_id}", str(Delinquency.objects.get().pk))
    return url.replace("{group_number}", "B100")


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, scene, users):
    item, _ = scene
    if role == "anonymous":
        client = Client()
    else:
        _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
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

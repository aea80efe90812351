"""Every premium billing page and API operation for every role (see tests/access.py).

A route missing from these tables fails the completeness check in
tests/core/test_access_matrix.py: add it, with its answer for every role, when you add it.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.services import delinquency, listbills
from payerdesk.billing.urls import urlpatterns as billing_urls
from payerdesk.groups.models import Member, PlanDesign, Product, RateRow
from payerdesk.groups.services import groups as group_services
from tests import samples
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
from tests.world import World

SAMPLE_820 = samples.X820 / "sample_820_01.txt"


def bills(ok: int, *, auditor: int | None = None, employer: int = 403) -> dict[str, int]:
    """List bills and delinquency: group administrators (of the group's market),
    supervisors and administrators bill; auditors read. `employer`: the answer for the
    group's own portal user."""
    answers = staff(403, groupadmin=ok, supervisor=ok, admin=ok)
    answers["auditor"] = ok if auditor is None else auditor
    answers["employer"] = employer
    return answers


MISSING = 999999  # billing routes are tried on records that do not exist: 404 when allowed
BILLING_API = ("/api/remittances", "/api/variances", "/api/refunds", "/api/reversals",
               "/api/reconciliation")  # fmt: skip

PAGES: PageRows = {
    # The module's landing page: billing staff (an employer has the portal).
    "billing:home": ("GET", bills(200)),
    "billing:list-bills": ("GET", bills(200)),
    # The bill exists: generating it again answers with it.
    "billing:list-bill-generate": ("POST", bills(302, auditor=403)),
    "billing:list-bill": ("GET", bills(200, employer=200)),
    "billing:list-bill-pdf": ("GET", bills(200, employer=200)),
    "billing:list-bill-csv": ("GET", bills(200, employer=200)),
    "billing:list-bill-xlsx": ("GET", bills(200, employer=200)),
    "billing:portal": ("GET", {**staff(403), "employer": 200}),
    # No file sent: the employer's form says so; staff have no portal.
    "billing:portal-remittance-upload": ("POST", {**staff(403), "employer": 400}),
    "billing:schedule": ("GET", bills(200)),
    "billing:aging": ("GET", bills(200)),
    "billing:delinquency": ("GET", bills(200)),
    "billing:delinquency-notice": ("GET", bills(200)),
    "billing:delinquency-cancel": ("POST", bills(302, auditor=403)),
    # The back premium is unpaid: reinstating is refused as a conflict.
    "billing:delinquency-reinstate": ("POST", bills(409, auditor=403)),
    "billing:remittances": ("GET", bills(200)),
    "billing:remittance-upload": ("POST", bills(400, auditor=403)),  # no file: the form says so
    "billing:payment-create": ("POST", bills(400, auditor=403)),
    "billing:remittance": ("GET", bills(404)),
    "billing:variance-resolve": ("POST", bills(404, auditor=403)),
    "billing:refunds": ("GET", bills(200)),
    "billing:refund-decide": ("POST", bills(404, auditor=403)),
    "billing:refunds-export": ("POST", bills(200, auditor=403)),
    "billing:reconciliation": ("GET", bills(404)),
    "billing:premium-reverse": ("POST", bills(404, auditor=403)),
}

# (method, OpenAPI path) -> expected status per staff role; outside roles 403,
# anonymous 401.
API: ApiRows = {
    ("PUT", "/api/billing/groups/{group_number}/schedule"): bills(200, auditor=403),
    ("POST", "/api/list-bills"): bills(200, auditor=403),
    ("GET", "/api/list-bills"): bills(200),
    ("GET", "/api/list-bills/{bill_id}"): bills(200),
    ("GET", "/api/billing/aging"): bills(200),
    ("GET", "/api/billing/delinquencies"): bills(200),
    ("POST", "/api/billing/delinquencies/{delinquency_id}/cancel"): bills(200, auditor=403),
    ("POST", "/api/billing/delinquencies/{delinquency_id}/reinstate"): bills(409, auditor=403),
    # The 820 sample names no group (no REF*38): allowed roles get a located 422.
    ("POST", "/api/remittances/files"): bills(422, auditor=403),
    ("POST", "/api/remittances/payments"): bills(422, auditor=403),  # no such group
    ("GET", "/api/remittances/{remittance_id}"): bills(404),
    ("POST", "/api/variances/{variance_id}/resolve"): bills(404, auditor=403),
    ("GET", "/api/refunds"): bills(200),
    ("POST", "/api/refunds/{refund_id}/decision"): bills(404, auditor=403),
    ("POST", "/api/refunds/export"): bills(200, auditor=403),
    ("POST", "/api/reversals"): bills(404, auditor=403),  # no such member
    ("GET", "/api/reconciliation/{group_number}"): bills(404),
}


# The world and the scene are built once for the module; each case runs in its own
# savepoint, so what a request changes is gone for the next case.
pytestmark = pytest.mark.usefixtures("module_world", "billing_scene")


@pytest.fixture(scope="module")
def billing_scene(module_world: World) -> None:
    """A Tri-State group with one covered member, its January bill unpaid past the grace
    period (so a lapsed delinquency), and the employer user on its portal."""
    users, markets = module_world.users, module_world.markets
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


def _route(url_name: str) -> str:
    name = url_name.split(":")[1]
    return next(str(p.pattern) for p in billing_urls if getattr(p, "name", "") == name)


def _billing_kwargs(name: str) -> dict[str, object]:
    if name.startswith("list-bill") and name not in ("list-bills", "list-bill-generate"):
        return {"bill_id": ListBill.objects.get().pk}
    if name.startswith("delinquency"):
        return {"delinquency_id": Delinquency.objects.get().pk}
    if name == "schedule":
        return {"group_number": "B100"}
    return {}


def _page_request(client: Client, url_name: str, method: str):
    name = url_name.split(":")[1]
    kwargs = _billing_kwargs(name)
    for key in ("remittance_id", "variance_id", "refund_id", "group_id"):
        if f"<int:{key}>" in _route(url_name):
            kwargs[key] = MISSING
    url = reverse(url_name, kwargs=kwargs)
    if method == "GET":
        return client.get(url)
    forms: dict[str, dict[str, object]] = {
        "list-bill-generate": {"group": "B100", "period": "2026-01-10"},
    }
    return client.post(url, forms.get(name, {}))


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, users, client_for):
    method, expected = PAGES[name]
    response = _page_request(page_client(role, users, client_for), name, method)
    assert_page_answer(response, role, expected)


def _billing_url(url: str) -> str:
    if "{bill_id}" in url:
        url = url.replace("{bill_id}", str(ListBill.objects.get().pk))
    if "{delinquency_id}" in url:
        url = url.replace("{delinquency_id}", str(Delinquency.objects.get().pk))
    return url.replace("{group_number}", "B100")


def _api_request(client: Client, method: str, path: str):
    url = path
    if "/billing/" in path or "/list-bills" in path:
        url = _billing_url(url)
    if path.startswith(BILLING_API):
        for key in ("{remittance_id}", "{variance_id}", "{refund_id}", "{group_number}"):
            url = url.replace(key, str(MISSING))
    if method == "GET":
        return client.get(url)
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
    elif path.endswith("/schedule"):
        body = {"mode": "monthly", "first_period_start": "2026-01-01"}
        return client.put(url, body, content_type="application/json")
    elif path == "/api/list-bills":
        body = {"group": "B100", "period": "2026-01-10"}
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, users):
    response = _api_request(token_client(role, users), method, path)
    assert_api_answer(response, role, API[(method, path)])

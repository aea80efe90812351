"""Every page and API endpoint for every role: allowed or refused, as the policy says.

The item under test sits unassigned in the coverage review queue, which reps work.
A route missing from the tables below fails the coverage test: add it, with its answer
for every role, when you add the route.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from payerdesk.api import api
from payerdesk.billing import delinquency, listbills
from payerdesk.billing.models import Delinquency, ListBill
from payerdesk.billing.urls import urlpatterns as billing_urls
from payerdesk.core import services
from payerdesk.core.models import Market, User, WorkItem
from payerdesk.core.roles import Role
from payerdesk.core.urls import urlpatterns as core_urls
from payerdesk.groups import services as group_services
from payerdesk.groups import underwriting
from payerdesk.groups.census import COLUMNS
from payerdesk.groups.models import ImportJob, Member, PlanDesign, Product, RateRow
from payerdesk.groups.urls import urlpatterns as groups_urls
from payerdesk.priorauth.fhir_urls import urlpatterns as fhir_urls
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.urls import urlpatterns as priorauth_urls
from tests.priorauth.conftest import (
    ADALIMUMAB,
    NPI,
    OTHER_NPI,
    SEMAGLUTIDE,
    pa_criteria_files,
    pa_files,
    pa_scene_create,
)

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


# An import job uploaded by groupadmin: the uploader and unscoped readers of members.
JOB_READERS = dict.fromkeys(["groupadmin", "auditor", "supervisor", "admin"], 200)


def bills(ok: int, *, auditor: int | None = None, employer: int = 403) -> dict[str, int]:
    """List bills and delinquency: group administrators (of the group's market),
    supervisors and administrators bill; auditors read. `employer`: the answer for the
    group's own portal user."""
    answers = staff(403, groupadmin=ok, supervisor=ok, admin=ok)
    answers["auditor"] = ok if auditor is None else auditor
    answers["employer"] = employer
    return answers


WORKERS_REFUSED = dict.fromkeys(["pharmacist", "groupadmin", "salesadmin", "coordinator"], 403)
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

GROUP_READERS = dict.fromkeys(["groupadmin", "auditor", "supervisor", "admin"], 200)


def group_staff(ok: int, *, auditor: int = 403) -> dict[str, int]:
    """Group pages: group administrators (of the group's market), supervisors and admins
    act; auditors read; the other staff roles have no group screens."""
    return staff(403, groupadmin=ok, supervisor=ok, admin=ok, auditor=auditor)


MISSING = 999999  # billing routes are tried on records that do not exist: 404 when allowed
BILLING_API = ("/api/remittances", "/api/variances", "/api/refunds", "/api/reversals",
               "/api/reconciliation")  # fmt: skip

PAGES: dict[str, tuple[str, dict[str, int]]] = {
    # An employer administrator's home is the employer portal.
    "core:my-work": ("GET", {**staff(200), "employer": 302}),
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
    "groups:groups": ("GET", group_staff(200, auditor=200)),
    "groups:group-new": ("POST", group_staff(302)),
    "groups:group": ("GET", group_staff(200, auditor=200)),
    "groups:setup-step": ("POST", group_staff(302)),
    "groups:plan-new": ("POST", group_staff(302)),
    "groups:plan-edit": ("POST", group_staff(302)),
    "groups:rate-new": ("POST", group_staff(302)),
    "groups:rate-edit": ("POST", group_staff(302)),
    "groups:member-new": ("POST", group_staff(302)),
    "groups:member": ("GET", group_staff(200, auditor=200)),
    "groups:coverage-new": ("POST", group_staff(302)),
    # Any staff member may ask; the answer (here a blank form) is scoped like the API's.
    "groups:eligibility": ("GET", staff(200)),
    "groups:contract": ("GET", {**group_staff(200, auditor=200), "employer": 200}),
    "groups:portal": ("GET", {**staff(403), "employer": 200}),
    "groups:portal-group": ("GET", {**staff(403), "employer": 200}),
    "groups:portal-member": ("GET", {**staff(403), "employer": 200}),
    "groups:census-upload": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    # The job was uploaded by groupadmin: who may read the file may read the job.
    "groups:import-job": (
        "GET",
        staff(404, groupadmin=200, auditor=200, supervisor=200, admin=200),
    ),
    # Policy changes: the change sits in group G-MATRIX (Tri-State), referred to underwriting;
    # the employer holds that group's portal.
    "groups:changes": ("GET", {**group_staff(200, auditor=200), "employer": 200}),
    "groups:change": ("GET", {**group_staff(200, auditor=200), "employer": 200}),
    "groups:change-new": ("GET", {**group_staff(200), "employer": 200}),
    "groups:change-approve": (
        "POST",
        staff(404, groupadmin=302, auditor=403, supervisor=302, admin=302),
    ),
    "groups:change-decline": (
        "POST",
        staff(404, groupadmin=302, auditor=403, supervisor=302, admin=302),
    ),
    "groups:terminate-member": ("GET", group_staff(200)),
    "groups:reinstate-member": ("GET", group_staff(200)),
    "groups:terminate-group": ("GET", group_staff(200)),
    "groups:reinstate-group": ("GET", group_staff(200)),
    "groups:underwriting-rules": ("GET", group_staff(200, auditor=200)),
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
    # The scene's request is pended: the intake staff record what arrived.
    "priorauth:request-information": ("POST", pa_intake(302)),
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
    "priorauth:formulary-import": ("GET", staff(403, admin=200)),
    "priorauth:criteria-upload": ("GET", staff(403, admin=200)),
    "priorauth:metrics": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
    "priorauth:metrics-csv": ("GET", staff(403, auditor=200, supervisor=200, admin=200)),
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
POLICY_KWARGS = {
    "change": ("change_id",), "change-approve": ("change_id",), "change-decline": ("change_id",),
    "change-new": ("member_pk",), "terminate-member": ("member_pk",),
    "reinstate-member": ("member_pk",), "terminate-group": ("group_number",),
    "reinstate-group": ("group_number",),
}  # fmt: skip
POLICY_FORMS = {"change-approve": {}, "change-decline": {"reason": "No evidence received"}}

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
    ("POST", "/api/census/files"): staff(403, groupadmin=422, supervisor=422, admin=422),
    ("GET", "/api/import-jobs/{job_id}"): staff(404, **JOB_READERS),
    # No member by that id here: roles that may look get the same 404 as a hidden one.
    ("GET", "/api/eligibility"): staff(404),
    ("GET", "/api/groups"): group_staff(200, auditor=200),
    ("POST", "/api/groups"): group_staff(201),
    ("GET", "/api/groups/{group_number}"): group_staff(200, auditor=200),
    ("GET", "/api/groups/{group_number}/plans"): group_staff(200, auditor=200),
    ("POST", "/api/groups/{group_number}/plans"): group_staff(201),
    ("GET", "/api/plans/{plan_id}/rates"): group_staff(200, auditor=200),
    ("POST", "/api/plans/{plan_id}/rates"): group_staff(201),
    ("GET", "/api/groups/{group_number}/members"): group_staff(200, auditor=200),
    ("POST", "/api/groups/{group_number}/members"): group_staff(201),
    ("GET", "/api/members/{member_pk}"): group_staff(200, auditor=200),
    ("GET", "/api/members/{member_pk}/coverages"): group_staff(200, auditor=200),
    ("POST", "/api/members/{member_pk}/coverages"): group_staff(201),
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
    ("POST", "/api/groups/{group_number}/terminate"): GROUP_WRITE,
    ("POST", "/api/groups/{group_number}/reinstate"): {
        **GROUP_WRITE,
        **dict.fromkeys(GROUP_WRITERS, 409),
    },
    ("GET", "/api/underwriting-rules"): staff(
        403, groupadmin=200, auditor=200, supervisor=200, admin=200
    ),
    ("POST", "/api/underwriting-rules"): staff(403, supervisor=201, admin=201),
    ("POST", "/api/priorauth/requests"): {**pa_intake(201), "provider": 201},
    ("GET", "/api/priorauth/requests"): pa_readers(200),
    ("GET", "/api/priorauth/requests/{request_id}"): pa_readers(200),
    ("POST", "/api/priorauth/requests/{request_id}/approve"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/deny"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/pend"): PHARMACIST_ONLY,
    ("POST", "/api/priorauth/requests/{request_id}/statement"): pa_readers(409, auditor=403),
    ("POST", "/api/priorauth/requests/{request_id}/information"): pa_intake(200),
    ("GET", "/api/priorauth/drugs"): staff(
        403, **{r: 200 for r in ("rep", "pharmacist", "supervisor", "auditor", "admin")}
    ),
    # The scene imported this formulary already: the same file again answers 200.
    ("GET", "/api/priorauth/prescribers"): PRESCRIBER_READERS,
    ("POST", "/api/priorauth/prescribers"): pa_intake(201),
    ("PATCH", "/api/priorauth/prescribers/{npi}"): pa_intake(200),
    ("POST", "/api/priorauth/formularies"): staff(403, admin=200),
    ("POST", "/api/priorauth/criteria"): staff(403, admin=201),
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
POLICY_API = {path for _, path in API if path.startswith(
    ("/api/policy-changes", "/api/underwriting-rules")
) or (path.startswith(("/api/members/", "/api/groups/"))
     and path.endswith(("/terminate", "/reinstate")))}  # fmt: skip


def test_every_page_route_is_in_the_matrix():
    names = {
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


GROUP_KWARGS = {
    "group": ("group_number",), "setup-step": ("group_number", "position"),
    "plan-new": ("group_number",), "member-new": ("group_number",),
    "contract": ("group_number",), "portal-group": ("group_number",),
    "plan-edit": ("plan_id",), "rate-new": ("plan_id",), "rate-edit": ("rate_id",),
    "member": ("member_pk",), "coverage-new": ("member_pk",), "portal-member": ("member_pk",),
}  # fmt: skip
GROUP_FORMS: dict[str, dict[str, object]] = {
    "group-new": {
        "group_number": "G2002", "legal_name": "Beta Foods Inc", "situs_state": "NY",
        "market": "TRI", "effective_date": "2026-01-01", "billing_contact_name": "Lee",
        "billing_contact_email": "lee@beta.example",
    },
    "setup-step": {"done": "1"},
    "plan-new": {
        "product": "vision", "name": "Vision", "effective_date": "2026-01-01",
        "eligibility_class": "All", "waiting_period_days": "0", "tiers": ["EMP"],
        "rate_basis": "tier", "age_rule": "effective_date",
    },
    "plan-edit": {
        "product": "accident", "name": "Accident plus", "effective_date": "2026-01-01",
        "eligibility_class": "All", "waiting_period_days": "0", "tiers": ["EMP", "FAM"],
        "rate_basis": "tier", "age_rule": "effective_date",
    },
    "rate-new": {"age_min": "0", "age_max": "120", "tier": "FAM", "rate": "30.00"},
    "rate-edit": {"age_min": "0", "age_max": "120", "tier": "EMP", "rate": "12.50"},
    "member-new": {
        "member_id": "900100200", "first_name": "Pat", "last_name": "Lee",
        "birth_date": "1985-01-01", "sex": "F", "relationship": "18",
    },
    "coverage-new": {"plan": "", "tier": "EMP", "start_date": "2026-02-01"},
}  # fmt: skip


def _page_request(
    client: Client,
    name: str,
    method: str,
    item: WorkItem,
    attachment_id: int,
    groups: dict[str, object],
    policy: dict[str, object] | None = None,
    pa: "PaScene | None" = None,
):
    kwargs: dict[str, object] = {}
    url_name, name = name, name.split(":")[1]
    if pa is not None and url_name.startswith("priorauth:request-") and url_name not in PA_NO_ID:
        kwargs["request_id"] = pa.pa.pk
    if pa is not None and url_name == "priorauth:request-letter":
        kwargs["letter_id"] = pa.letter_id
    if pa is not None and url_name in ("priorauth:prescriber", "priorauth:prescriber-edit"):
        pa.pa  # noqa: B018 - the scene's prescriber
        kwargs["npi"] = NPI
    if url_name.startswith("billing:"):
        kwargs.update(_billing_kwargs(name))
    if name == "work-item" or name.startswith("work-item-"):
        kwargs["item_id"] = item.pk
    if name == "work-item-attachment":
        kwargs["attachment_id"] = attachment_id
    if name == "queue-claim-next":
        kwargs["slug"] = item.queue.slug
    if url_name.startswith("groups:"):
        kwargs.update({key: groups[key] for key in GROUP_KWARGS.get(name, ())})
        kwargs.update({key: (policy or {})[key] for key in POLICY_KWARGS.get(name, ())})
    if name == "import-job":
        kwargs["job_id"] = ImportJob.objects.values_list("pk", flat=True).get()
    for key in ("remittance_id", "variance_id", "refund_id", "group_id"):
        if url_name.startswith("billing:") and f"<int:{key}>" in _route(url_name):
            kwargs[key] = MISSING
    url = reverse(url_name, kwargs=kwargs)
    if method == "GET":
        return client.get(url)
    if name in POLICY_FORMS:
        return client.post(url, POLICY_FORMS[name])
    if url_name.startswith("groups:"):
        data = {**GROUP_FORMS[name]}
        if name == "coverage-new":
            data["plan"] = groups["plan_id"]
        return client.post(url, data)
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
        "request-information": {"note": "The office faxed the last two A1c results."},
        "prescriber-new": {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor"},
        "prescriber-edit": {"name": "Dr. Ana Ruiz", "email": "ruiz@new-clinic.example"},
        "list-bill-generate": {"group": "B100", "period": "2026-01-10"},
    }
    return client.post(url, forms.get(name, {}))


PA_NO_ID = {"priorauth:request-new", "priorauth:request-questions"}
DENIAL_REASON = "A1c of 6.2% is below the 7% the criteria require; no other indication."


@dataclass
class PaScene:
    """The prior authorization records, built on first use: they take a formulary and
    criteria, which most routes do not need."""

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
def pa_scene(users, markets, queues) -> PaScene:
    return PaScene(users, markets)


def census_sample() -> bytes:
    """A census naming a group that does not exist here: allowed roles get a located 422."""
    return (",".join(COLUMNS) + "\n" + "NOGROUP,1,1,employee,A,B,1980-01-01,F,,,,,,,,N,"
            "life,EMP,,,2026-01-01,\n").encode()  # fmt: skip


@pytest.fixture
def group_scene(users, markets, queues) -> dict[str, object]:
    """A Tri-State group (the group administrator's market) with the employer on its
    portal, a tier-rated plan with one rate, and an employee."""
    group = group_services.group_create(
        actor=users["supervisor"], group_number="G1001", legal_name="Acme LLC",
        situs_state="NY", market=markets["TRI"], effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pat@acme.example",
    )  # fmt: skip
    group_services.portal_user_grant(actor=users["supervisor"], group=group, user=users["employer"])
    Product.objects.create(code="vision", name="Vision", insurance_line="VIS")
    plan = group_services.plan_design_save(
        actor=users["supervisor"], group=group,
        product=Product.objects.create(code="accident", name="Accident", insurance_line="AH"),
        name="Accident", effective_date=date(2026, 1, 1), tiers=["EMP", "FAM"], rate_basis="tier",
    )  # fmt: skip
    rate = group_services.rate_row_save(
        actor=users["supervisor"], plan=plan, tier="EMP", rate=Decimal("12.40")
    )
    member = group_services.member_add(
        actor=users["supervisor"], group=group, member_id="100200300", first_name="Jo",
        last_name="Rivera", birth_date=date(1986, 3, 15), sex="F",
    )  # fmt: skip
    return {
        "group_number": group.group_number, "position": 1, "plan_id": plan.pk,
        "rate_id": rate.pk, "member_pk": member.pk,
    }  # fmt: skip


@pytest.fixture
def policy_scene(users, markets, queues) -> dict[str, object]:
    """A Tri-State group whose portal the employer holds, a covered member, and a change
    the underwriting rules referred (an increase above guaranteed issue)."""
    from payerdesk.groups.models import Member, PlanDesign, RateRow
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
        "change_id": change.pk, "member_pk": member.pk, "group_number": "G-MATRIX",
        "plan_id": plan.pk,
    }  # fmt: skip


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
    job = ImportJob(kind="834", name="a.834", sha256="0" * 64, size=1, state="done",
                    created_by=users["groupadmin"])  # fmt: skip
    job.content.save("matrix-job", ContentFile(b"x"), save=False)
    job.save()
    item = make_item(kind="callback", title="Call back the prescriber")
    attachment = services.work_item_attach(
        actor=users["supervisor"], item_id=item.pk, upload=_pdf()
    )
    return item, attachment.pk


def _client(role: str, users: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return Client() if role == "anonymous" else client_for(users[role])


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, scene, group_scene, pa_scene, users, client_for, request):
    item, attachment_id = scene
    method, expected = PAGES[name]
    client = _client(role, users, client_for)
    policy = request.getfixturevalue("policy_scene") if name.split(":")[1] in (
        *POLICY_KWARGS, "changes", "underwriting-rules") else None  # fmt: skip
    pa = pa_scene if name.startswith("priorauth:") else None
    response = _page_request(client, name, method, item, attachment_id, group_scene, policy, pa)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected.get(role, 403), response.content[:500]


API_BODIES: dict[str, dict[str, object]] = {
    "/api/groups": {
        "group_number": "G2002", "legal_name": "Beta Foods Inc", "situs_state": "NY",
        "market": "TRI", "effective_date": "2026-01-01", "billing_contact_name": "Lee",
        "billing_contact_email": "lee@beta.example",
    },
    "/api/groups/{group_number}/plans": {
        "product": "vision", "name": "Vision", "effective_date": "2026-01-01",
        "tiers": ["EMP"], "rate_basis": "tier",
    },
    "/api/plans/{plan_id}/rates": {"tier": "FAM", "rate": "30.00"},
    "/api/groups/{group_number}/members": {
        "member_id": "900100200", "first_name": "Pat", "last_name": "Lee",
        "birth_date": "1985-01-01", "sex": "F",
    },
    "/api/members/{member_pk}/coverages": {"tier": "EMP", "start_date": "2026-02-01"},
}  # fmt: skip


def _policy_api_request(client: Client, method: str, path: str, policy: dict[str, object]):
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


def _api_request(
    client: Client, method: str, path: str, item: WorkItem, groups: dict[str, object],
    pa: "PaScene",
):  # fmt: skip
    url = path.replace("{item_id}", str(item.pk)).replace("{slug}", item.queue.slug)
    if "/billing/" in path or "/list-bills" in path:
        url = _billing_url(url)
    if path.startswith(BILLING_API):
        for key in ("{remittance_id}", "{variance_id}", "{refund_id}", "{group_number}"):
            url = url.replace(key, str(MISSING))
    for key in ("group_number", "plan_id", "member_pk"):
        url = url.replace("{" + key + "}", str(groups[key]))
    url = url.replace("{job_id}", str(ImportJob.objects.values_list("pk", flat=True).get()))
    url = url.replace("{npi}", NPI)
    if "{request_id}" in url:
        url = url.replace("{request_id}", str(pa.pa.pk))
    elif path.startswith("/api/priorauth/"):
        pa.pa  # noqa: B018 - the formulary and prescriber these calls need
    if path == "/api/eligibility":
        url += "?member=M1&date=2026-01-01"
    if path == "/api/priorauth/drugs":
        url += "?q=sema"
    if method == "GET":
        return client.get(url)
    if method == "PATCH" and path == "/api/priorauth/prescribers/{npi}":
        change = {"email": "ruiz@new-clinic.example"}
        return client.patch(url, change, content_type="application/json")
    if path.startswith("/api/priorauth/"):
        return _pa_api_post(client, url, path)
    if path in API_BODIES:
        payload = {**API_BODIES[path]}
        if path.endswith("/coverages"):
            payload["plan_id"] = groups["plan_id"]
        return client.post(url, payload, content_type="application/json")
    if path.endswith("/attachments"):
        return client.post(url, {"file": _pdf()})
    if path.endswith("/enrollment/files"):
        return client.post(url, {"file": SimpleUploadedFile("a.834", SAMPLE_834.read_bytes())})
    if path.endswith("/census/files"):
        return client.post(url, {"file": SimpleUploadedFile("c.csv", census_sample())})
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
def test_api_access(method, path, role, scene, group_scene, pa_scene, users, request):
    item, _ = scene
    if role == "anonymous":
        client = Client()
    else:
        _, raw = services.api_token_issue(actor=None, user=users[role], name="matrix")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
    if path in POLICY_API:
        policy = request.getfixturevalue("policy_scene")
        response = _policy_api_request(client, method, path, policy)
    else:
        response = _api_request(client, method, path, item, group_scene, pa_scene)
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
def test_fhir_access(method, path, role, pa_scene, users):
    pa_scene.pa  # noqa: B018 - the formulary, prescriber and member the Bundle names
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

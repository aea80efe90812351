"""Every group administration page and API operation for every role (see tests/access.py).

A route missing from these tables fails the completeness check in
tests/core/test_access_matrix.py: add it, with its answer for every role, when you add it.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from payerdesk.groups.models import ImportJob, Member, PlanDesign, Product, RateRow
from payerdesk.groups.rules import underwriting
from payerdesk.groups.services import groups as group_services
from payerdesk.groups.services.census import COLUMNS
from payerdesk.groups.services.policy_changes import ChangeRequest, policy_change_request
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

SAMPLE_834 = samples.X834 / "enroll-employee-managed-care.834"

# An import job uploaded by groupadmin: the uploader and unscoped readers of members.
JOB_READERS = dict.fromkeys(["groupadmin", "auditor", "supervisor", "admin"], 200)


def group_staff(ok: int, *, auditor: int = 403) -> dict[str, int]:
    """Group pages: group administrators (of the group's market), supervisors and admins
    act; auditors read; the other staff roles have no group screens."""
    return staff(403, groupadmin=ok, supervisor=ok, admin=ok, auditor=auditor)


GROUP_WRITERS = ("groupadmin", "supervisor", "admin")
GROUP_WRITE = staff(404, groupadmin=200, auditor=403, supervisor=200, admin=200)

PAGES: PageRows = {
    "groups:enrollment-upload": ("GET", staff(403, groupadmin=200, supervisor=200, admin=200)),
    "groups:groups": ("GET", group_staff(200, auditor=200)),
    "groups:group-new": ("POST", group_staff(302)),
    "groups:group": ("GET", group_staff(200, auditor=200)),
    "groups:setup-step": ("POST", group_staff(302)),
    # The scene's group is in Tri-State, the group administrator's market; the form moves
    # it to Texas, which only the unscoped roles serve: the page does not offer it to the
    # group administrator (400), the API refuses it (403).
    "groups:group-market": ("POST", group_staff(302) | {"groupadmin": 400}),
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
}

# The plan and rate pages also show the record to those who read it (the auditor, read
# only); their PAGES rows are the change.
READS: PageRows = {
    "groups:plan-edit": ("GET", group_staff(200, auditor=200)),
    "groups:rate-edit": ("GET", group_staff(200, auditor=200)),
}

# (method, OpenAPI path) -> expected status per staff role; outside roles 403,
# anonymous 401.
API: ApiRows = {
    # The sample names a group that does not exist here: allowed roles get a located 422.
    ("POST", "/api/enrollment/files"): staff(403, groupadmin=422, supervisor=422, admin=422),
    ("POST", "/api/census/files"): staff(403, groupadmin=422, supervisor=422, admin=422),
    ("GET", "/api/import-jobs/{job_id}"): staff(404, **JOB_READERS),
    # No member by that id here: roles that may look get the same 404 as a hidden one.
    ("GET", "/api/eligibility"): staff(404),
    ("GET", "/api/groups"): group_staff(200, auditor=200),
    ("POST", "/api/groups"): group_staff(201),
    ("GET", "/api/groups/{group_number}"): group_staff(200, auditor=200),
    ("POST", "/api/groups/{group_number}/market"): group_staff(200) | {"groupadmin": 403},
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
}
POLICY_API = {path for _, path in API if path.startswith(
    ("/api/policy-changes", "/api/underwriting-rules")
) or (path.startswith(("/api/members/", "/api/groups/"))
     and path.endswith(("/terminate", "/reinstate")))}  # fmt: skip

POLICY_KWARGS = {
    "change": ("change_id",), "change-approve": ("change_id",), "change-decline": ("change_id",),
    "change-new": ("member_pk",), "terminate-member": ("member_pk",),
    "reinstate-member": ("member_pk",), "terminate-group": ("group_number",),
    "reinstate-group": ("group_number",),
}  # fmt: skip
POLICY_FORMS = {"change-approve": {}, "change-decline": {"reason": "No evidence received"}}
GROUP_KWARGS = {
    "group": ("group_number",), "setup-step": ("group_number", "position"),
    "group-market": ("group_number",),
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
    "group-market": {"market": "TX", "reason": "Moved to the Texas office"},
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
    "/api/groups/{group_number}/market": {"market": "TX", "reason": "Moved to Texas"},
    "/api/groups/{group_number}/members": {
        "member_id": "900100200", "first_name": "Pat", "last_name": "Lee",
        "birth_date": "1985-01-01", "sex": "F",
    },
    "/api/members/{member_pk}/coverages": {"tier": "EMP", "start_date": "2026-02-01"},
}  # fmt: skip


def census_sample() -> bytes:
    """A census naming a group that does not exist here: allowed roles get a located 422."""
    return (",".join(COLUMNS) + "\n" + "NOGROUP,1,1,employee,A,B,1980-01-01,F,,,,,,,,N,"
            "life,EMP,,,2026-01-01,\n").encode()  # fmt: skip


# The world and the scenes are built once for the module; each case runs in its own
# savepoint, so what a request changes is gone for the next case.
pytestmark = pytest.mark.usefixtures("module_world", "group_scene", "policy_scene")


@pytest.fixture(scope="module")
def import_job(module_world: World) -> int:
    """An 834 import job uploaded by groupadmin."""
    job = ImportJob(kind="834", name="a.834", sha256="0" * 64, size=1, state="done",
                    created_by=module_world.users["groupadmin"])  # fmt: skip
    job.content.save("matrix-job", ContentFile(b"x"), save=False)
    job.save()
    return job.pk


@pytest.fixture(scope="module")
def group_scene(module_world: World) -> dict[str, object]:
    """A Tri-State group (the group administrator's market) with the employer on its
    portal, a tier-rated plan with one rate, and an employee."""
    users, markets = module_world.users, module_world.markets
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


@pytest.fixture(scope="module")
def policy_scene(module_world: World) -> dict[str, object]:
    """A Tri-State group whose portal the employer holds, a covered member, and a change
    the underwriting rules referred (an increase above guaranteed issue)."""
    users, markets = module_world.users, module_world.markets
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


def _page_request(
    client: Client,
    url_name: str,
    method: str,
    job_id: int,
    groups: dict[str, object],
    policy: dict[str, object] | None,
):
    name = url_name.split(":")[1]
    kwargs: dict[str, object] = {key: groups[key] for key in GROUP_KWARGS.get(name, ())}
    kwargs.update({key: (policy or {})[key] for key in POLICY_KWARGS.get(name, ())})
    if name == "import-job":
        kwargs["job_id"] = job_id
    url = reverse(url_name, kwargs=kwargs)
    if method == "GET":
        return client.get(url)
    if name in POLICY_FORMS:
        return client.post(url, POLICY_FORMS[name])
    data = {**GROUP_FORMS[name]}
    if name == "coverage-new":
        data["plan"] = groups["plan_id"]
    return client.post(url, data)


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, role, import_job, group_scene, policy_scene, users, client_for):
    method, expected = PAGES[name]
    client = page_client(role, users, client_for)
    response = _page_request(client, name, method, import_job, group_scene, policy_scene)
    assert_page_answer(response, role, expected)


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize("name", sorted(READS))
def test_read_access(name, role, import_job, group_scene, users, client_for):
    method, expected = READS[name]
    client = page_client(role, users, client_for)
    response = _page_request(client, name, method, import_job, group_scene, None)
    assert_page_answer(response, role, expected)


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


def _api_request(client: Client, method: str, path: str, job_id: int, groups: dict[str, object]):
    url = path
    for key in ("group_number", "plan_id", "member_pk"):
        url = url.replace("{" + key + "}", str(groups[key]))
    url = url.replace("{job_id}", str(job_id))
    if path == "/api/eligibility":
        url += "?member=M404&date=2026-01-01"  # no member has this id
    if method == "GET":
        return client.get(url)
    if path in API_BODIES:
        payload = {**API_BODIES[path]}
        if path.endswith("/coverages"):
            payload["plan_id"] = groups["plan_id"]
        return client.post(url, payload, content_type="application/json")
    if path.endswith("/enrollment/files"):
        return client.post(url, {"file": SimpleUploadedFile("a.834", SAMPLE_834.read_bytes())})
    if path.endswith("/census/files"):
        return client.post(url, {"file": SimpleUploadedFile("c.csv", census_sample())})
    return client.post(url, {}, content_type="application/json")


@pytest.mark.parametrize("role", EVERYONE)
@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_access(method, path, role, import_job, group_scene, policy_scene, users):
    client = token_client(role, users)
    if path in POLICY_API:
        response = _policy_api_request(client, method, path, policy_scene)
    else:
        response = _api_request(client, method, path, import_job, group_scene)
    assert_api_answer(response, role, API[(method, path)])

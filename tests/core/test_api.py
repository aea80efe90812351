"""The work queue through the REST API: every operation, and every kind of bad input.

Each refusal is a 4xx with a JSON body that says what is wrong (and, where a field is to
blame, names it), and leaves the database exactly as it was.
"""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import (
    AccessLogEntry,
    ApiToken,
    Attachment,
    FollowUp,
    Note,
    TimelineEvent,
    WorkItem,
)
from tests.storage import stored_names

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
# Tuesday noon on the queue floor's clock: "today" has hours left on either side.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def post_json(client: Client, url: str, body: object):
    return client.post(url, body, content_type="application/json")


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def snapshot() -> tuple[object, ...]:
    """Everything an API call could change."""
    return (
        list(
            WorkItem.objects.order_by("pk").values_list(
                "pk", "status", "assignee_id", "claimed_at", "closed_at", "priority"
            )
        ),
        list(TimelineEvent.objects.order_by("pk").values_list("pk", flat=True)),
        Note.objects.count(),
        Attachment.objects.count(),
        FollowUp.objects.count(),
        AccessLogEntry.objects.count(),
        # (not last_used_at: using a token, even for a refused call, records that)
        list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at", "expires_at")),
    )


def stored_files() -> set[str]:
    return stored_names()


@pytest.fixture
def frozen_noon() -> Iterator[datetime]:
    with mock.patch("django.utils.timezone.now", return_value=NOON):
        yield NOON


@pytest.fixture
def rep(api_client) -> Client:
    return api_client("rep")


@pytest.fixture
def supervisor(api_client) -> Client:
    return api_client("supervisor")


# ---- listing and filtering ------------------------------------------------------------


@pytest.fixture
def spread(frozen_noon, users, markets, make_item) -> dict[str, WorkItem]:
    """Items across queues, kinds, markets, holders and due windows, at a frozen noon."""
    items = {
        "overdue": make_item(kind="callback", market=markets["SE"], due_in=timedelta(hours=-2)),
        "today": make_item(market=markets["TX"], due_in=timedelta(hours=3)),
        "week": make_item("groups", market=markets["TRI"], due_in=timedelta(days=2)),
        "later": make_item(due_in=timedelta(days=10)),
        "closed": make_item(due_in=timedelta(hours=1)),
    }
    services.work_item_claim(actor=users["rep"], item_id=items["today"].pk)
    services.work_item_claim(actor=users["supervisor"], item_id=items["closed"].pk)
    services.work_item_transition(
        actor=users["supervisor"], item_id=items["closed"].pk, to_status="cancelled"
    )
    return items


def ids(client: Client, query: str = "") -> list[int]:
    response = client.get(f"/api/work-items?{query}")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["overdue", "today", "week", "later"]),
        ("queue=coverage-review", ["overdue", "today", "later"]),
        ("queue=group-administration", ["week"]),
        ("status=open", ["overdue", "today", "week", "later"]),
        ("status=cancelled", []),
        ("status=cancelled&include_closed=true", ["closed"]),
        ("include_closed=true", ["overdue", "closed", "today", "week", "later"]),
        ("market=TX", ["today"]),
        ("market=SE", ["overdue"]),
        ("kind=callback", ["overdue"]),
        ("kind=task", ["today", "week", "later"]),
        ("assignee=rep", ["today"]),
        ("assignee=none", ["overdue", "week", "later"]),
        ("assignee=supervisor&include_closed=true", ["closed"]),
        ("due=overdue", ["overdue"]),
        ("due=today", ["overdue", "today"]),
        ("due=week", ["overdue", "today", "week"]),
        ("due=later", ["later"]),
        ("queue=coverage-review&kind=task&due=today", ["today"]),
    ],
)
def test_the_list_filters(spread, supervisor, query, expected):
    assert ids(supervisor, query) == [spread[name].pk for name in expected]


def test_the_list_describes_each_item(spread, supervisor):
    body = supervisor.get("/api/work-items?due=overdue").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["id"] == spread["overdue"].pk
    assert (item["kind"], item["kind_label"], item["status"], item["status_label"]) == (
        "callback", "Call back", "open", "To call",
    )  # fmt: skip
    assert (item["queue"], item["market"], item["assignee"]) == ("coverage-review", "SE", None)
    assert item["overdue"] is True
    assert item["next_statuses"] == ["attempted", "completed", "cancelled"]


def test_the_list_shows_only_what_the_user_may_see(spread, api_client):
    assert ids(api_client("rep")) == [spread[n].pk for n in ("overdue", "today", "later")]
    assert ids(api_client("pharmacist")) == []
    # Market-scoped: group administration in Tri-State only.
    assert ids(api_client("groupadmin")) == [spread["week"].pk]


def test_the_list_pages_with_limit_offset_and_count(frozen_noon, make_item, supervisor):
    made = [make_item(due_in=timedelta(hours=n + 1)) for n in range(7)]
    page = supervisor.get("/api/work-items?limit=3&offset=2").json()
    assert (page["count"], page["limit"], page["offset"]) == (7, 3, 2)
    assert [i["id"] for i in page["items"]] == [item.pk for item in made[2:5]]
    last = supervisor.get("/api/work-items?limit=3&offset=6").json()
    assert (last["count"], [i["id"] for i in last["items"]]) == (7, [made[6].pk])
    beyond = supervisor.get("/api/work-items?offset=50").json()
    assert (beyond["count"], beyond["items"]) == (7, [])
    default = supervisor.get("/api/work-items").json()
    assert (default["limit"], default["offset"], len(default["items"])) == (50, 0, 7)


def test_mine_lists_my_open_items_soonest_due_first(users, make_item, rep):
    later = make_item(title="later", due_in=timedelta(days=2))
    overdue = make_item(title="overdue", due_in=timedelta(hours=-5))
    soon = make_item(title="soon", due_in=timedelta(hours=2))
    done = make_item(title="done", due_in=timedelta(hours=-9))
    make_item(title="nobody's", due_in=timedelta(hours=-20))
    theirs = make_item(title="supervisor's", due_in=timedelta(hours=-30))
    for item in (later, overdue, soon, done):
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_claim(actor=users["supervisor"], item_id=theirs.pk)
    services.work_item_transition(actor=users["rep"], item_id=done.pk, to_status="cancelled")
    mine = rep.get("/api/work-items/mine").json()
    assert mine["count"] == 3
    assert [i["title"] for i in mine["items"]] == ["overdue", "soon", "later"]
    assert [i["overdue"] for i in mine["items"]] == [True, False, False]
    paged = rep.get("/api/work-items/mine?limit=1&offset=1").json()
    assert (paged["count"], [i["title"] for i in paged["items"]]) == (3, ["soon"])


# ---- one item, its timeline, and each action ------------------------------------------


def test_get_one_item_with_its_notes_and_attachments(users, make_item, rep):
    item = make_item(kind="callback", title="Call the prescriber")
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Left a voicemail")
    services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile("fax.pdf", PDF)
    )
    response = rep.get(f"/api/work-items/{item.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"], body["assignee"], body["description"]) == (
        item.pk, "Call the prescriber", "rep", "",
    )  # fmt: skip
    assert [(n["author"], n["body"]) for n in body["notes"]] == [("rep", "Left a voicemail")]
    [attachment] = body["attachments"]
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == (
        "fax.pdf", "application/pdf", len(PDF),
    )  # fmt: skip
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert attachment["uploaded_by"] == "rep"


def test_the_timeline_lists_every_event_in_order(users, make_item, rep):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_transition(
        actor=users["rep"], item_id=item.pk, to_status="in_progress", reason="Started"
    )
    services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Called")
    response = rep.get(f"/api/work-items/{item.pk}/timeline")
    assert response.status_code == 200
    events = response.json()
    assert [(e["event"], e["actor"]) for e in events] == [
        ("created", None), ("claimed", "rep"), ("status_changed", "rep"), ("note_added", "rep"),
    ]  # fmt: skip
    assert events[2]["data"] == {"previous": "open", "status": "in_progress", "reason": "Started"}
    assert events[2]["summary"] == "Open → In progress"


def test_claim(users, make_item, rep):
    item = make_item()
    response = rep.post(f"/api/work-items/{item.pk}/claim")
    assert response.status_code == 200
    assert response.json()["assignee"] == "rep"
    item.refresh_from_db()
    assert item.assignee == users["rep"] and item.claimed_at is not None
    assert item.timeline.filter(event="claimed", actor=users["rep"]).count() == 1


def test_claim_next_takes_the_unassigned_item_due_first(users, make_item, rep):
    make_item("pharmacist", due_in=timedelta(hours=-9))
    held = make_item(due_in=timedelta(hours=-8))
    services.work_item_claim(actor=users["supervisor"], item_id=held.pk)
    make_item(due_in=timedelta(hours=5))
    first = make_item(due_in=timedelta(hours=1))
    response = rep.post("/api/queues/coverage-review/claim-next")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["assignee"]) == (first.pk, "rep")
    first.refresh_from_db()
    assert first.assignee == users["rep"]


def test_claim_next_refusals(users, make_item, api_client):
    rep, pharmacist = api_client("rep"), api_client("pharmacist")
    before = snapshot()
    empty = rep.post("/api/queues/coverage-review/claim-next")
    assert empty.status_code == 409
    assert empty.json() == {
        "detail": "Nothing is waiting in Coverage Review.",
        "code": "queue_empty",
    }
    assert snapshot() == before
    make_item()
    before = snapshot()
    other_role = pharmacist.post("/api/queues/coverage-review/claim-next")
    assert other_role.status_code == 403
    assert other_role.json()["code"] == "not_permitted"
    unknown = rep.post("/api/queues/no-such-queue/claim-next")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "No queue 'no-such-queue'.", "code": "not_found"}
    assert snapshot() == before


def test_assign_by_username_and_release_with_null(users, make_item, supervisor, rep):
    item = make_item()
    given = post_json(supervisor, f"/api/work-items/{item.pk}/assign", {"assignee": "rep"})
    assert given.status_code == 200 and given.json()["assignee"] == "rep"
    item.refresh_from_db()
    assert item.assignee == users["rep"]
    released = post_json(rep, f"/api/work-items/{item.pk}/assign", {"assignee": None})
    assert released.status_code == 200 and released.json()["assignee"] is None
    item.refresh_from_db()
    assert item.assignee is None and item.claimed_at is None
    assert list(item.timeline.values_list("event", flat=True)) == [
        "created", "assigned", "released",
    ]  # fmt: skip


def test_transition(users, make_item, rep):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    moved = post_json(
        rep, f"/api/work-items/{item.pk}/transition", {"status": "in_progress", "reason": "On it"}
    )
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["closed_at"]) == ("in_progress", None)
    assert moved.json()["next_statuses"] == ["waiting", "done", "cancelled"]
    done = post_json(rep, f"/api/work-items/{item.pk}/transition", {"status": "done"})
    assert done.json()["status"] == "done" and done.json()["closed_at"] is not None
    item.refresh_from_db()
    assert item.status == "done" and item.closed_at is not None


def test_add_note(users, make_item, rep):
    item = make_item()
    response = post_json(rep, f"/api/work-items/{item.pk}/notes", {"body": "  Spoke to Dana  "})
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["body"]) == ("rep", "Spoke to Dana")
    assert Note.objects.get(work_item=item).body == "Spoke to Dana"


def test_upload_an_attachment(users, make_item, rep):
    item = make_item()
    response = rep.post(
        f"/api/work-items/{item.pk}/attachments", {"file": SimpleUploadedFile("fax.pdf", PDF)}
    )
    assert response.status_code == 201
    body = response.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert (body["name"], body["size"], body["sha256"], body["uploaded_by"]) == (
        "fax.pdf", len(PDF), digest, "rep",
    )  # fmt: skip
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.work_item_id == item.pk
    with stored.file.open("rb") as handle:
        assert handle.read() == PDF


def test_schedule_follow_ups(users, make_item, rep):
    item = make_item()
    remind = timezone.now() + timedelta(days=1)
    mine = post_json(
        rep,
        f"/api/work-items/{item.pk}/follow-ups",
        {"remind_at": remind.isoformat(), "message": "Call again"},
    )
    assert mine.status_code == 201
    assert (mine.json()["owner"], mine.json()["message"]) == ("rep", "Call again")
    for_supervisor = post_json(
        rep,
        f"/api/work-items/{item.pk}/follow-ups",
        {"remind_at": remind.isoformat(), "message": "Check it", "owner": "supervisor"},
    )
    assert for_supervisor.status_code == 201 and for_supervisor.json()["owner"] == "supervisor"
    rows = FollowUp.objects.filter(work_item=item).order_by("pk")
    assert [(f.owner.username, f.remind_at) for f in rows] == [
        ("rep", remind), ("supervisor", remind),
    ]  # fmt: skip


def test_queues_lists_the_queues_of_the_role_with_open_counts(users, make_item, api_client):
    make_item()
    make_item()
    make_item("pharmacist")
    closed = make_item()
    services.work_item_claim(actor=users["rep"], item_id=closed.pk)
    services.work_item_transition(actor=users["rep"], item_id=closed.pk, to_status="cancelled")
    rep_queues = api_client("rep").get("/api/queues").json()
    assert [(q["slug"], q["open"]) for q in rep_queues] == [("coverage-review", 2)]
    assert rep_queues[0]["sla_policy"] == "72 hours (72h)"
    everything = api_client("supervisor").get("/api/queues").json()
    assert {q["slug"]: q["open"] for q in everything} == {
        "coverage-review": 2, "group-administration": 0, "pharmacist-review": 1,
    }  # fmt: skip


def test_queue_health_is_for_supervisors_and_auditors(
    frozen_noon, users, markets, make_item, api_client
):
    make_item(market=markets["TX"], due_in=timedelta(hours=-1))
    make_item(market=markets["TX"], due_in=timedelta(hours=2))
    make_item(due_in=timedelta(days=3))
    for role in ("supervisor", "auditor"):
        response = api_client(role).get("/api/queues/health")
        assert response.status_code == 200
        rows = {(r["queue_slug"], r["market"]): r for r in response.json()}
        texas = rows[("coverage-review", "Texas")]
        assert (texas["open"], texas["due_today"], texas["overdue"], texas["unassigned"]) == (
            2, 1, 1, 2,
        )  # fmt: skip
        assert rows[("coverage-review", "National")]["open"] == 1
    for role in ("rep", "pharmacist", "groupadmin", "salesadmin", "coordinator"):
        refused = api_client(role).get("/api/queues/health")
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "Queue health is for supervisors.",
            "code": "not_permitted",
        }


# ---- the documented API -----------------------------------------------------------------

OPERATIONS = {
    ("get", "/api/work-items"),
    ("get", "/api/work-items/mine"),
    ("get", "/api/work-items/{item_id}"),
    ("get", "/api/work-items/{item_id}/timeline"),
    ("post", "/api/work-items/{item_id}/claim"),
    ("post", "/api/work-items/{item_id}/assign"),
    ("post", "/api/work-items/{item_id}/transition"),
    ("post", "/api/work-items/{item_id}/notes"),
    ("post", "/api/work-items/{item_id}/attachments"),
    ("post", "/api/work-items/{item_id}/follow-ups"),
    ("get", "/api/queues"),
    ("post", "/api/queues/{slug}/claim-next"),
    ("get", "/api/queues/health"),
}


def test_openapi_lists_the_operations_behind_bearer_auth(db):
    client = Client()
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    documented = {(m, path) for path, methods in schema["paths"].items() for m in methods}
    assert documented >= OPERATIONS
    schemes = schema["components"]["securitySchemes"]
    bearer_names = {
        name for name, s in schemes.items() if (s["type"], s["scheme"]) == ("http", "bearer")
    }
    assert bearer_names
    for method, path in OPERATIONS:
        security = schema["paths"][path][method]["security"]
        assert {name for requirement in security for name in requirement} <= bearer_names
        assert security, (method, path)


def test_the_api_docs_render(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"/api/openapi.json" in response.content


# ---- credentials ------------------------------------------------------------------------


@pytest.fixture
def held_item(users, make_item) -> WorkItem:
    return make_item()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Token pd_abc",
        "Basic cmVwOmNvcnJlY3QtaG9yc2U=",
        "pd_abc",
    ],
)
def test_a_missing_or_malformed_header_is_401(held_item, header):
    before = snapshot()
    client = Client(headers={"Authorization": header}) if header is not None else Client()
    response = client.post(f"/api/work-items/{held_item.pk}/claim")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Send an API token: Authorization: Bearer TOKEN",
        "code": "not_authenticated",
    }
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["pd_not-a-real-token", "something-else", "pd_" + "x" * 400, ""])
def test_an_unknown_token_is_401(held_item, raw):
    before = snapshot()
    response = bearer(raw).post(f"/api/work-items/{held_item.pk}/claim")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown API token.", "code": "not_authenticated"}
    assert snapshot() == before


def _refused(client: Client, item: WorkItem, message: str) -> None:
    before = snapshot()
    for response in (
        client.get("/api/work-items"),
        client.post(f"/api/work-items/{item.pk}/claim"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert message in response.json()["detail"]
    assert snapshot() == before


def test_a_revoked_token_is_401(users, held_item):
    token, raw = services.api_token_issue(actor=None, user=users["rep"], name="fax server")
    assert bearer(raw).get("/api/work-items").status_code == 200
    services.api_token_revoke(actor=None, token=token)
    _refused(bearer(raw), held_item, f"API token {token.prefix}… was revoked.")


def test_a_token_past_its_expiry_row_is_401(users, held_item):
    token, raw = services.api_token_issue(
        actor=None, user=users["rep"], name="t", expires_at=timezone.now() + timedelta(days=1)
    )
    assert bearer(raw).get("/api/work-items").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(bearer(raw), held_item, f"API token {token.prefix}… expired.")


def test_a_token_expires_when_its_time_comes(users, held_item):
    now = timezone.now()
    _, raw = services.api_token_issue(
        actor=None, user=users["rep"], name="t", expires_at=now + timedelta(hours=1)
    )
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=59)):
        assert bearer(raw).get("/api/work-items").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=1)):
        _refused(bearer(raw), held_item, "expired")


def test_a_token_of_a_disabled_user_is_401(users, held_item):
    _, raw = services.api_token_issue(actor=None, user=users["rep"], name="t")
    users["rep"].is_active = False
    users["rep"].save()
    _refused(bearer(raw), held_item, "The account this API token belongs to is disabled.")


def test_outside_roles_have_no_work_queue_api(held_item, api_client):
    for role in ("employer", "provider"):
        client = api_client(role)
        before = snapshot()
        for response in (
            client.get("/api/work-items"),
            client.post(f"/api/work-items/{held_item.pk}/claim"),
        ):
            assert response.status_code == 403
            assert response.json() == {
                "detail": "The work queue is for staff.",
                "code": "not_permitted",
            }
        assert snapshot() == before


# ---- bad input: a clear 4xx and nothing changed ------------------------------------------


@pytest.fixture
def rep_holds(users, make_item) -> WorkItem:
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    return item


def test_a_disallowed_transition_is_409(rep_holds, rep):
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{rep_holds.pk}/transition", {"status": "done"})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "A Task cannot go from Open to Done; from here it can go to in_progress, "
        "cancelled.",
        "code": "transition_not_allowed",
        "field": "status",
    }
    assert snapshot() == before


def test_an_unknown_status_is_422_on_the_status_field(rep_holds, rep):
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{rep_holds.pk}/transition", {"status": "approved"})
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("unknown_status", "status")
    assert "'approved' is not a status of Task" in body["detail"]
    assert snapshot() == before


def test_a_transition_of_an_item_someone_else_holds_is_409(users, make_item, rep):
    item = make_item()
    services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{item.pk}/transition", {"status": "in_progress"})
    assert response.status_code == 409
    assert response.json()["code"] == "already_claimed"
    assert "held by supervisor" in response.json()["detail"]
    assert snapshot() == before


def test_claiming_an_item_someone_holds_is_409(users, make_item, rep):
    item = make_item()
    services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    before = snapshot()
    response = rep.post(f"/api/work-items/{item.pk}/claim")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Work item #{item.pk} is already held by supervisor.",
        "code": "already_claimed",
    }
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "raw_body"),
    [
        ("notes", "{not json"),
        ("notes", '{"body": "unterminated'),
        ("transition", "status=done"),
        ("assign", "\x00\x01"),
    ],
)
def test_a_malformed_json_body_is_400(rep_holds, rep, action, raw_body):
    before = snapshot()
    response = rep.post(
        f"/api/work-items/{rep_holds.pk}/{action}", raw_body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}
    assert snapshot() == before


def _locs(response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("notes", {}, "body"),
        ("notes", {"text": "wrong name"}, "body"),
        ("transition", {"reason": "no status"}, "status"),
        ("assign", {}, "assignee"),
        ("follow-ups", {"message": "no time"}, "remind_at"),
        ("follow-ups", {"remind_at": "2030-01-01T09:00:00Z"}, "message"),
    ],
)
def test_a_missing_required_field_is_422_naming_it(rep_holds, rep, action, body, field):
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{rep_holds.pk}/{action}", body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field and error["type"] == "missing"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("notes", {"body": 12}, "body"),
        ("notes", {"body": ["a", "list"]}, "body"),
        ("notes", {"body": "x" * 10_001}, "body"),
        ("transition", {"status": 7}, "status"),
        ("transition", {"status": "done", "reason": {"why": "?"}}, "reason"),
        ("assign", {"assignee": 3}, "assignee"),
        ("follow-ups", {"remind_at": "next tuesday", "message": "x"}, "remind_at"),
        ("follow-ups", {"remind_at": "2030-01-01T09:00:00Z", "message": ""}, "message"),
    ],
)
def test_a_wrong_type_or_size_is_422_naming_the_field(rep_holds, rep, action, body, field):
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{rep_holds.pk}/{action}", body)
    assert response.status_code == 422
    assert [loc[-1] for loc in _locs(response)] == [field]
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "limit=201",
        "limit=-5",
        "offset=-1",
        "offset=x",
        "due=yesterday",
        "due=TODAY",
        "include_closed=perhaps",
    ],
)
def test_bad_list_parameters_are_422(users, api_client, query):
    response = api_client("rep").get(f"/api/work-items?{query}")
    assert response.status_code == 422
    assert [loc[-1] for loc in _locs(response)] == [query.split("=")[0]]


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1"])
def test_bad_paging_on_mine_is_422(users, api_client, query):
    response = api_client("rep").get(f"/api/work-items/mine?{query}")
    assert response.status_code == 422
    assert [loc[-1] for loc in _locs(response)] == [query.split("=")[0]]


def test_an_unknown_kind_filter_is_422(users, api_client):
    response = api_client("rep").get("/api/work-items?kind=claims")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "unknown work item kind 'claims'",
        "code": "invalid",
        "field": "kind",
    }


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_an_empty_note_is_422(rep_holds, rep, body):
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{rep_holds.pk}/notes", {"body": body})
    assert response.status_code == 422
    detail = response.json()["detail"]
    if isinstance(detail, list):  # refused by the schema (min_length)
        assert [e["loc"][-1] for e in detail] == ["body"]
    else:  # blank after stripping: refused by the service
        assert response.json() == {
            "detail": "A note cannot be empty.",
            "code": "invalid",
            "field": "body",
        }
    assert snapshot() == before


@pytest.mark.parametrize(
    ("assignee", "detail", "code"),
    [
        ("pharmacist", "pharmacist cannot work items of Coverage Review.", "assignee_not_eligible"),
        ("auditor", "auditor cannot work items of Coverage Review.", "assignee_not_eligible"),
        ("ghost", "No active user 'ghost'.", "invalid"),
    ],
)
def test_assigning_to_someone_who_cannot_take_it_is_422(
    users, make_item, supervisor, assignee, detail, code
):
    item = make_item()
    before = snapshot()
    response = post_json(supervisor, f"/api/work-items/{item.pk}/assign", {"assignee": assignee})
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": code, "field": "assignee"}
    assert snapshot() == before


def test_assigning_to_a_disabled_user_is_422(users, make_item, supervisor):
    item = make_item()
    users["rep"].is_active = False
    users["rep"].save()
    before = snapshot()
    response = post_json(supervisor, f"/api/work-items/{item.pk}/assign", {"assignee": "rep"})
    assert response.status_code == 422 and response.json()["field"] == "assignee"
    assert snapshot() == before


def test_a_worker_cannot_assign_what_they_do_not_hold(users, make_item, rep):
    item = make_item()
    before = snapshot()
    response = post_json(rep, f"/api/work-items/{item.pk}/assign", {"assignee": "rep"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": f"You may not assign work item #{item.pk}.",
        "code": "not_permitted",
    }
    assert snapshot() == before


@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=64)
@pytest.mark.parametrize(
    ("name", "content", "code", "message"),
    [
        ("fax.pdf", PDF + b"0" * 64, "attachment_too_large", "fax.pdf is larger than the 64-byte"),
        ("fax.pdf", b"GIF89a;", "attachment_type", "fax.pdf is named .pdf but its content is"),
        ("tool.exe", b"MZ\x90\x00", "attachment_type", "tool.exe: .exe not accepted"),
        ("census.csv", b"a,b\x00c", "attachment_type", "census.csv is named .csv but is not text"),
        ("README", b"hello", "attachment_type", "files without an extension not accepted"),
    ],
)
def test_a_bad_attachment_is_422_on_the_file_field(rep_holds, rep, name, content, code, message):
    before, files = snapshot(), stored_files()
    response = rep.post(
        f"/api/work-items/{rep_holds.pk}/attachments",
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == (code, "file")
    assert message in body["detail"]
    assert snapshot() == before
    assert stored_files() == files


def test_an_upload_without_a_file_is_422(rep_holds, rep):
    before = snapshot()
    response = rep.post(f"/api/work-items/{rep_holds.pk}/attachments", {"other": "x"})
    assert response.status_code == 422
    assert [loc[-1] for loc in _locs(response)] == ["file"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("remind_at", "detail"),
    [
        ("past", "The reminder must be in the future."),
        ("2030-01-01T09:00:00", "The reminder time needs a time zone."),
    ],
)
def test_a_follow_up_in_the_past_or_without_a_zone_is_422(rep_holds, rep, remind_at, detail):
    if remind_at == "past":
        remind_at = (timezone.now() - timedelta(minutes=1)).isoformat()
    before = snapshot()
    response = post_json(
        rep,
        f"/api/work-items/{rep_holds.pk}/follow-ups",
        {"remind_at": remind_at, "message": "Call back"},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": "invalid", "field": "remind_at"}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("owner", "detail", "code"),
    [
        ("ghost", "No active user 'ghost'.", "invalid"),
        ("pharmacist", "pharmacist cannot see this item.", "assignee_not_eligible"),
    ],
)
def test_a_follow_up_for_someone_who_cannot_see_the_item_is_422(
    rep_holds, rep, owner, detail, code
):
    before = snapshot()
    response = post_json(
        rep,
        f"/api/work-items/{rep_holds.pk}/follow-ups",
        {
            "remind_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "message": "x",
            "owner": owner,
        },
    )
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": code, "field": "owner"}
    assert snapshot() == before


def _call(client: Client, method: str, path: str):
    bodies: dict[str, object] = {
        "assign": {"assignee": "rep"},
        "transition": {"status": "in_progress"},
        "notes": {"body": "Hello"},
        "follow-ups": {
            "remind_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "message": "x",
        },
    }
    if method == "get":
        return client.get(path)
    if path.endswith("/attachments"):
        return client.post(path, {"file": SimpleUploadedFile("fax.pdf", PDF)})
    return post_json(client, path, bodies.get(path.rsplit("/", 1)[1], {}))


ITEM_OPERATIONS = sorted((m, p) for m, p in OPERATIONS if "{item_id}" in p)


@pytest.mark.parametrize(("method", "path"), ITEM_OPERATIONS)
def test_an_item_out_of_scope_reads_exactly_as_a_missing_one(
    users, markets, make_item, api_client, method, path
):
    hidden = make_item("groups", market=markets["SE"])  # groupadmin serves Tri-State only
    missing_id = WorkItem.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    client = api_client("groupadmin")
    before = snapshot()
    out_of_scope = _call(client, method, path.replace("{item_id}", str(hidden.pk)))
    nonexistent = _call(client, method, path.replace("{item_id}", str(missing_id)))
    assert out_of_scope.status_code == nonexistent.status_code == 404
    assert out_of_scope.json() == {
        "detail": f"Work item {hidden.pk} does not exist.",
        "code": "not_found",
    }
    assert nonexistent.json() == {
        "detail": f"Work item {missing_id} does not exist.",
        "code": "not_found",
    }
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), [op for op in ITEM_OPERATIONS if op[0] == "post"])
def test_an_auditor_can_read_but_not_act(users, make_item, api_client, method, path):
    item = make_item()
    auditor = api_client("auditor")
    assert auditor.get(f"/api/work-items/{item.pk}").status_code == 200
    before = snapshot()
    response = _call(auditor, method, path.replace("{item_id}", str(item.pk)))
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert response.json()["detail"].startswith("You may not ")
    assert snapshot() == before


# ---- the PHI access log -------------------------------------------------------------------


def test_viewing_a_phi_item_writes_the_access_log(users, make_item, rep):
    item = make_item(kind="callback")
    assert item.phi
    response = rep.get(
        f"/api/work-items/{item.pk}", REMOTE_ADDR="10.9.8.7", headers={"User-Agent": "curl/8"}
    )
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.username, entry.action, entry.channel) == (
        users["rep"], "rep", "view", "api",
    )  # fmt: skip
    assert (entry.record_type, entry.record_id, entry.ip_address) == (
        "work_item", str(item.pk), "10.9.8.7",
    )  # fmt: skip
    assert (entry.path, entry.user_agent) == (f"/api/work-items/{item.pk}", "curl/8")


def test_viewing_a_phi_items_timeline_writes_the_access_log(users, make_item, rep):
    item = make_item(kind="callback")
    response = rep.get(f"/api/work-items/{item.pk}/timeline", REMOTE_ADDR="10.9.8.6")
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.channel, entry.record_id, entry.ip_address) == (
        "rep", "api", str(item.pk), "10.9.8.6",
    )  # fmt: skip


def test_viewing_a_non_phi_item_writes_no_access_log(users, make_item, rep):
    item = make_item(kind="task")
    assert not item.phi
    assert rep.get(f"/api/work-items/{item.pk}").status_code == 200
    assert rep.get(f"/api/work-items/{item.pk}/timeline").status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_a_refused_view_of_a_phi_item_writes_no_access_log(users, make_item, api_client):
    item = make_item(kind="callback")
    assert api_client("pharmacist").get(f"/api/work-items/{item.pk}").status_code == 404
    assert not AccessLogEntry.objects.exists()


def test_using_a_token_records_when_it_was_last_used(users):
    token, raw = services.api_token_issue(actor=None, user=users["rep"], name="t")
    assert token.last_used_at is None
    bearer(raw).get("/api/work-items")
    token.refresh_from_db()
    assert token.last_used_at is not None

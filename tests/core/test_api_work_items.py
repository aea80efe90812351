"""The work queue API: the same actions as the pages, with JSON errors naming the field."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import AccessLogEntry, ApiToken, Attachment, WorkItem

PDF = b"%PDF-1.4\n%%EOF\n"


def post_json(client: Client, url: str, body: object):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def rep(api_client) -> Client:
    return api_client("rep")


def test_list_filters_and_pages(users, markets, make_item, api_client):
    for n in range(5):
        make_item(due_in=timedelta(hours=n + 1), market=markets["TX"])
    overdue = make_item(due_in=timedelta(hours=-1), kind="callback")
    make_item("groups", due_in=timedelta(days=9))
    client = api_client("supervisor")

    page = client.get("/api/work-items?queue=coverage-review&limit=2&offset=1").json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (6, 2, 1, 2)
    assert [i["due_at"] for i in page["items"]] == sorted(i["due_at"] for i in page["items"])

    def ids(query: str) -> list[int]:
        return [item["id"] for item in client.get(f"/api/work-items?{query}").json()["items"]]

    assert ids("due=overdue") == [overdue.pk]
    assert ids("kind=callback") == [overdue.pk]
    assert len(ids("market=TX")) == 5
    assert len(ids("due=later")) == 1
    assert len(ids("assignee=none")) == 7
    body = client.get("/api/work-items?due=overdue").json()["items"][0]
    assert body["overdue"] is True and body["next_statuses"] == [
        "attempted",
        "completed",
        "cancelled",
    ]


def test_a_rep_works_an_item_end_to_end(users, make_item, rep):
    item = make_item(kind="callback", due_in=timedelta(hours=3))
    claimed = rep.post(f"/api/work-items/{item.pk}/claim").json()
    assert claimed["assignee"] == "rep"
    assert (
        post_json(rep, f"/api/work-items/{item.pk}/notes", {"body": "Voicemail"}).status_code == 201
    )
    upload = rep.post(
        f"/api/work-items/{item.pk}/attachments", {"file": SimpleUploadedFile("fax.pdf", PDF)}
    )
    assert upload.status_code == 201 and len(upload.json()["sha256"]) == 64
    remind = (timezone.now() + timedelta(hours=1)).isoformat()
    follow = post_json(
        rep, f"/api/work-items/{item.pk}/follow-ups", {"remind_at": remind, "message": "Retry"}
    )
    assert follow.status_code == 201 and follow.json()["owner"] == "rep"
    moved = post_json(rep, f"/api/work-items/{item.pk}/transition", {"status": "completed"})
    assert moved.json()["status"] == "completed" and moved.json()["closed_at"]

    detail = rep.get(f"/api/work-items/{item.pk}").json()
    assert [n["body"] for n in detail["notes"]] == ["Voicemail"]
    assert [a["name"] for a in detail["attachments"]] == ["fax.pdf"]
    events = [e["event"] for e in rep.get(f"/api/work-items/{item.pk}/timeline").json()]
    assert events == [
        "created", "claimed", "note_added", "attachment_added", "follow_up_scheduled",
        "status_changed",
    ]  # fmt: skip
    assert rep.get("/api/work-items/mine").json()["items"] == []


def test_claim_next_assign_and_release(users, make_item, api_client):
    item = make_item(due_in=timedelta(hours=1))
    make_item(due_in=timedelta(hours=9))
    rep = api_client("rep")
    assert rep.post("/api/queues/coverage-review/claim-next").json()["id"] == item.pk
    mine = rep.get("/api/work-items/mine").json()
    assert (mine["count"], [i["id"] for i in mine["items"]]) == (1, [item.pk])
    released = post_json(rep, f"/api/work-items/{item.pk}/assign", {"assignee": None})
    assert released.json()["assignee"] is None
    supervisor = api_client("supervisor")
    given = post_json(supervisor, f"/api/work-items/{item.pk}/assign", {"assignee": "rep"})
    assert given.json()["assignee"] == "rep"
    queues = {q["slug"]: q["open"] for q in rep.get("/api/queues").json()}
    assert queues == {"coverage-review": 2}
    health = supervisor.get("/api/queues/health").json()
    assert health[0]["queue_slug"] == "coverage-review" and health[0]["open"] == 2


def test_viewing_a_phi_item_over_the_api_is_logged(users, make_item, rep):
    phi = make_item(kind="callback")
    plain = make_item(kind="task")
    rep.get(f"/api/work-items/{phi.pk}", REMOTE_ADDR="10.9.8.7")
    rep.get(f"/api/work-items/{plain.pk}")
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.channel, entry.record_id, entry.ip_address) == (
        "rep", "api", str(phi.pk), "10.9.8.7",
    )  # fmt: skip


def test_openapi_documents_the_operations_and_bearer_auth(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/work-items/{item_id}/claim" in schema["paths"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert client.get("/api/docs").status_code == 200


# ---- bad input: a clear 4xx, and nothing changes -------------------------------------


def _state(item: WorkItem) -> tuple[object, ...]:
    fresh = WorkItem.objects.get(pk=item.pk)
    return fresh.status, fresh.assignee_id, fresh.timeline.count(), fresh.notes.count()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Token abc", "Bearer pd_not-a-real-token", "Bearer something-else"],
)
def test_missing_or_unknown_credentials_are_401(db, header):
    client = Client(headers={"Authorization": header} if header else {})
    response = client.get("/api/work-items")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("problem", ["revoked", "expired", "disabled"])
def test_revoked_expired_and_disabled_tokens_are_401(users, problem):
    token, raw = services.api_token_issue(actor=None, user=users["rep"], name="t")
    if problem == "revoked":
        services.api_token_revoke(actor=None, token=token)
    elif problem == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    else:
        users["rep"].is_active = False
        users["rep"].save()
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/work-items")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert {"revoked": "revoked", "expired": "expired", "disabled": "disabled"}[problem] in (
        response.json()["detail"]
    )


def test_transition_errors(users, make_item, rep):
    item = make_item()
    rep.post(f"/api/work-items/{item.pk}/claim")
    before = _state(item)
    refused = post_json(rep, f"/api/work-items/{item.pk}/transition", {"status": "done"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_not_allowed"
    unknown = post_json(rep, f"/api/work-items/{item.pk}/transition", {"status": "approved"})
    assert unknown.status_code == 422
    assert (unknown.json()["code"], unknown.json()["field"]) == ("unknown_status", "status")
    assert _state(item) == before


def test_claiming_a_held_item_is_409(users, make_item, api_client):
    item = make_item()
    api_client("supervisor").post(f"/api/work-items/{item.pk}/claim")
    before = _state(item)
    response = api_client("rep").post(f"/api/work-items/{item.pk}/claim")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Work item #{item.pk} is already held by supervisor.",
        "code": "already_claimed",
    }
    assert _state(item) == before


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("notes", "{not json", None),
        ("notes", {}, "body"),
        ("notes", {"body": ""}, "body"),
        ("notes", {"body": 12}, "body"),
        ("transition", {"reason": "x"}, "status"),
        ("follow-ups", {"remind_at": "next tuesday", "message": "x"}, "remind_at"),
        ("assign", {}, "assignee"),
    ],
)
def test_malformed_payloads_name_the_field(users, make_item, rep, url, body, field):
    item = make_item()
    before = _state(item)
    response = rep.post(f"/api/work-items/{item.pk}/{url}", body, content_type="application/json")
    assert response.status_code in (400, 422)
    detail = response.json()["detail"]
    if field:
        assert any(field in error["loc"] for error in detail)
    else:
        assert "JSON" in str(detail) or "parse" in str(detail).lower()
    assert _state(item) == before


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=abc", "limit=500", "offset=-1", "due=yesterday"]
)
def test_bad_list_parameters_are_422(db, rep, query):
    response = rep.get(f"/api/work-items?{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == query.split("=")[0]


def test_an_unknown_kind_filter_is_refused(db, rep):
    response = rep.get("/api/work-items?kind=claims")
    assert response.status_code == 422 and response.json()["field"] == "kind"


@pytest.mark.parametrize(
    ("assignee", "message"), [("pharmacist", "cannot work"), ("ghost", "No active user")]
)
def test_assigning_to_the_wrong_person_is_refused(users, make_item, api_client, assignee, message):
    item = make_item()
    before = _state(item)
    response = post_json(
        api_client("supervisor"), f"/api/work-items/{item.pk}/assign", {"assignee": assignee}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "assignee" and message in response.json()["detail"]
    assert _state(item) == before


@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=64)
@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("fax.pdf", PDF + b"0" * 100, "attachment_too_large"),
        ("fax.pdf", b"GIF89a", "attachment_type"),
    ],
)
def test_bad_attachments_are_422(users, make_item, rep, name, content, code):
    item = make_item()
    response = rep.post(
        f"/api/work-items/{item.pk}/attachments", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, "file")
    assert not Attachment.objects.exists()


def test_a_follow_up_in_the_past_is_refused(users, make_item, rep):
    item = make_item()
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = post_json(
        rep, f"/api/work-items/{item.pk}/follow-ups", {"remind_at": past, "message": "x"}
    )
    assert response.status_code == 422 and response.json()["field"] == "remind_at"


def test_out_of_scope_and_missing_items_are_the_same_404(users, make_item, api_client):
    item = make_item()
    pharmacist = api_client("pharmacist")
    hidden = pharmacist.get(f"/api/work-items/{item.pk}")
    missing = pharmacist.get(f"/api/work-items/{item.pk + 999}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(item.pk), "N") == missing.json()["detail"].replace(
        str(item.pk + 999), "N"
    )
    assert pharmacist.post("/api/queues/no-such-queue/claim-next").status_code == 404

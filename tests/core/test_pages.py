"""The work queue pages: sign-in, lists, htmx fragments, each action and its form errors,
downloads, the PHI access log, queue health, and the Django admin."""

import hashlib
import re
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
from tests.conftest import PASSWORD

HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def text(response) -> str:
    return response.content.decode()


def listed(response) -> list[int]:
    """The work item ids a list page shows, in order."""
    return [int(pk) for pk in re.findall(r'<a href="/work/(\d+)/">', text(response))]


def snapshot() -> tuple[object, ...]:
    return (
        list(
            WorkItem.objects.order_by("pk").values_list(
                "pk", "status", "assignee_id", "claimed_at", "closed_at"
            )
        ),
        list(TimelineEvent.objects.order_by("pk").values_list("pk", flat=True)),
        Note.objects.count(),
        Attachment.objects.count(),
        FollowUp.objects.count(),
    )


def tomorrow() -> str:
    return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def frozen_noon() -> Iterator[datetime]:
    with mock.patch("django.utils.timezone.now", return_value=NOON):
        yield NOON


# ---- signing in -----------------------------------------------------------------------------


def test_the_login_page_renders(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    page = text(response)
    assert 'name="username"' in page and 'name="password"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_signing_in_lands_on_my_work(users):
    client = Client()
    response = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(users["rep"].pk)
    page = client.get("/")
    assert page.status_code == 200 and "<h1>My work</h1>" in text(page)


def test_a_wrong_password_is_a_form_error(users):
    client = Client()
    response = client.post("/accounts/login/", {"username": "rep", "password": "not-it"})
    assert response.status_code == 200
    assert 'role="alert"' in text(response) and "correct username and password" in text(response)
    assert "_auth_user_id" not in client.session


def test_five_failed_sign_ins_lock_the_sixth_even_with_the_right_password(users):
    client = Client()
    for attempt in range(4):
        failed = client.post("/accounts/login/", {"username": "rep", "password": f"wrong{attempt}"})
        assert failed.status_code == 200, attempt
    client.post("/accounts/login/", {"username": "rep", "password": "wrong-again"})
    locked = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in text(locked)
    assert "_auth_user_id" not in client.session
    # The lock is for that username from that address: another user still signs in.
    other = Client()
    ok = other.post("/accounts/login/", {"username": "pharmacist", "password": PASSWORD})
    assert ok.status_code == 302 and other.session["_auth_user_id"] == str(users["pharmacist"].pk)


def test_signing_out_ends_the_session(users, client_for):
    client = client_for(users["rep"])
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    after = client.get("/")
    assert after.status_code == 302 and after["Location"] == "/accounts/login/?next=/"


# ---- My work ----------------------------------------------------------------------------------


def test_my_work_lists_my_open_items_soonest_first_with_overdue_marked(
    users, make_item, client_for
):
    later = make_item(title="Later one", due_in=timedelta(days=3))
    overdue = make_item(title="Overdue one", due_in=timedelta(hours=-2))
    soon = make_item(kind="welcome_call", title="Welcome call", due_in=timedelta(hours=2))
    closed = make_item(title="Closed one", due_in=timedelta(hours=-9))
    make_item(title="Nobody's", due_in=timedelta(hours=-30))
    theirs = make_item(title="Supervisor's", due_in=timedelta(hours=-40))
    for item in (later, overdue, closed):
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    # From another module, handed over by a supervisor.
    services.work_item_assign(actor=users["supervisor"], item_id=soon.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=closed.pk, to_status="cancelled")
    services.work_item_claim(actor=users["supervisor"], item_id=theirs.pk)

    response = client_for(users["rep"]).get("/")
    assert response.status_code == 200
    assert listed(response) == [overdue.pk, soon.pk, later.pk]
    rows = re.findall(r'<tr class="([^"]*)">\s*<td>(\d+)</td>', text(response))
    assert [(int(pk), "overdue" in css.split()) for css, pk in rows] == [
        (overdue.pk, True), (soon.pk, False), (later.pk, False),
    ]  # fmt: skip
    assert text(response).count('<span class="badge danger">overdue</span>') == 1


def test_my_work_answers_htmx_with_the_table_only(users, make_item, client_for):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    response = client_for(users["rep"]).get("/", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in text(response) and '<table class="items">' in text(response)
    assert listed(response) == [item.pk]


def test_my_work_with_nothing_assigned_says_so(users, make_item, client_for):
    make_item()
    response = client_for(users["rep"]).get("/")
    assert listed(response) == [] and "Nothing here." in text(response)


# ---- the work item list -----------------------------------------------------------------------


@pytest.fixture
def spread(frozen_noon, users, markets, make_item) -> dict[str, WorkItem]:
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


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["overdue", "today", "week", "later"]),
        ("queue=coverage-review", ["overdue", "today", "later"]),
        ("queue=group-administration", ["week"]),
        ("status=open", ["overdue", "today", "week", "later"]),
        ("status=cancelled", []),
        ("market=TX", ["today"]),
        ("market=SE", ["overdue"]),
        ("kind=callback", ["overdue"]),
        ("kind=task", ["today", "week", "later"]),
        ("assignee=rep", ["today"]),
        ("assignee=none", ["overdue", "week", "later"]),
        ("due=overdue", ["overdue"]),
        ("due=today", ["overdue", "today"]),
        ("due=week", ["overdue", "today", "week"]),
        ("due=later", ["later"]),
        ("queue=coverage-review&assignee=none&due=week", ["overdue"]),
    ],
)
def test_the_list_filters(spread, users, client_for, query, expected):
    response = client_for(users["supervisor"]).get(f"/work/?{query}")
    assert response.status_code == 200
    assert "<html" in text(response)
    assert listed(response) == [spread[name].pk for name in expected]


def test_the_list_answers_htmx_with_the_results_only(spread, users, client_for):
    response = client_for(users["supervisor"]).get("/work/?due=overdue", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in text(response) and "<form" not in text(response)
    assert listed(response) == [spread["overdue"].pk]


def test_the_list_shows_a_worker_only_their_queues(spread, users, client_for):
    response = client_for(users["rep"]).get("/work/")
    assert listed(response) == [spread[n].pk for n in ("overdue", "today", "later")]
    assert listed(client_for(users["groupadmin"]).get("/work/")) == [spread["week"].pk]


def test_a_queue_list_offers_claim_next_to_its_workers(users, make_item, client_for):
    make_item()
    rep_page = text(client_for(users["rep"]).get("/work/?queue=coverage-review"))
    assert 'action="/queues/coverage-review/claim-next"' in rep_page
    auditor_page = text(client_for(users["auditor"]).get("/work/?queue=coverage-review"))
    assert "claim-next" not in auditor_page


def test_the_list_is_paginated_fifty_to_a_page(users, make_item, client_for):
    made = [make_item(title=f"Item {n:02d}", due_in=timedelta(hours=n + 1)) for n in range(60)]
    client = client_for(users["rep"])
    first = client.get("/work/?queue=coverage-review")
    assert listed(first) == [item.pk for item in made[:50]]
    assert "Page 1 of 2 · 60 items" in text(first)
    assert "page=2" in text(first)
    second = client.get("/work/?queue=coverage-review&page=2")
    assert listed(second) == [item.pk for item in made[50:]]
    assert "Page 2 of 2 · 60 items" in text(second)
    # Pages beyond the last, or not numbers, fall back rather than fail.
    assert listed(client.get("/work/?queue=coverage-review&page=99")) == listed(second)
    assert listed(client.get("/work/?queue=coverage-review&page=x")) == listed(first)
    fragment = client.get("/work/?queue=coverage-review&page=2", headers=HTMX)
    assert "<html" not in text(fragment) and listed(fragment) == listed(second)


def test_my_work_is_paginated_too(users, make_item, client_for):
    for n in range(55):
        item = make_item(due_in=timedelta(hours=n + 1))
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    client = client_for(users["rep"])
    assert len(listed(client.get("/"))) == 50
    assert len(listed(client.get("/?page=2"))) == 5


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("due=someday", "due", "Select a valid choice. someday is not one of the available"),
        ("queue=nope", "queue", "Select a valid choice."),
        # A queue that exists, but not one a rep works, is not a choice either.
        ("queue=pharmacist-review", "queue", "Select a valid choice."),
        ("market=ZZ", "market", "Select a valid choice."),
        ("kind=claims", "kind", "Select a valid choice. claims is not one of the available"),
        ("status=granted", "status", "Select a valid choice. granted is not one of the"),
        ("assignee=" + "x" * 151, "assignee", "Ensure this value has at most 150 characters"),
    ],
)
def test_invalid_filters_are_a_400_form_error(users, make_item, client_for, query, field, message):
    make_item()
    response = client_for(users["rep"]).get(f"/work/?{query}")
    assert response.status_code == 400
    page = text(response)
    assert message in page
    errors = re.findall(r'<label for="id_(\w+)">.*?</label>(.*?)</div>', page, flags=re.S)
    assert [name for name, block in errors if 'role="alert"' in block] == [field]
    assert listed(response) == []


# ---- the item page and its actions ------------------------------------------------------------


def test_the_item_page_shows_the_item_and_its_timeline(users, make_item, client_for):
    item = make_item(title="Chase the chart note", due_in=timedelta(hours=-1))
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_transition(
        actor=users["rep"], item_id=item.pk, to_status="in_progress", reason="Faxed the office"
    )
    services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Office closed today")
    response = client_for(users["rep"]).get(f"/work/{item.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert 'id="work-item-panel"' in page and "<h1>Chase the chart note</h1>" in page
    assert '<span class="badge danger">overdue</span>' in page
    timeline = page[page.index('aria-label="Timeline"') :]
    summaries = re.findall(r'<span class="summary">(.*?)</span>', timeline)
    assert summaries == [
        "Task opened in Coverage Review", "Claimed by rep", "Open → In progress", "Note by rep",
    ]  # fmt: skip
    assert "Faxed the office" in timeline and "Office closed today" in timeline


def test_an_item_out_of_scope_is_404(users, make_item, client_for):
    item = make_item()
    client = client_for(users["pharmacist"])
    assert client.get(f"/work/{item.pk}/").status_code == 404
    assert client.get(f"/work/{item.pk + 1000}/").status_code == 404


def _action_setup(action: str, users: dict[str, Any], item: WorkItem) -> None:
    if action != "claim":
        services.work_item_claim(actor=users["rep"], item_id=item.pk)


def _action_data(action: str) -> dict[str, Any]:
    data: dict[str, dict[str, Any]] = {
        "claim": {},
        "assign": {"assignee": "supervisor"},
        "transition": {"status": "in_progress", "reason": "Started"},
        "notes": {"body": "Spoke to the office manager"},
        "attachments": {"file": SimpleUploadedFile("fax.pdf", PDF)},
        "follow-ups": {"remind_at": tomorrow(), "message": "Call again"},
    }
    return data[action]


# action -> (the timeline event it writes, text the refreshed panel shows)
ACTIONS = {
    "claim": ("claimed", "Claimed by rep"),
    "assign": ("assigned", "Assigned to supervisor by rep"),
    "transition": ("status_changed", "Open → In progress"),
    "notes": ("note_added", "Spoke to the office manager"),
    "attachments": ("attachment_added", "fax.pdf"),
    "follow-ups": ("follow_up_scheduled", "Call again"),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_works_with_and_without_htmx(users, make_item, client_for, action, htmx):
    item = make_item()
    _action_setup(action, users, item)
    client = client_for(users["rep"])
    response = client.post(
        f"/work/{item.pk}/{action}", _action_data(action), headers=HTMX if htmx else {}
    )
    event, shown = ACTIONS[action]
    if htmx:
        assert response.status_code == 200, text(response)[:500]
        fragment = text(response)
        assert fragment.lstrip().startswith('<article id="work-item-panel"')
        assert "<html" not in fragment and shown in fragment
    else:
        assert response.status_code == 302, text(response)[:500]
        assert response["Location"] == f"/work/{item.pk}/"
        followed = client.get(response["Location"])
        assert shown in text(followed) and 'class="success"' in text(followed)
    assert item.timeline.order_by("pk").last().event == event


def test_actions_change_the_item(users, make_item, client_for):
    item = make_item()
    client = client_for(users["rep"])
    client.post(f"/work/{item.pk}/claim")
    client.post(f"/work/{item.pk}/transition", {"status": "in_progress"})
    client.post(f"/work/{item.pk}/notes", {"body": "Called"})
    client.post(f"/work/{item.pk}/attachments", {"file": SimpleUploadedFile("fax.pdf", PDF)})
    client.post(f"/work/{item.pk}/follow-ups", {"remind_at": tomorrow(), "message": "Again"})
    item.refresh_from_db()
    assert (item.assignee, item.status) == (users["rep"], "in_progress")
    assert [n.body for n in item.notes.all()] == ["Called"]
    assert [a.sha256 for a in item.attachments.all()] == [hashlib.sha256(PDF).hexdigest()]
    assert [(f.owner, f.message) for f in item.follow_ups.all()] == [(users["rep"], "Again")]
    client.post(f"/work/{item.pk}/assign", {"assignee": ""})
    item.refresh_from_db()
    assert item.assignee is None


def test_claim_next_on_the_page_takes_the_item_due_first(users, make_item, client_for):
    make_item(due_in=timedelta(hours=5))
    first = make_item(due_in=timedelta(hours=1))
    response = client_for(users["rep"]).post("/queues/coverage-review/claim-next")
    assert response.status_code == 302 and response["Location"] == f"/work/{first.pk}/"
    first.refresh_from_db()
    assert first.assignee == users["rep"]


def test_claim_next_on_an_empty_queue_says_so(users, queues, client_for):
    client = client_for(users["rep"])
    response = client.post("/queues/coverage-review/claim-next")
    assert response.status_code == 302
    assert response["Location"] == "/work/?queue=coverage-review"
    assert "Nothing is waiting in Coverage Review." in text(client.get(response["Location"]))


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# name: (state of the item, action, form data, status, message); files are built per test
# (an upload is read once).
BAD_ACTIONS: dict[str, tuple[str, str, dict[str, Any], int, str]] = {
    "disallowed transition": (
        "held by rep",
        "transition",
        {"status": "done"},
        400,
        "Select a valid choice. done is not one of the available choices.",
    ),
    "unknown status": (
        "held by rep",
        "transition",
        {"status": "approved"},
        400,
        "Select a valid choice. approved is not one of the available choices.",
    ),
    "transition of a closed item": (
        "closed",
        "transition",
        {"status": "in_progress"},
        400,
        "Select a valid choice. in_progress is not one of the available choices.",
    ),
    "transition not held": (
        "held by supervisor",
        "transition",
        {"status": "in_progress"},
        409,
        "is held by supervisor: claim it first.",
    ),
    "claim held": ("held by supervisor", "claim", {}, 409, "is already held by supervisor."),
    "claim closed": ("closed", "claim", {}, 409, "is closed (Cancelled)."),
    "empty note": ("held by rep", "notes", {"body": "  "}, 400, "This field is required."),
    "no note": ("held by rep", "notes", {}, 400, "This field is required."),
    "oversize attachment": (
        "held by rep",
        "attachments",
        {"file": ("fax.pdf", PDF + b"0" * 64)},
        422,
        "fax.pdf is larger than the 32-byte limit.",
    ),
    "wrong-type attachment": (
        "held by rep",
        "attachments",
        {"file": ("fax.pdf", b"GIF89a;")},
        422,
        "fax.pdf is named .pdf but its content is image/gif.",
    ),
    "unaccepted attachment": (
        "held by rep",
        "attachments",
        {"file": ("tool.exe", b"MZ\x90\x00")},
        422,
        "tool.exe: .exe not accepted",
    ),
    "empty attachment": (
        "held by rep",
        "attachments",
        {"file": ("fax.pdf", b"")},
        400,
        "The submitted file is empty.",
    ),
    "no attachment": ("held by rep", "attachments", {}, 400, "This field is required."),
    "follow-up in the past": (
        "held by rep",
        "follow-ups",
        {"remind_at": "2020-01-01T09:00", "message": "Too late"},
        400,
        "Choose a time in the future.",
    ),
    "follow-up not a time": (
        "held by rep",
        "follow-ups",
        {"remind_at": "next tuesday", "message": "When?"},
        400,
        "Enter a valid date/time.",
    ),
    "follow-up on a closed item": (
        "closed",
        "follow-ups",
        {"remind_at": "2099-01-01T09:00", "message": "Later"},
        409,
        "is closed (Cancelled).",
    ),
    "ineligible assignee": (
        "held by rep",
        "assign",
        {"assignee": "pharmacist"},
        400,
        "Select a valid choice. That choice is not one of the available choices.",
    ),
    "assign a closed item": ("closed", "assign", {"assignee": ""}, 409, "is closed (Cancelled)."),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("case", sorted(BAD_ACTIONS))
@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=32)
def test_bad_input_is_a_form_error_and_changes_nothing(users, make_item, client_for, case, htmx):
    state, action, data, status, message = BAD_ACTIONS[case]
    item = make_item()
    holder = users["supervisor"] if state == "held by supervisor" else users["rep"]
    services.work_item_claim(actor=holder, item_id=item.pk)
    if state == "closed":
        services.work_item_transition(actor=holder, item_id=item.pk, to_status="cancelled")
    form = {k: _file(*v) if isinstance(v, tuple) else v for k, v in data.items()}
    before = snapshot()
    response = client_for(users["rep"]).post(
        f"/work/{item.pk}/{action}", form, headers=HTMX if htmx else {}
    )
    assert response.status_code == status
    page = text(response)
    alerts = re.findall(r'role="alert">([^<]*)<', page)
    assert any(message in alert for alert in alerts), alerts
    assert 'id="work-item-panel"' in page
    assert ("<html" in page) is not htmx
    assert snapshot() == before


REFUSAL_VERBS = {
    "claim": "claim",
    "assign": "assign",
    "transition": "transition",
    "notes": "note",
    "attachments": "attach",
    "follow-ups": "follow up",
}


def test_an_auditor_sees_the_item_but_every_action_is_refused(users, make_item, client_for):
    item = make_item()
    client = client_for(users["auditor"])
    page = text(client.get(f"/work/{item.pk}/"))
    assert "Claim</button>" not in page and "Add note</button>" not in page
    before = snapshot()
    for action in ACTIONS:
        response = client.post(f"/work/{item.pk}/{action}", _action_data(action), headers=HTMX)
        assert response.status_code == 403, action
        alerts = re.findall(r'role="alert">([^<]*)<', text(response))
        assert alerts == [f"You may not {REFUSAL_VERBS[action]} work item #{item.pk}."], action
    assert snapshot() == before


# ---- downloads and the PHI access log ------------------------------------------------------


def test_downloading_an_attachment_returns_its_bytes_and_logs_a_phi_item(
    users, make_item, client_for
):
    item = make_item(kind="callback")
    content = b"%PDF-1.4\nsigned form\n%%EOF\n"
    attachment = services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile("form.pdf", content)
    )
    response = client_for(users["rep"]).get(
        f"/work/{item.pk}/attachments/{attachment.pk}", REMOTE_ADDR="10.4.4.4"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="form.pdf"'
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.action, entry.channel, entry.record_id, entry.ip_address) == (
        users["rep"], "download", "web", str(item.pk), "10.4.4.4",
    )  # fmt: skip


def test_downloading_from_a_non_phi_item_is_not_logged(users, make_item, client_for):
    item = make_item(kind="task")
    attachment = services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile("fax.pdf", PDF)
    )
    response = client_for(users["rep"]).get(f"/work/{item.pk}/attachments/{attachment.pk}")
    assert b"".join(response.streaming_content) == PDF
    assert not AccessLogEntry.objects.exists()


def test_an_attachment_is_only_reachable_through_its_own_item(users, make_item, client_for):
    item, other = make_item(kind="callback"), make_item(kind="callback")
    attachment = services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile("fax.pdf", PDF)
    )
    client = client_for(users["rep"])
    assert client.get(f"/work/{other.pk}/attachments/{attachment.pk}").status_code == 404
    assert (
        client_for(users["pharmacist"])
        .get(f"/work/{item.pk}/attachments/{attachment.pk}")
        .status_code
        == 404
    )
    assert AccessLogEntry.objects.filter(action="download").count() == 0


def test_viewing_a_phi_item_page_writes_the_access_log(users, make_item, client_for):
    item = make_item(kind="callback")
    response = client_for(users["auditor"]).get(
        f"/work/{item.pk}/", REMOTE_ADDR="10.1.2.3", headers={"User-Agent": "Firefox"}
    )
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.username, entry.action, entry.channel) == (
        users["auditor"], "auditor", "view", "web",
    )  # fmt: skip
    assert (entry.record_type, entry.record_id, entry.ip_address, entry.path) == (
        "work_item", str(item.pk), "10.1.2.3", f"/work/{item.pk}/",
    )  # fmt: skip
    assert entry.user_agent == "Firefox"


def test_viewing_a_non_phi_item_page_writes_no_access_log(users, make_item, client_for):
    item = make_item(kind="task")
    assert client_for(users["rep"]).get(f"/work/{item.pk}/").status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_a_refused_view_of_a_phi_item_page_writes_no_access_log(users, make_item, client_for):
    item = make_item(kind="callback")
    assert client_for(users["pharmacist"]).get(f"/work/{item.pk}/").status_code == 404
    assert not AccessLogEntry.objects.exists()


# ---- queues and queue health ------------------------------------------------------------------


def test_the_queue_list_shows_open_counts_and_claim_next_for_workers(users, make_item, client_for):
    make_item()
    make_item()
    make_item("pharmacist")
    page = text(client_for(users["rep"]).get("/queues/"))
    rows = re.findall(r'\?queue=([\w-]+)">.*?<td>(\d+)</td>', page, flags=re.S)
    assert rows == [("coverage-review", "2")]
    assert 'aria-label="Claim next in Coverage Review"' in page
    supervisor = text(client_for(users["supervisor"]).get("/queues/"))
    counts = re.findall(r'\?queue=([\w-]+)">.*?<td>(\d+)</td>', supervisor, flags=re.S)
    assert dict(counts) == {
        "coverage-review": "2", "group-administration": "0", "pharmacist-review": "1",
    }  # fmt: skip


def test_queue_health_counts_by_queue_and_market_with_a_chart(
    frozen_noon, users, markets, make_item, client_for
):
    make_item(market=markets["TX"], due_in=timedelta(hours=-1))
    held = make_item(market=markets["TX"], due_in=timedelta(hours=2))
    services.work_item_claim(actor=users["rep"], item_id=held.pk)
    make_item(market=markets["TX"], due_in=timedelta(days=4))
    make_item(due_in=timedelta(days=4))
    make_item("groups", market=markets["TRI"], due_in=timedelta(hours=-3))
    response = client_for(users["supervisor"]).get("/health/")
    assert response.status_code == 200
    page = text(response)
    cells = re.findall(
        r'\?queue=[\w-]+">([^<]+)</a></td><td>([^<]+)</td>'
        r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
        page,
    )
    assert cells == [
        # queue, market, open, due today, overdue, unassigned
        ("Coverage Review", "National", "1", "0", "0", "1"),
        ("Coverage Review", "Texas", "3", "1", "1", "2"),
        ("Group Administration", "Tri-State", "1", "0", "1", "1"),
    ]
    assert "<svg" in page
    assert "Coverage Review: 1 overdue, 1 due today, 2 later." in page
    assert "Group Administration: 1 overdue, 0 due today, 0 later." in page
    totals = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)
    assert totals == [("Open", "5"), ("Due today", "1"), ("Overdue", "2"), ("Unassigned", "4")]


def test_queue_health_is_for_supervisors_and_auditors(users, client_for):
    for role in ("auditor", "supervisor", "admin"):
        assert client_for(users[role]).get("/health/").status_code == 200, role
    for role in ("rep", "pharmacist", "groupadmin", "salesadmin", "coordinator"):
        assert client_for(users[role]).get("/health/").status_code == 403, role


# ---- CSRF ------------------------------------------------------------------------------------


def test_posts_need_the_csrf_token_the_pages_carry(users, make_item):
    item = make_item()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["rep"])
    before = snapshot()
    assert client.post(f"/work/{item.pk}/claim").status_code == 403
    assert snapshot() == before
    page = text(client.get(f"/work/{item.pk}/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    claimed = client.post(f"/work/{item.pk}/claim", {"csrfmiddlewaretoken": token.group(1)})
    assert claimed.status_code == 302
    # htmx sends the token as a header, from the body's hx-headers.
    header = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert header is not None
    noted = client.post(
        f"/work/{item.pk}/notes",
        {"body": "Through htmx"},
        headers={**HTMX, "X-CSRFToken": header.group(1)},
    )
    assert noted.status_code == 200


# ---- the Django admin ------------------------------------------------------------------------


@pytest.fixture
def admin_client(users, client_for) -> Client:
    admin = users["admin"]
    admin.is_staff = True
    admin.save()
    return client_for(admin)


@pytest.mark.parametrize(
    "model",
    ["market", "segment", "team", "queue", "slapolicy", "user", "apitoken", "accesslogentry"],
)
def test_the_admin_manages_reference_data(admin_client, queues, model):
    changelist = admin_client.get(f"/admin/core/{model}/")
    assert changelist.status_code == 200
    add = admin_client.get(f"/admin/core/{model}/add/")
    # The access log is read-only: no one adds to it by hand.
    assert add.status_code == (403 if model == "accesslogentry" else 200)


def test_the_admin_edits_a_queue(admin_client, queues):
    queue = queues["coverage"]
    response = admin_client.post(
        f"/admin/core/queue/{queue.pk}/change/",
        {
            "name": "Coverage Review (national)",
            "slug": queue.slug,
            "description": "",
            "team": "",
            "sla_policy": queue.sla_policy_id,
            "worker_roles": list(queue.worker_roles.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 302, text(response)[:2000]
    queue.refresh_from_db()
    assert queue.name == "Coverage Review (national)"


def _issue_through_admin(client: Client, user_pk: int, **extra: str):
    data = {"user": user_pk, "name": "Fax server", "expires_at_0": "", "expires_at_1": ""}
    return client.post("/admin/core/apitoken/add/", {**data, **extra}, follow=True)


def test_the_admin_issues_a_token_shown_once_and_stores_only_its_hash(admin_client, users):
    response = _issue_through_admin(admin_client, users["rep"].pk)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    raw = re.search(r"(pd_[\w-]+)", shown[0])
    assert raw is not None
    token = ApiToken.objects.get(name="Fax server")
    assert token.user == users["rep"] and token.created_by == users["admin"]
    assert token.key_hash == hashlib.sha256(raw.group(1).encode()).hexdigest()
    assert token.prefix == raw.group(1)[:10]
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert raw.group(1) not in stored
    # Never shown again.
    for url in ("/admin/core/apitoken/", f"/admin/core/apitoken/{token.pk}/change/"):
        assert raw.group(1) not in text(admin_client.get(url))
    api = Client(headers={"Authorization": f"Bearer {raw.group(1)}"})
    assert api.get("/api/work-items").status_code == 200


def test_a_token_expiry_in_the_past_is_a_form_error_in_the_admin(admin_client, users):
    response = _issue_through_admin(
        admin_client, users["rep"].pk, expires_at_0="2020-01-01", expires_at_1="09:00:00"
    )
    assert response.status_code == 200
    assert "The expiry must be in the future." in text(response)
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_tokens(admin_client, users):
    token, raw = services.api_token_issue(actor=None, user=users["rep"], name="laptop")
    keep, kept_raw = services.api_token_issue(actor=None, user=users["rep"], name="server")
    response = admin_client.post(
        "/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in text(response)
    token.refresh_from_db()
    keep.refresh_from_db()
    assert token.revoked_at is not None and keep.revoked_at is None
    refused = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/work-items")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    kept = Client(headers={"Authorization": f"Bearer {kept_raw}"}).get("/api/work-items")
    assert kept.status_code == 200


def test_tokens_are_never_deleted_in_the_admin(admin_client, users):
    token, _ = services.api_token_issue(actor=None, user=users["rep"], name="laptop")
    assert admin_client.get(f"/admin/core/apitoken/{token.pk}/delete/").status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_form_too_large_is_a_413_page_and_other_bad_requests_stay_a_400(
    users, make_item, client_for, settings
):
    item = make_item()
    client = client_for(users["rep"])
    notes = f"/work/{item.pk}/notes"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    too_big = client.post(notes, {"text": "x" * 2000})
    assert too_big.status_code == 413
    assert b"The request body is larger than the 1,024-byte limit." in too_big.content
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    too_many = client.post(notes, {f"field{n}": "x" for n in range(10)})
    assert too_many.status_code == 400 and b"Too large" not in too_many.content
    assert not item.timeline.filter(event="note_added").exists()

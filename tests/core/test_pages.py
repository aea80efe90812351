"""The work queue pages: lists, htmx fragments, actions and their form errors, sign-in."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import AccessLogEntry, ApiToken, WorkItem
from tests.conftest import PASSWORD

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.content.decode()


def test_sign_in_lands_on_my_work(users):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "rep", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "My work" in text(response)


def test_five_failed_sign_ins_lock_the_account(users):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "rep", "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"username": "rep", "password": PASSWORD})
    assert locked.status_code == 429 or locked.status_code == 403
    assert "locked" in text(locked).lower()
    assert "_auth_user_id" not in client.session


def test_my_work_is_mine_open_and_soonest_first(users, make_item, client_for):
    later = make_item(title="Later one", due_in=timedelta(days=3))
    overdue = make_item(title="Overdue one", due_in=timedelta(hours=-2))
    make_item(title="Someone else's")
    for item in (later, overdue):
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    page = text(client_for(users["rep"]).get("/"))
    assert page.index("Overdue one") < page.index("Later one")
    assert "Someone else" not in page
    assert 'class="overdue' in page and "overdue</span>" in page


def test_the_list_filters_and_answers_htmx_with_the_results_only(
    users, markets, make_item, client_for
):
    make_item(title="Texas work", market=markets["TX"])
    make_item(title="Southeast work", market=markets["SE"], due_in=timedelta(hours=-1))
    client = client_for(users["supervisor"])
    full = client.get("/work/?market=TX")
    assert "<html" in text(full) and "Texas work" in text(full)
    assert "Southeast work" not in text(full)
    fragment = client.get("/work/?due=overdue", headers=HTMX)
    assert "<html" not in text(fragment)
    assert "Southeast work" in text(fragment) and "Texas work" not in text(fragment)


def test_bad_filters_are_a_form_error(users, client_for):
    response = client_for(users["supervisor"]).get("/work/?due=someday&queue=nope")
    assert response.status_code == 400
    assert "Select a valid choice" in text(response)


def test_the_list_is_paginated(users, make_item, client_for):
    for n in range(55):
        make_item(title=f"Item {n:02d}", due_in=timedelta(hours=n + 1))
    client = client_for(users["rep"])
    first = text(client.get("/work/?queue=coverage-review"))
    second = text(client.get("/work/?queue=coverage-review&page=2"))
    assert "Page 1 of 2" in first and "Item 49" in first and "Item 50" not in first
    assert "Item 50" in second and "Item 54" in second


@pytest.mark.parametrize("htmx", [False, True])
def test_actions_work_with_and_without_htmx(users, make_item, client_for, htmx):
    item = make_item()
    client = client_for(users["rep"])
    headers = HTMX if htmx else {}
    url = f"/work/{item.pk}"
    soon = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    steps = [
        ("claim", {}),
        ("transition", {"status": "in_progress", "reason": ""}),
        ("notes", {"body": "Spoke to the office manager"}),
        ("attachments", {"file": SimpleUploadedFile("fax.pdf", b"%PDF-1.4\n%%EOF")}),
        ("follow-ups", {"remind_at": soon, "message": "Call again"}),
        ("assign", {"assignee": ""}),
    ]
    for action, data in steps:
        response = client.post(f"{url}/{action}", data, headers=headers)
        if htmx:
            assert response.status_code == 200, (action, text(response)[:300])
            assert 'id="work-item-panel"' in text(response) and "<html" not in text(response)
        else:
            assert response.status_code == 302, (action, text(response)[:300])
    events = list(WorkItem.objects.get(pk=item.pk).timeline.values_list("event", flat=True))
    assert events == [
        "created", "claimed", "status_changed", "note_added", "attachment_added",
        "follow_up_scheduled", "released",
    ]  # fmt: skip


def _events(item: WorkItem) -> int:
    return WorkItem.objects.get(pk=item.pk).timeline.count()


@pytest.mark.parametrize(
    ("action", "data", "status", "message"),
    [
        ("transition", {"status": "done"}, 400, "Select a valid choice"),
        ("notes", {"body": "   "}, 400, "This field is required"),
        ("attachments", {"file": SimpleUploadedFile("x.exe", b"MZ")}, 422, "not accepted"),
        ("attachments", {"file": SimpleUploadedFile("x.pdf", b"GIF89a")}, 422, "named .pdf"),
        ("follow-ups", {"remind_at": "2020-01-01T09:00", "message": "x"}, 400, "in the future"),
        ("assign", {"assignee": "pharmacist"}, 400, "Select a valid choice"),
    ],
)
def test_bad_actions_show_a_form_error_and_change_nothing(
    users, make_item, client_for, action, data, status, message
):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    before = _events(item)
    response = client_for(users["rep"]).post(f"/work/{item.pk}/{action}", data, headers=HTMX)
    assert response.status_code == status
    assert message in text(response)
    assert 'role="alert"' in text(response)
    assert _events(item) == before


def test_claiming_an_item_someone_holds_names_them(users, make_item, client_for):
    item = make_item()
    services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    response = client_for(users["rep"]).post(f"/work/{item.pk}/claim")
    assert response.status_code == 409
    assert "already held by supervisor" in text(response)


@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=32)
def test_an_oversized_attachment_is_refused_on_the_page(users, make_item, client_for):
    item = make_item()
    big = SimpleUploadedFile("fax.pdf", b"%PDF-1.4\n" + b"0" * 64)
    response = client_for(users["rep"]).post(f"/work/{item.pk}/attachments", {"file": big})
    assert response.status_code == 422 and "larger than" in text(response)


def test_downloading_a_phi_attachment_is_logged(users, make_item, client_for):
    item = make_item(kind="callback")
    content = b"%PDF-1.4\nsigned form\n%%EOF"
    attachment = services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile("form.pdf", content)
    )
    response = client_for(users["rep"]).get(f"/work/{item.pk}/attachments/{attachment.pk}")
    assert b"".join(response.streaming_content) == content
    assert AccessLogEntry.objects.filter(action="download", record_id=str(item.pk)).count() == 1


def test_queue_health_counts_and_charts(users, markets, make_item, client_for):
    make_item(market=markets["TX"], due_in=timedelta(hours=-1))
    make_item(market=markets["TX"], due_in=timedelta(days=4))
    make_item("groups", market=markets["TRI"], due_in=timedelta(days=4))
    page = text(client_for(users["supervisor"]).get("/health/"))
    assert "<svg" in page and "Coverage Review: 1 overdue, 0 due today, 1 later." in page
    assert "Texas" in page and "Tri-State" in page


def test_the_admin_issues_a_token_once_and_revokes_it(users, client_for):
    admin = users["admin"]
    admin.is_staff = True
    admin.save()
    client = client_for(admin)
    response = client.post(
        "/admin/core/apitoken/add/",
        {"user": users["rep"].pk, "name": "Fax server", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    token = ApiToken.objects.get(name="Fax server")
    shown = next(str(m) for m in response.context["messages"] if "copy it now" in str(m))
    raw = shown.split(": ", 1)[1].split(" ")[0]
    assert services.api_token_authenticate(raw) == users["rep"]
    assert raw not in token.key_hash and token.prefix == raw[:10]
    client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None

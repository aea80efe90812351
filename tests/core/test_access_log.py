"""The access log for auditors: a page, a CSV export and GET /api/access-log, with the same
filters; each look at the log is itself written to the log."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payerdesk.core import selectors
from payerdesk.core.errors import InvalidInput
from payerdesk.core.models import AccessLogEntry, User
from payerdesk.core.views import PAGE_SIZE

LOG = reverse("core:access-log")
CSV = reverse("core:access-log-csv")


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.get_current_timezone())


def _entry(user: User, record_type: str, record_id: str, at: datetime, **extra: str):
    return AccessLogEntry.objects.create(
        user=user, username=user.username, action="view", channel="web",
        record_type=record_type, record_id=record_id, at=at, path="/somewhere/", **extra,
    )  # fmt: skip


@pytest.fixture
def entries(users) -> None:
    _entry(users["rep"], "work_item", "7", _at(2))
    _entry(users["rep"], "member", "41", _at(3, 9))
    _entry(users["pharmacist"], "member", "41", _at(3, 23))
    _entry(users["pharmacist"], "prior_auth_request", "12", _at(5))


def _own_views(user: User) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(user=user, record_type="access_log"))


def _rows(response) -> list[tuple[str, str, str]]:
    page = response.context["page"]
    return [(e.username, e.record_type, e.record_id) for e in page if e.record_type != "access_log"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "PHARMACIST"}, [("pharmacist", "prior_auth_request", "12"),
                                  ("pharmacist", "member", "41")]),
        ({"record_type": "member", "record_id": "41"}, [("pharmacist", "member", "41"),
                                                        ("rep", "member", "41")]),
        # Both days included, whole days in the server's time zone (23:00 counts).
        ({"date_from": "2026-11-03", "date_to": "2026-11-03"}, [("pharmacist", "member", "41"),
                                                                ("rep", "member", "41")]),
        ({"date_from": "11/04/2026"}, [("pharmacist", "prior_auth_request", "12")]),
        ({"date_to": "2026-11-02"}, [("rep", "work_item", "7")]),
        ({"user": "nobody"}, []),
    ],
)  # fmt: skip
def test_the_page_filters_and_shows_newest_first(query, expected, entries, users, client_for):
    response = client_for(users["auditor"]).get(LOG, {**query, "date_to": query.get(
        "date_to", "2026-11-30")})  # fmt: skip
    assert response.status_code == 200
    assert _rows(response) == expected


def test_each_view_of_the_log_is_itself_logged(entries, users, client_for, api_client):
    auditor = users["auditor"]
    client_for(auditor).get(LOG, {"user": "rep", "date_from": "2026-11-01"})
    client_for(auditor).get(CSV, {"record_type": "member"})
    api_client("auditor").get("/api/access-log", {"record_id": "41"})
    logged = [(e.action, e.channel, e.record_id, e.path) for e in _own_views(auditor)]
    assert sorted(logged) == sorted([
        ("view", "web", "user=rep;from=2026-11-01", LOG),
        ("export", "web", "type=member", CSV),
        ("view", "api", "id=41", "/api/access-log"),
    ])  # fmt: skip


def test_the_page_shows_its_own_view(users, client_for):
    response = client_for(users["supervisor"]).get(LOG)
    assert [(e.username, e.record_type, e.record_id) for e in response.context["page"]] == [
        ("supervisor", "access_log", "all")
    ]


def test_the_page_is_paginated_and_keeps_the_filters(users, client_for):
    for index in range(PAGE_SIZE + 5):
        _entry(users["rep"], "member", str(index), _at(10) + timedelta(minutes=index))
    client = client_for(users["auditor"])
    first = client.get(LOG, {"user": "rep"})
    assert len(first.context["page"]) == PAGE_SIZE
    assert "user=rep&amp;page=2" in first.content.decode()
    second = client.get(LOG, {"user": "rep", "page": 2})
    assert [e.record_id for e in second.context["page"]] == ["4", "3", "2", "1", "0"]


BAD_DATES = [
    ({"date_from": "2026-13-01"}, "date_from", "'2026-13-01' is not a date"),
    ({"date_to": "yesterday"}, "date_to", "'yesterday' is not a date"),
    ({"date_from": "2026-11-05", "date_to": "2026-11-01"}, "date_to", "ends (2026-11-01) before"),
]


@pytest.mark.parametrize(("query", "field", "message"), BAD_DATES)
def test_bad_dates_are_refused_by_field_and_nothing_is_logged(
    query, field, message, users, client_for, api_client
):
    client = client_for(users["auditor"])
    for url in (LOG, CSV):
        response = client.get(url, query)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == [field] and message in errors[field][0]
    response = api_client("auditor").get("/api/access-log", query)
    assert response.status_code == 422
    assert response.json()["field"] == field and message in response.json()["detail"]
    assert _own_views(users["auditor"]) == []


def test_the_csv_holds_the_filtered_rows_and_defuses_formulas(entries, users, client_for):
    _entry(users["rep"], "member", "41", _at(4), user_agent='=HYPERLINK("x")')
    response = client_for(users["auditor"]).get(
        CSV, {"record_type": "member", "date_to": "2026-11-30"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="access-log.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "user", "action", "channel", "record_type", "record_id",
                       "ip_address", "user_agent", "path"]  # fmt: skip
    assert [(row[1], row[5], row[7]) for row in rows[1:]] == [
        ("rep", "41", "'=HYPERLINK(\"x\")"), ("pharmacist", "41", ""), ("rep", "41", ""),
    ]  # fmt: skip
    assert rows[1][0] == timezone.localtime(_at(4)).isoformat()


def test_the_api_filters_pages_and_names_the_user(entries, users, api_client):
    response = api_client("supervisor").get(
        "/api/access-log", {"record_type": "member", "limit": 1, "offset": 1}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (2, 1, 1)
    assert [(e["user"], e["record_id"], e["path"]) for e in body["entries"]] == [
        ("rep", "41", "/somewhere/")
    ]


@pytest.mark.parametrize("role", ["rep", "coordinator", "employer"])
def test_others_are_refused_and_their_attempt_is_not_logged(role, users, client_for, api_client):
    assert client_for(users[role]).get(LOG).status_code == 403
    assert api_client(role).get("/api/access-log").status_code == 403
    assert not AccessLogEntry.objects.filter(record_type="access_log").exists()


def test_the_filter_is_validated_once_for_every_door():
    with pytest.raises(InvalidInput) as refused:
        selectors.access_log_filter(date_from="31/12/2026")
    assert refused.value.field == "date_from"
    filters = selectors.access_log_filter(username=" rep ", date_from="12/01/2026")
    assert (filters.username, filters.date_from) == ("rep", date(2026, 12, 1))

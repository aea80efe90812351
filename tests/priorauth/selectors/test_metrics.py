"""Turnaround metrics: counts, shares and mean/median time to decision (from the clock's
start) by urgency for a date range, the page with its chart, the CSV, and bad ranges
refused."""

import csv
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.selectors.metrics import CSV_HEADER, turnaround_report
from payerdesk.priorauth.services.requests import (
    prior_auth_approve,
    prior_auth_deny,
    prior_auth_statement_add,
)
from tests.priorauth.conftest import BRAND_X, FALLS_SHORT

DAY = date(2026, 3, 10)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def place(
    request: PriorAuthRequest,
    received: datetime,
    decided_after: timedelta | None,
    *,
    clock_after: timedelta | None = timedelta(),
) -> None:
    """Move a request to the report's period (test setup: the clock cannot be replayed).
    Its clock starts `clock_after` its receipt (None: not started), and it is decided
    `decided_after` its clock's start."""
    clock = None if clock_after is None else received + clock_after
    decided = None if clock is None or decided_after is None else clock + decided_after
    PriorAuthRequest.objects.filter(pk=request.pk).update(
        received_at=received, clock_start=clock, decided_at=decided
    )


@pytest.fixture
def period(submit, users):
    """Six requests on DAY and one outside: standard 2 auto-approved (1 h, 3 h), one approved
    by a pharmacist (30 h), one denied (50 h); expedited one auto (2 h) and one open."""
    pharmacist = users["pharmacist"]
    auto1, auto2, expedited_auto = submit(), submit(), submit(urgency="expedited")
    reviewed, denied = submit(FALLS_SHORT), submit(FALLS_SHORT)
    still_open = submit(FALLS_SHORT, urgency="expedited")
    outside = submit()
    prior_auth_approve(actor=pharmacist, request_id=reviewed.pk)
    prior_auth_deny(
        actor=pharmacist, request_id=denied.pk, reason="A1c 6.2% is below the 7% required."
    )
    place(auto1, at(DAY, 9), timedelta(hours=1))
    place(auto2, at(DAY, 10), timedelta(hours=3))
    place(reviewed, at(DAY, 11), timedelta(hours=30))
    place(denied, at(DAY, 12), timedelta(hours=50))
    place(expedited_auto, at(DAY, 13), timedelta(hours=2))
    place(still_open, at(DAY, 14), None)
    place(outside, at(DAY + timedelta(days=1), 0), timedelta(hours=5))


def test_report_counts_shares_and_times_by_urgency(period):
    report = turnaround_report(start=DAY, end=DAY)
    standard, expedited, total = report.rows
    assert (standard.label, expedited.label, total.label) == (
        "Standard",
        "Expedited",
        "All requests",
    )
    assert (standard.received, standard.approved_automatically, standard.approved_after_review,
            standard.denied, standard.open) == (4, 2, 1, 1, 0)  # fmt: skip
    assert (standard.approved_automatically_pct, standard.approved_after_review_pct,
            standard.denied_pct) == (50.0, 25.0, 25.0)  # fmt: skip
    assert standard.mean_hours == 21.0  # (1 + 3 + 30 + 50) / 4
    assert standard.median_hours == 16.5  # (3 + 30) / 2
    assert (expedited.received, expedited.approved_automatically, expedited.open) == (2, 1, 1)
    assert (expedited.mean_hours, expedited.median_hours) == (2.0, 2.0)
    assert (total.received, total.decided, total.open_pct) == (6, 5, round(100 / 6, 1))
    assert total.median_hours == 3.0  # 1, 2, 3, 30, 50


def test_a_range_holds_both_ends_and_an_empty_range_has_no_times(period):
    two_days = turnaround_report(start=DAY, end=DAY + timedelta(days=1))
    assert two_days.rows[2].received == 7
    empty = turnaround_report(start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert all(row.received == 0 and row.mean_hours is None for row in empty.rows)
    assert empty.rows[0].denied_pct is None
    with pytest.raises(ValueError, match="before the start"):
        turnaround_report(start=DAY, end=DAY - timedelta(days=1))


def test_page_shows_the_table_and_the_chart(period, users, client_for):
    response = client_for(users["supervisor"]).get(
        reverse("priorauth:metrics"), {"start": DAY.isoformat(), "end": DAY.isoformat()}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "2 approved automatically, 1 approved after review" in page
    assert "50.0%" in page and "16.5" in page
    assert f"start={DAY.isoformat()}&amp;end={DAY.isoformat()}" in page  # the CSV link
    # Without a range, the last 30 days.
    assert client_for(users["auditor"]).get(reverse("priorauth:metrics")).status_code == 200


def test_csv_has_a_row_per_urgency_and_the_total(period, users, client_for):
    response = client_for(users["admin"]).get(
        reverse("priorauth:metrics-csv"), {"start": DAY.isoformat(), "end": DAY.isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "pa-turnaround-2026-03-10-2026-03-10.csv" in response["Content-Disposition"]
    rows = list(csv.reader(response.content.decode().splitlines()))
    assert rows[0] == CSV_HEADER
    assert rows[1] == ["2026-03-10", "2026-03-10", "Standard", "4", "2", "50.0", "1", "25.0",
                       "1", "25.0", "0", "4", "21.0", "16.5"]  # fmt: skip
    assert [row[2] for row in rows[1:]] == ["Standard", "Expedited", "All requests"]


EXCEPTION_DAY = date(2026, 3, 20)


@pytest.fixture
def exceptions(submit, users):
    """On EXCEPTION_DAY: a non-formulary exception received at 9:00 whose supporting
    statement arrived the next day at 9:00 and was approved 6 hours later; a prior
    authorization received at 10:00 and approved 2 hours later; and an exception still
    waiting for its statement (no clock start, open)."""
    exception = submit({}, drug=BRAND_X)
    assert exception.clock_start is None  # waiting for the statement
    exception = prior_auth_statement_add(
        actor=users["rep"], request_id=exception.pk, statement="Two formulary drugs failed."
    )
    prior_auth_approve(actor=users["pharmacist"], request_id=exception.pk)
    prior_auth = submit(FALLS_SHORT)
    prior_auth_approve(actor=users["pharmacist"], request_id=prior_auth.pk)
    waiting = submit({}, drug=BRAND_X)
    place(exception, at(EXCEPTION_DAY, 9), timedelta(hours=6), clock_after=timedelta(days=1))
    place(prior_auth, at(EXCEPTION_DAY, 10), timedelta(hours=2))
    place(waiting, at(EXCEPTION_DAY, 11), None, clock_after=None)


def test_an_exception_is_timed_from_its_supporting_statement(exceptions):
    standard = turnaround_report(start=EXCEPTION_DAY, end=EXCEPTION_DAY).rows[0]
    assert (standard.received, standard.decided, standard.open) == (3, 2, 1)
    # 6 h from the statement, not 30 h from receipt; the waiting exception is not timed.
    assert (standard.mean_hours, standard.median_hours) == (4.0, 4.0)


def test_page_and_csv_time_an_exception_from_its_statement(exceptions, users, client_for):
    client = client_for(users["supervisor"])
    period = {"start": EXCEPTION_DAY.isoformat(), "end": EXCEPTION_DAY.isoformat()}
    page = client.get(reverse("priorauth:metrics"), period).content.decode()
    assert "from the arrival of the prescriber's supporting statement" in page
    assert "<td>4.0</td><td>4.0</td>" in page
    download = client.get(reverse("priorauth:metrics-csv"), period)
    rows = list(csv.reader(download.content.decode().splitlines()))
    assert rows[1][2] == "Standard" and rows[1][10:] == ["1", "2", "4.0", "4.0"]


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end", "before the start"),
        ({"start": "2026-13-45", "end": "2026-03-10"}, "start", "valid date"),
        ({"start": "2026-03-10"}, "end", "required"),
        ({"start": "2020-01-01", "end": "2026-03-10"}, "end", "at most"),
    ],
)
def test_bad_ranges_are_refused_naming_the_field(query, field, says, users, client_for, db):
    client = client_for(users["supervisor"])
    page = client.get(reverse("priorauth:metrics"), query)
    assert page.status_code == 400
    assert says in str(page.context["form"].errors[field])
    assert "<svg" not in page.content.decode()
    download = client.get(reverse("priorauth:metrics-csv"), query)
    assert download.status_code == 400
    assert download.content.decode().startswith(f"{field}:") and says in download.content.decode()


@pytest.mark.parametrize("role", ["rep", "pharmacist", "groupadmin", "provider"])
def test_only_roles_that_see_all_work_open_the_metrics(role, users, client_for):
    client = client_for(users[role])
    assert client.get(reverse("priorauth:metrics")).status_code == 403
    assert client.get(reverse("priorauth:metrics-csv")).status_code == 403

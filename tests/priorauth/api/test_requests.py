"""POST /api/priorauth/requests and the reads: decisions, refusals, providers, access log."""

import pytest

from payerdesk.core.models import AccessLogEntry
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.services.prescribers import prescriber_register, provider_link
from tests.priorauth.conftest import BRAND_X, FALLS_SHORT, MEETS, NPI, SEMAGLUTIDE

URL = "/api/priorauth/requests"


def body(**overrides):
    data = {
        "member_id": "M100",
        "prescriber_npi": NPI,
        "drug": SEMAGLUTIDE,
        "urgency": "standard",
        "line_of_business": "medicare_part_d",
        "answers": MEETS,
    }
    data.update(overrides)
    return data


def post(api_client, role="rep", **overrides):
    return api_client(role).post(URL, body(**overrides), content_type="application/json")


def test_a_request_that_meets_the_criteria_comes_back_approved(setup, api_client):
    response = post(api_client)
    assert response.status_code == 201
    out = response.json()
    assert out["status"] == "approved" and out["decision"] == "approved" and out["automatic"]
    assert out["channel"] == "online" and out["criteria_code"] == "glp1-t2d"
    assert out["criteria_version"] == 1 and out["approval_end"] is not None
    assert [letter["kind"] for letter in out["letters"]] == ["approval"]
    assert AccessLogEntry.objects.filter(
        record_type="prior_auth_request", record_id=str(out["id"]), channel="api"
    ).exists()


def test_no_request_is_stored_when_its_view_cannot_be_logged(setup, api_client, access_log_fails):
    with pytest.raises(access_log_fails):
        post(api_client)
    assert not PriorAuthRequest.objects.exists() and not AccessLogEntry.objects.exists()


def test_a_request_that_falls_short_comes_back_in_review_with_its_clock(setup, api_client):
    out = post(api_client, answers=FALLS_SHORT, urgency="expedited").json()
    assert out["status"] == "in_review" and out["decision"] == ""
    assert out["unmet"] == ["A1c below 7%", "Metformin tried for fewer than 90 days"]
    assert out["due_at"] and not out["overdue"]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"member_id": "NOPE"}, 422, "member_id"),
        ({"drug": "31337"}, 422, "drug"),
        ({"prescriber_npi": "1245319599"}, 422, "prescriber_npi"),
        ({"prescriber_npi": "1234567890"}, 422, "prescriber_npi"),
        ({"answers": {**MEETS, "a1c": "high"}}, 422, "answers.a1c"),
        ({"answers": {"diagnosis": "E11", "tried_metformin": False}}, 422, "answers.a1c"),
        ({"answers": {**FALLS_SHORT, "metformin_days": 30}}, 422, "answers.metformin_days"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(setup, api_client, overrides, status, field):
    response = post(api_client, **overrides)
    assert response.status_code == status
    assert response.json()["field"] == field and response.json()["detail"]
    assert not PriorAuthRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "where"),
    [({"urgency": "soon"}, "urgency"), ({"line_of_business": "dental"}, "line_of_business")],
)
def test_schema_errors_name_the_field(setup, api_client, overrides, where):
    response = post(api_client, **overrides)
    assert response.status_code == 422
    assert where in str(response.json()["detail"])
    assert not PriorAuthRequest.objects.exists()


def test_an_exception_waits_for_its_statement_over_the_api(setup, api_client):
    out = post(api_client, drug=BRAND_X, answers={}).json()
    assert out["request_type"] == "exception" and out["status"] == "awaiting_statement"
    assert out["clock_start"] is None
    later = api_client("rep").post(
        f"{URL}/{out['id']}/statement",
        {"statement": "Generic caused hives."},
        content_type="application/json",
    )
    assert later.status_code == 200 and later.json()["clock_start"] is not None


def test_a_provider_sees_only_the_requests_of_their_npi(setup, api_client, users, submit):
    mine = submit(FALLS_SHORT)
    prescriber_register(actor=None, npi="1245319599", name="Dr. Other")
    theirs = submit(FALLS_SHORT, prescriber_npi="1245319599")
    provider_link(actor=None, user=users["provider"], npi=NPI)
    client = api_client("provider")
    listed = client.get(URL).json()
    assert [row["id"] for row in listed] == [mine.pk]
    assert client.get(f"{URL}/{mine.pk}").status_code == 200
    assert client.get(f"{URL}/{theirs.pk}").status_code == 404
    staff = api_client("rep").get(URL).json()
    assert {row["id"] for row in staff} == {mine.pk, theirs.pk}

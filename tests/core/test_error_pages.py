"""The project's own 404/403/500 pages: outside roles get them even with DEBUG on (`make run`),
everyone gets them in production; staff developers keep Django's debug pages in development."""

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client, override_settings

TECHNICAL_404 = "Using the URLconf"
TECHNICAL_500 = "Traceback"
OUR_404 = "There is nothing here, or it is outside what your role can see."
OUR_403 = "Your role does not give access to this page."
OUR_500 = "The page could not be shown."


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a defect in a view")


def _too_big(*args: object, **kwargs: object) -> None:
    raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


@pytest.mark.parametrize("role", ["employer", "provider"])
@override_settings(DEBUG=True)
def test_outside_roles_get_our_404_for_an_unknown_path_in_development(role, users):
    response = _client(users[role]).get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert OUR_404 in body
    assert TECHNICAL_404 not in body


@override_settings(DEBUG=True)
def test_an_outside_user_gets_our_404_when_a_view_raises_it_in_development(users):
    response = _client(users["employer"]).get("/groups/portal/group/NOPE/")
    assert response.status_code == 404
    assert OUR_404 in response.content.decode()
    assert "Raised by:" not in response.content.decode()


@override_settings(DEBUG=True)
def test_an_outside_user_gets_our_500_for_a_defect_in_development(users, monkeypatch, caplog):
    monkeypatch.setattr("payerdesk.core.views.landing_for", _crash)
    response = _client(users["employer"]).get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert OUR_500 in body
    assert TECHNICAL_500 not in body
    assert "a defect in a view" not in body
    # The defect is still logged for the developers.
    logged = [r.exc_text or "" for r in caplog.records if r.name == "django.request"]
    assert any("RuntimeError" in text for text in logged)


@override_settings(DEBUG=True)
def test_an_outside_user_gets_our_400_for_a_bad_request_in_development(users, monkeypatch):
    monkeypatch.setattr("payerdesk.core.views.landing_for", _too_big)
    response = _client(users["employer"]).get("/")
    assert response.status_code == 413
    assert "Nothing was saved" in response.content.decode()


@override_settings(DEBUG=True)
def test_an_outside_user_gets_our_403_in_development(users):
    response = _client(users["employer"]).get("/billing/")
    assert response.status_code == 403
    assert OUR_403 in response.content.decode()


@override_settings(DEBUG=True)
def test_staff_keep_the_debug_pages_in_development(users, monkeypatch):
    client = _client(users["supervisor"])
    assert TECHNICAL_404 in client.get("/no-such-page/").content.decode()
    monkeypatch.setattr("payerdesk.core.views.selectors.my_work", _crash)
    assert TECHNICAL_500 in client.get("/").content.decode()


@pytest.mark.parametrize("role", ["employer", "supervisor"])
def test_production_serves_our_pages_to_everyone(role, users, monkeypatch):
    """DEBUG is off in production (and in the test settings): 404, 403 and 500 pages."""
    client = _client(users[role])
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert OUR_404 in missing.content.decode()
    refused = client.get("/priorauth/" if role == "employer" else "/groups/portal/")
    assert refused.status_code == 403
    assert OUR_403 in refused.content.decode()
    monkeypatch.setattr("payerdesk.core.views.landing_for", _crash)
    monkeypatch.setattr("payerdesk.core.views.selectors.my_work", _crash)
    crashed = client.get("/")
    assert crashed.status_code == 500
    assert OUR_500 in crashed.content.decode()

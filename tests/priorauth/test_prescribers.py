"""Prescribers: registered by the intake staff with a checked NPI, once per NPI; their name
and email kept right (letters go there); linking provider users stays with administrators."""

import pytest
from django.core import mail
from django.urls import reverse

from payerdesk.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from payerdesk.priorauth.models import Prescriber, PrescriberChange
from payerdesk.priorauth.services.prescribers import (
    prescriber_register,
    prescriber_update,
    provider_link,
)
from payerdesk.priorauth.services.requests import prior_auth_deny
from tests.priorauth.conftest import FALLS_SHORT, NPI, OTHER_NPI

REASON = "A1c of 6.2% is below the 7% the criteria require, and metformin was not tried."
API = "/api/priorauth/prescribers"


def register(users, role="rep", npi=OTHER_NPI, name="Dr. Chidi Okafor", email="o@x.example"):
    return prescriber_register(actor=users[role], npi=npi, name=name, email=email)


@pytest.mark.parametrize("role", ["rep", "pharmacist", "supervisor", "admin"])
def test_intake_staff_register_a_prescriber(db, users, role):
    prescriber = register(users, role, name="  Dr.  Chidi   Okafor ")
    assert (prescriber.npi, prescriber.name, prescriber.email) == (
        OTHER_NPI,
        "Dr. Chidi Okafor",
        "o@x.example",
    )
    [change] = prescriber.changes.all()
    assert change.action == "registered" and change.actor == users[role]


@pytest.mark.parametrize("role", ["auditor", "groupadmin", "provider", "employer"])
def test_other_roles_do_not_register(db, users, role):
    with pytest.raises(NotPermitted):
        register(users, role)
    assert not Prescriber.objects.exists()


def test_an_npi_registered_already_is_refused(prescriber, users):
    with pytest.raises(Conflict) as refused:
        register(users, npi=NPI, name="Dr. Somebody Else")
    assert refused.value.field == "npi" and refused.value.http_status == 409
    assert "already registered, as Dr. Ana Ruiz" in refused.value.message
    prescriber.refresh_from_db()
    assert prescriber.name == "Dr. Ana Ruiz" and prescriber.changes.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"npi": "1234567890"}, "npi", "not a valid NPI"),  # Luhn with 80840 fails
        ({"npi": "123456789"}, "npi", "not a valid NPI"),
        ({"npi": "12345678a3"}, "npi", "not a valid NPI"),
        ({"name": "   "}, "name", "Give the prescriber's name"),
        ({"name": "x" * 121}, "name", "longer than 120"),
        ({"email": "not-an-address"}, "email", "is not an email address"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field(db, users, kwargs, field, says):
    with pytest.raises(InvalidInput) as refused:
        register(users, **kwargs)
    assert refused.value.field == field and says in refused.value.message
    assert not Prescriber.objects.exists() and not PrescriberChange.objects.exists()


def test_a_changed_email_is_where_the_next_letter_goes(
    submit, users, django_capture_on_commit_callbacks
):
    pa = submit(FALLS_SHORT)
    prescriber_update(actor=users["rep"], npi=NPI, email="new@clinic.example")
    with django_capture_on_commit_callbacks(execute=True):
        prior_auth_deny(actor=users["pharmacist"], request_id=pa.pk, reason=REASON)
    assert mail.outbox[0].to == ["new@clinic.example"]
    assert pa.letters.get().sent_to == "new@clinic.example"
    change = PrescriberChange.objects.get(action="changed")
    assert change.changes == {"email": ["ruiz@clinic.example", "new@clinic.example"]}
    assert change.actor == users["rep"]


def test_an_update_that_changes_nothing_records_nothing(prescriber, users):
    prescriber_update(actor=users["rep"], npi=NPI, name="Dr. Ana Ruiz")
    assert prescriber.changes.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"npi": OTHER_NPI, "email": "a@b.example"}, NotFound, None),
        ({"npi": NPI, "email": "nope"}, InvalidInput, "email"),
        ({"npi": NPI, "name": ""}, InvalidInput, "name"),
    ],
)
def test_bad_updates_are_refused(prescriber, users, kwargs, error, field):
    with pytest.raises(error) as refused:
        prescriber_update(actor=users["rep"], **kwargs)
    assert refused.value.field == field
    prescriber.refresh_from_db()
    assert prescriber.email == "ruiz@clinic.example" and prescriber.name == "Dr. Ana Ruiz"


def test_auditors_do_not_change_prescribers(prescriber, users):
    with pytest.raises(NotPermitted):
        prescriber_update(actor=users["auditor"], npi=NPI, email="a@b.example")


def test_only_administrators_link_provider_users(prescriber, users):
    for role in ("rep", "pharmacist", "supervisor"):
        with pytest.raises(NotPermitted):
            provider_link(actor=users[role], user=users["provider"], npi=NPI)
    provider_link(actor=users["admin"], user=users["provider"], npi=NPI)
    assert list(prescriber.portal_users.all()) == [users["provider"]]


# --- API ----------------------------------------------------------------------------------


def test_api_registers_lists_and_changes(prescriber, api_client):
    client = api_client("rep")
    created = client.post(
        API, {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor"}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json() == {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor", "email": ""}
    assert [row["npi"] for row in client.get(API).json()] == [NPI, OTHER_NPI]
    assert [row["npi"] for row in client.get(API, {"q": "okaf"}).json()] == [OTHER_NPI]
    assert [row["npi"] for row in client.get(API, {"q": "1234"}).json()] == [NPI]
    changed = client.patch(
        f"{API}/{OTHER_NPI}", {"email": "okafor@x.example"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["email"] == "okafor@x.example"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"npi": NPI, "name": "Dr. Again"}, 409, "npi"),
        ({"npi": "1234567890", "name": "Dr. Typo"}, 422, "npi"),
        ({"npi": OTHER_NPI, "name": "Dr. X", "email": "x"}, 422, "email"),
        ({"npi": OTHER_NPI, "name": " "}, 422, "name"),
    ],
)
def test_api_refuses_bad_registrations(prescriber, api_client, body, status, field):
    response = api_client("rep").post(API, body, content_type="application/json")
    assert response.status_code == status and response.json()["field"] == field
    assert Prescriber.objects.count() == 1


def test_api_refusals_for_roles_and_unknown_npis(prescriber, api_client):
    body = {"npi": OTHER_NPI, "name": "Dr. X"}
    assert api_client("auditor").post(API, body, content_type="application/json").status_code == (
        403
    )
    assert api_client("provider").get(API).status_code == 403
    missing = api_client("rep").patch(
        f"{API}/{OTHER_NPI}", {"email": "a@b.example"}, content_type="application/json"
    )
    assert missing.status_code == 404


# --- pages --------------------------------------------------------------------------------


def test_page_lists_searches_registers_and_edits(prescriber, users, client_for):
    client = client_for(users["rep"])
    listed = client.get(reverse("priorauth:prescribers"), {"q": "ruiz"})
    assert b"Dr. Ana Ruiz" in listed.content and b"Register a prescriber" in listed.content
    done = client.post(
        reverse("priorauth:prescriber-new"),
        {"npi": OTHER_NPI, "name": "Dr. Chidi Okafor", "email": ""},
    )
    assert done.status_code == 302 and done["Location"].endswith(f"/prescribers/{OTHER_NPI}/")
    again = client.post(
        reverse("priorauth:prescriber-new"), {"npi": OTHER_NPI, "name": "Dr. Again"}
    )
    assert again.status_code == 409 and b"already registered, as Dr. Chidi Okafor" in again.content
    typo = client.post(reverse("priorauth:prescriber-new"), {"npi": "1234567890", "name": "X"})
    assert typo.status_code == 422 and b"not a valid NPI" in typo.content
    edit = reverse("priorauth:prescriber-edit", args=[OTHER_NPI])
    bad = client.post(edit, {"name": "Dr. Chidi Okafor", "email": "nope"})
    assert bad.status_code == 422 and b"is not an email address" in bad.content
    saved = client.post(edit, {"name": "Dr. Chidi Okafor", "email": "okafor@x.example"})
    assert saved.status_code == 302
    page = client.get(reverse("priorauth:prescriber", args=[OTHER_NPI]))
    assert b"okafor@x.example" in page.content and b"Changed" in page.content


def test_auditors_read_the_list_but_do_not_register(prescriber, users, client_for):
    client = client_for(users["auditor"])
    listed = client.get(reverse("priorauth:prescribers"))
    assert listed.status_code == 200 and b"Register a prescriber" not in listed.content
    refused = client.post(reverse("priorauth:prescriber-new"), {"npi": OTHER_NPI, "name": "X"})
    assert refused.status_code == 403
    assert Prescriber.objects.count() == 1


def test_the_admin_only_links_portal_users(prescriber, users, client_for):
    """Details change on the Prescribers page, which checks them and keeps the history."""
    users["admin"].is_staff = True
    users["admin"].save()
    client = client_for(users["admin"])
    assert client.get(reverse("admin:priorauth_prescriber_add")).status_code == 403
    url = reverse("admin:priorauth_prescriber_change", args=[prescriber.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="email"' not in page.content.decode()
    email = prescriber.email
    client.post(url, {"portal_users": [users["provider"].pk], "email": "someone@else.example"})
    prescriber.refresh_from_db()
    assert list(prescriber.portal_users.all()) == [users["provider"]]
    assert prescriber.email == email  # read-only here: the posted email is ignored
    assert not prescriber.changes.filter(action=PrescriberChange.Action.CHANGED).exists()

"""Pharmacist review: approve, deny with a specific reason, pend; nobody else denies."""

import pytest
from django.core import mail
from django.urls import reverse

from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.priorauth.models import Letter, Status
from payerdesk.priorauth.services.requests import (
    prior_auth_approve,
    prior_auth_deny,
    prior_auth_pend,
)
from tests.priorauth.conftest import FALLS_SHORT, MEETS
from tests.priorauth.services.test_requests import pdf_text

REASON = "A1c of 6.2% is below the 7% the criteria require, and metformin was not tried."


@pytest.fixture
def referred(submit):
    return submit(FALLS_SHORT)


def test_a_pharmacist_denies_with_a_specific_reason_and_a_letter_goes_out(
    referred, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pa = prior_auth_deny(actor=users["pharmacist"], request_id=referred.pk, reason=REASON)
    assert pa.status == Status.DENIED and pa.decided_by == users["pharmacist"]
    assert not pa.automatic and pa.denial_reason == REASON
    item = pa.work_item
    assert item.status == "denied" and item.closed_at is not None
    letter = pa.letters.get(kind=Letter.Kind.DENIAL)
    text = pdf_text(bytes(letter.content))
    assert "A1c of 6.2% is below" in text and "appeal" in text.lower()
    assert "redetermination" in text  # Part D appeal rights
    [notice] = mail.outbox
    assert notice.to == ["ruiz@clinic.example"] and notice.attachments[0][0] == letter.file_name


@pytest.mark.parametrize("role", ["rep", "supervisor", "admin", "auditor", "provider"])
def test_nobody_but_a_pharmacist_may_deny(referred, users, role):
    with pytest.raises(NotPermitted):
        prior_auth_deny(actor=users[role], request_id=referred.pk, reason=REASON)
    referred.refresh_from_db()
    assert referred.status == Status.IN_REVIEW and not referred.letters.exists()


@pytest.mark.parametrize("reason", ["", "Denied.", "Not medically necessary"])
def test_a_denial_needs_a_specific_reason(referred, users, reason):
    with pytest.raises(InvalidInput) as refused:
        prior_auth_deny(actor=users["pharmacist"], request_id=referred.pk, reason=reason)
    assert refused.value.field == "reason"
    referred.refresh_from_db()
    assert referred.status == Status.IN_REVIEW


def test_a_pharmacist_approves_with_a_period(referred, users):
    pa = prior_auth_approve(actor=users["pharmacist"], request_id=referred.pk, approval_days=90)
    assert pa.status == Status.APPROVED and not pa.automatic
    assert pa.approval_start is not None and pa.approval_end is not None
    assert (pa.approval_end - pa.approval_start).days == 89
    assert pa.letters.get().kind == Letter.Kind.APPROVAL


def test_pend_records_the_request_to_the_prescriber(
    referred, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pa = prior_auth_pend(
            actor=users["pharmacist"], request_id=referred.pk, information="Send the A1c history."
        )
    assert pa.status == Status.PENDED and pa.information_requested == "Send the A1c history."
    assert pa.work_item.status == "pended" and pa.work_item.closed_at is None
    letter = pa.letters.get(kind=Letter.Kind.MORE_INFORMATION)
    assert "Send the A1c history." in pdf_text(bytes(letter.content))
    assert mail.outbox[0].to == ["ruiz@clinic.example"]
    # Still the pharmacist's to decide.
    prior_auth_deny(actor=users["pharmacist"], request_id=pa.pk, reason=REASON)


def test_a_decided_request_cannot_be_decided_again(submit, users):
    approved = submit(MEETS)
    with pytest.raises(Conflict):
        prior_auth_deny(actor=users["pharmacist"], request_id=approved.pk, reason=REASON)


def test_api_refuses_a_denial_from_a_rep_and_takes_one_from_a_pharmacist(referred, api_client):
    url = f"/api/priorauth/requests/{referred.pk}/deny"
    refused = api_client("rep").post(url, {"reason": REASON}, content_type="application/json")
    assert refused.status_code == 403 and "Only a pharmacist may deny" in refused.json()["detail"]
    vague = api_client("pharmacist").post(url, {"reason": "No."}, content_type="application/json")
    assert vague.status_code == 422 and vague.json()["field"] == "reason"
    done = api_client("pharmacist").post(url, {"reason": REASON}, content_type="application/json")
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "denied" and body["denial_reason"] == REASON
    assert [letter["kind"] for letter in body["letters"]] == ["denial"]


def test_review_page_actions(referred, users, client_for, django_capture_on_commit_callbacks):
    pharmacist = client_for(users["pharmacist"])
    page = pharmacist.get(reverse("priorauth:request-detail", args=[referred.pk]))
    assert b"Pharmacist review" in page.content and b"A1c below 7%" in page.content
    vague = pharmacist.post(reverse("priorauth:request-deny", args=[referred.pk]), {"reason": "x"})
    assert vague.status_code == 422 and b"specific reason" in vague.content
    rep = client_for(users["rep"]).post(
        reverse("priorauth:request-deny", args=[referred.pk]), {"reason": REASON}
    )
    assert rep.status_code == 403
    with django_capture_on_commit_callbacks() as after_commit:
        done = pharmacist.post(
            reverse("priorauth:request-approve", args=[referred.pk]), {"approval_days": "30"}
        )
    assert done.status_code == 302
    letter = referred.letters.get()
    letter_url = reverse("priorauth:request-letter", args=[referred.pk, letter.pk])
    # Until the worker has made it, the letter is listed as due and cannot be downloaded.
    page = pharmacist.get(reverse("priorauth:request-detail", args=[referred.pk]))
    assert b"Approved" in page.content and b"being made" in page.content
    assert pharmacist.get(letter_url).status_code == 404
    for callback in after_commit:  # the worker runs the queued letter task
        callback()
    page = pharmacist.get(reverse("priorauth:request-detail", args=[referred.pk]))
    assert b"being made" not in page.content and letter_url.encode() in page.content
    letter.refresh_from_db()
    download = pharmacist.get(letter_url)
    assert download["Content-Type"] == "application/pdf"
    assert bytes(download.content) == bytes(letter.content)


@pytest.mark.parametrize(
    ("line", "says", "not_says"),
    [
        ("medicare_part_d", "redetermination", "fair hearing"),
        ("medicare_advantage", "reconsideration", "redetermination"),
        ("medicaid", "State fair hearing", "redetermination"),
        ("commercial", "external review", "fair hearing"),
    ],
)
def test_the_denial_letter_gives_the_appeal_rights_of_the_line_of_business(
    submit, users, line, says, not_says, django_capture_on_commit_callbacks
):
    pa = submit(FALLS_SHORT, line_of_business=line)
    with django_capture_on_commit_callbacks(execute=True):  # the worker makes the letter
        pa = prior_auth_deny(actor=users["pharmacist"], request_id=pa.pk, reason=REASON)
    text = " ".join(pdf_text(bytes(pa.letters.get().content)).split())
    assert says in text and not_says not in text
    assert "semaglutide" in text and "A1c of 6.2% is below" in text

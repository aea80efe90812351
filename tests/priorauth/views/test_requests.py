"""The guided intake form, the request page and the provider's own view."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payerdesk.core.models import AccessLogEntry, Attachment
from payerdesk.priorauth.models import PriorAuthRequest
from payerdesk.priorauth.services.prescribers import prescriber_register, provider_link
from tests.priorauth.conftest import ADALIMUMAB, FALLS_SHORT, NPI, SEMAGLUTIDE
from tests.priorauth.services.test_requests import PDF

NEW = reverse("priorauth:request-new")
QUESTIONS = reverse("priorauth:request-questions")


def frame(**overrides):
    data = {
        "channel": "phone",
        "member_id": "M100",
        "prescriber_npi": NPI,
        "drug": SEMAGLUTIDE,
        "urgency": "standard",
        "line_of_business": "medicare_part_d",
    }
    data.update(overrides)
    return data


def test_the_form_asks_exactly_the_drugs_questions(setup, users, client_for):
    page = client_for(users["rep"]).get(NEW, {"drug": SEMAGLUTIDE})
    assert page.status_code == 200
    for link_id in ("q_diagnosis", "q_a1c", "q_tried_metformin"):
        assert link_id.encode() in page.content
    assert b"q_metformin_days" not in page.content  # a follow-up, not enabled yet
    other = client_for(users["rep"]).get(NEW, {"drug": ADALIMUMAB})
    assert b"q_diagnosis" not in other.content and b"No criteria on file" in other.content


def test_htmx_shows_and_hides_the_follow_up(setup, users, client_for):
    client = client_for(users["rep"])
    shown = client.get(
        QUESTIONS,
        {"drug": SEMAGLUTIDE, "q_tried_metformin": "true"},
        headers={"HX-Request": "true"},
    )
    assert b"q_metformin_days" in shown.content and b"<html" not in shown.content
    hidden = client.get(
        QUESTIONS,
        {"drug": SEMAGLUTIDE, "q_tried_metformin": "false"},
        headers={"HX-Request": "true"},
    )
    assert b"q_metformin_days" not in hidden.content
    # The answer that branches re-asks the server; the others do not.
    assert b'name="q_tried_metformin" value="true" checked required hx-get' in shown.content
    assert f'hx-get="{QUESTIONS}"'.encode() in shown.content  # intake asks the drug's questions
    a1c = re.search(rb'<input name="q_a1c"[^>]*>', shown.content)
    assert a1c is not None and b"hx-get" not in a1c.group(0)


def test_the_form_refuses_to_submit_without_required_answers(setup, users, client_for):
    response = client_for(users["rep"]).post(NEW, {**frame(), "q_diagnosis": "E11"})
    assert response.status_code == 422
    assert b"an answer is required" in response.content
    assert b"Some answers need attention" in response.content
    assert not PriorAuthRequest.objects.exists()


def test_an_answer_to_a_question_not_enabled_is_refused(setup, users, client_for):
    answers = {f"q_{k}": str(v).lower() for k, v in FALLS_SHORT.items()}
    response = client_for(users["rep"]).post(NEW, {**frame(), **answers, "q_metformin_days": "30"})
    assert response.status_code == 422 and b"does not apply" in response.content
    assert not PriorAuthRequest.objects.exists()


def test_unknown_member_is_shown_on_its_field(setup, users, client_for):
    response = client_for(users["rep"]).post(NEW, frame(member_id="NOPE"))
    assert response.status_code == 422 and b"No member &#x27;NOPE&#x27; found" in response.content


MEETS_POSTED = {
    "q_diagnosis": "E11",
    "q_a1c": "8.3",
    "q_tried_metformin": "true",
    "q_metformin_days": "200",
}


def test_a_faxed_request_is_taken_and_approved(setup, users, client_for):
    fax = SimpleUploadedFile("fax.pdf", PDF, content_type="application/pdf")
    client = client_for(users["rep"])
    response = client.post(NEW, {**frame(channel="fax"), **MEETS_POSTED, "fax": fax})
    assert response.status_code == 302
    pa = PriorAuthRequest.objects.get()
    assert response["Location"] == reverse("priorauth:request-detail", args=[pa.pk])
    assert pa.status == "approved" and pa.channel == "fax"
    assert Attachment.objects.get(work_item=pa.work_item).original_name == "fax.pdf"
    page = client.get(response["Location"])
    assert b"Approved" in page.content and b"fax.pdf" in page.content
    assert b"Latest A1c (%)" in page.content  # answers shown with their questions
    assert AccessLogEntry.objects.filter(
        record_type="prior_auth_request", record_id=str(pa.pk), channel="web", user=users["rep"]
    ).exists()


def test_the_request_taken_is_logged_as_viewed_with_it(setup, users, client_for):
    response = client_for(users["rep"]).post(NEW, {**frame(), **MEETS_POSTED})
    assert response.status_code == 302
    pa = PriorAuthRequest.objects.get()
    [entry] = AccessLogEntry.objects.all()  # written by the intake, not the page after it
    assert (entry.user, entry.channel, entry.action) == (users["rep"], "web", "view")
    assert (entry.record_type, entry.record_id, entry.path) == (
        "prior_auth_request",
        str(pa.pk),
        NEW,
    )


def test_no_request_is_stored_when_its_view_cannot_be_logged(
    setup, users, client_for, access_log_fails
):
    fax = SimpleUploadedFile("fax.pdf", PDF, content_type="application/pdf")
    with pytest.raises(access_log_fails):
        client_for(users["rep"]).post(NEW, {**frame(channel="fax"), **MEETS_POSTED, "fax": fax})
    # The entry was written, then rolled back with the request and its fax.
    assert not PriorAuthRequest.objects.exists() and not Attachment.objects.exists()
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("fax.pdf", b"", "The submitted file is empty"),
        ("fax.pdf", b"not a pdf", "but its content is"),
        ("fax.exe", PDF, ".exe not accepted"),
        ("fax.pdf", PDF + b"%%EOF\n", "larger than the"),
    ],
)
def test_a_bad_fax_is_refused_on_its_field(setup, users, client_for, settings, name, content, says):
    settings.PAYERDESK_ATTACHMENT_MAX_BYTES = len(PDF)
    fax = SimpleUploadedFile(name, content)
    response = client_for(users["rep"]).post(
        NEW, {**frame(channel="fax"), **MEETS_POSTED, "fax": fax}
    )
    assert response.status_code in (400, 422)
    [error] = response.context["form"].errors["fax"]
    assert says in error
    assert not PriorAuthRequest.objects.exists() and not Attachment.objects.exists()


def test_the_refresh_button_works_without_javascript(setup, users, client_for):
    page = client_for(users["rep"]).post(
        NEW, {**frame(), "q_tried_metformin": "true", "refresh": "1"}
    )
    assert page.status_code == 200 and b"q_metformin_days" in page.content
    assert not PriorAuthRequest.objects.exists()


def test_the_work_item_links_to_the_request(submit, users, client_for):
    pa = submit(FALLS_SHORT)
    page = client_for(users["pharmacist"]).get(reverse("core:work-item", args=[pa.work_item_id]))
    assert reverse("priorauth:request-detail", args=[pa.pk]).encode() in page.content


def test_a_provider_sees_only_their_own_requests(submit, users, client_for):
    mine = submit(FALLS_SHORT)
    prescriber_register(actor=None, npi="1245319599", name="Dr. Other")
    theirs = submit(FALLS_SHORT, prescriber_npi="1245319599")
    provider_link(actor=None, user=users["provider"], npi=NPI)
    client = client_for(users["provider"])
    listed = client.get(reverse("priorauth:requests"))
    assert mine.number.encode() in listed.content and theirs.number.encode() not in listed.content
    assert client.get(reverse("priorauth:request-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("priorauth:request-detail", args=[theirs.pk])).status_code == 404
    assert client.get(NEW).status_code == 403

"""A provider sends the information a pend asks for themselves, on the requests of the NPIs
they act for: through the request page and the API, decided again exactly as when staff
record it, with a receipt and a timeline that say it came through the provider portal."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payerdesk.core import services as core_services
from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.core.models import AccessLogEntry, Attachment
from payerdesk.priorauth.models import InformationReceipt, PriorAuthRequest, Status
from payerdesk.priorauth.services.prescribers import prescriber_register, provider_link
from payerdesk.priorauth.services.requests import (
    Fax,
    prior_auth_information_receive,
    prior_auth_pend,
)
from tests.conftest import PASSWORD
from tests.priorauth.conftest import FALLS_SHORT, NPI, OTHER_NPI
from tests.priorauth.services.test_requests import PDF
from tests.priorauth.test_information import ASKED, NOW_MEETS, _unchanged

PORTAL = InformationReceipt.Source.PROVIDER_PORTAL


@pytest.fixture
def provider(users, prescriber):
    provider_link(actor=None, user=users["provider"], npi=NPI)
    return users["provider"]


@pytest.fixture
def pended(submit, users, provider):
    """A pended request of the provider's NPI, with the fax staff took it in with."""
    pa = submit(FALLS_SHORT, fax=Fax("intake.pdf", PDF))
    return prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information=ASKED)


@pytest.fixture
def others(submit, users, provider):
    """A pended request of another NPI, one the provider does not act for."""
    prescriber_register(actor=None, npi=OTHER_NPI, name="Dr. Chidi Okafor")
    pa = submit(FALLS_SHORT, prescriber_npi=OTHER_NPI)
    return prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information=ASKED)


def send(provider, pa, **kwargs):
    return prior_auth_information_receive(actor=provider, request_id=pa.pk, **kwargs)


def _unchanged_but_intake(pa: PriorAuthRequest) -> None:
    """Nothing changed; the intake fax stays the only attachment."""
    before = (pa.status, pa.answers, pa.unmet, pa.due_at)
    pa.refresh_from_db()
    assert (pa.status, pa.answers, pa.unmet, pa.due_at) == before
    assert not InformationReceipt.objects.exists()
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["intake.pdf"]


# --- service ------------------------------------------------------------------------------


def test_answers_that_now_meet_the_criteria_are_approved(pended, provider):
    due = pended.due_at
    pa = send(provider, pended, answers=NOW_MEETS, note="A1c 8.1% on 11/20.")
    assert pa.status == Status.APPROVED and pa.automatic and pa.decided_by is None
    assert pa.due_at == due
    receipt = pa.information_receipts.get()
    assert (receipt.source, receipt.received_by, receipt.requested) == (PORTAL, provider, ASKED)
    assert receipt.outcome == Status.APPROVED and receipt.changed_answers["a1c"]["after"] == "8.1"
    event = pa.work_item.timeline.get(data__source=PORTAL)
    assert event.actor == provider and event.summary == (
        "More information sent by provider through the provider portal (answers changed: "
        "a1c, metformin_days, tried_metformin; a note)"
    )


def test_answers_still_short_go_back_to_the_pharmacist(pended, provider):
    pa = send(provider, pended, answers={"a1c": "7.4"})
    assert pa.status == Status.IN_REVIEW and pa.unmet == ["Metformin tried for fewer than 90 days"]
    assert pa.work_item.status == "in_review" and pa.work_item.queue.slug == "pharmacist-review"


def test_a_note_and_document_go_to_the_pharmacist(pended, provider):
    pa = send(provider, pended, note="Chart note.", document=Fax("chart.pdf", PDF))
    assert pa.status == Status.IN_REVIEW
    attachment = Attachment.objects.get(original_name="chart.pdf")
    assert attachment.work_item == pa.work_item and attachment.uploaded_by == provider
    assert pa.information_receipts.get().attachment == attachment


def test_a_provider_for_another_npi_is_refused(others, provider):
    with pytest.raises(NotPermitted, match=f"You do not act for NPI {OTHER_NPI}"):
        send(provider, others, answers=NOW_MEETS, document=Fax("a.pdf", b"not a pdf"))
    _unchanged(others)


def test_a_request_not_pended_is_refused(submit, provider):
    referred = submit(FALLS_SHORT)
    with pytest.raises(Conflict, match="is not pended for more information"):
        send(provider, referred, note="Labs.")
    _unchanged(referred)


def test_bad_answers_from_a_provider_are_refused(pended, provider):
    with pytest.raises(InvalidInput) as refused:
        send(provider, pended, answers={"a1c": "high"})
    assert refused.value.field == "answers.a1c"
    _unchanged_but_intake(pended)


def test_staff_receipts_say_staff_recorded_them(pended, users):
    pa = prior_auth_information_receive(
        actor=users["rep"], request_id=pended.pk, note="Faxed labs."
    )
    assert pa.information_receipts.get().source == InformationReceipt.Source.STAFF


def test_the_employer_role_is_refused(pended, users):
    with pytest.raises(NotPermitted, match="Your role does not record information"):
        send(users["employer"], pended, note="Labs.")
    _unchanged_but_intake(pended)


# --- page ---------------------------------------------------------------------------------


def detail(pa):
    return reverse("priorauth:request-detail", args=[pa.pk])


def post_url(pa):
    return reverse("priorauth:request-information", args=[pa.pk])


def questions_url(pa):
    return reverse("priorauth:request-information-questions", args=[pa.pk])


def test_page_shows_the_provider_what_was_asked_and_the_form(pended, provider, client_for):
    page = client_for(provider).get(detail(pended))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Send the information requested" in text and ASKED in text
    assert "Note for the pharmacist" in text
    assert 'name="q_a1c" id="id_q_a1c" value="6.2"' in text
    # Its follow-up questions come from this request's endpoint, which a provider may use.
    assert f'hx-get="{questions_url(pended)}"' in text
    # Staff-only parts stay hidden: the attachments list and the staff form's wording.
    assert "intake.pdf" not in text and "<h2>Attachments</h2>" not in text
    assert "More information received" not in text
    assert AccessLogEntry.objects.filter(
        record_type="prior_auth_request", record_id=str(pended.pk), user=provider
    ).exists()


def test_page_shows_the_provider_the_history_not_the_plans_inside_work(
    pended, provider, users, client_for
):
    note = "Internal: ask Dr. Lee about the A1c trend"
    core_services.work_item_note_add(
        actor=users["pharmacist"], item_id=pended.work_item_id, body=note
    )
    prior_auth_information_receive(
        actor=users["rep"], request_id=pended.pk, note="Office called: labs on file."
    )
    mine = client_for(provider).get(detail(pended)).content.decode()
    history = mine[mine.index("<h2>Timeline</h2>") :]
    for line in (
        "Prior authorization received",
        "Pended for more information",
        "Pharmacist review",
    ):
        assert line in history
    assert "recorded by the plan" in mine
    for inside in (note, "Note by", "(pharmacist)", "(rep)", "Office called", "recorded by rep"):
        assert inside not in mine
    staff = client_for(users["pharmacist"]).get(detail(pended)).content.decode()
    for inside in ("Note by pharmacist", "(pharmacist)", "Office called", "recorded by rep"):
        assert inside in staff


def test_page_sends_and_decides_again(pended, provider, users, client_for):
    client = client_for(provider)
    answers = {"q_diagnosis": "E11", "q_a1c": "8.1", "q_tried_metformin": "true"}
    shown = client.post(post_url(pended), {**answers, "refresh": "1"})
    assert shown.status_code == 200 and b"q_metformin_days" in shown.content
    missing = client.post(post_url(pended), answers)
    assert missing.status_code == 422 and b"an answer is required" in missing.content
    _unchanged_but_intake(pended)
    done = client.post(
        post_url(pended),
        {
            **answers,
            "q_metformin_days": "120",
            "note": "On metformin since June.",
            "document": SimpleUploadedFile("chart.pdf", PDF),
        },
    )
    assert done.status_code == 302
    pended.refresh_from_db()
    assert pended.status == Status.APPROVED
    receipt = pended.information_receipts.get()
    assert receipt.source == PORTAL and receipt.attachment.original_name == "chart.pdf"
    mine = client.get(detail(pended)).content.decode()
    assert "sent by provider through the provider portal" in mine
    assert "More information sent by provider through the provider portal" in mine  # timeline
    assert "chart.pdf" not in mine and "Send the information requested" not in mine
    staff_page = client_for(users["pharmacist"]).get(detail(pended)).content.decode()
    assert "sent by provider through the provider portal" in staff_page
    assert "chart.pdf" in staff_page  # staff see the document


def test_page_refuses_a_bad_document(pended, provider, client_for):
    response = client_for(provider).post(
        post_url(pended),
        {"note": "Labs.", "document": SimpleUploadedFile("labs.pdf", b"not a pdf")},
    )
    assert response.status_code == 422 and b"labs.pdf is named .pdf" in response.content
    _unchanged_but_intake(pended)


def test_page_hides_another_npis_request(others, provider, client_for):
    client = client_for(provider)
    assert client.post(post_url(others), {"note": "Labs."}).status_code == 404
    assert client.post(post_url(others), {"refresh": "1"}).status_code == 404
    assert client.get(questions_url(others)).status_code == 404
    _unchanged(others)


def test_page_refuses_a_request_not_pended(submit, provider, client_for):
    referred = submit(FALLS_SHORT)
    client = client_for(provider)
    response = client.post(post_url(referred), {"note": "Labs."})
    assert response.status_code == 409 and b"is not pended for more information" in response.content
    assert b"Send the information requested" not in client.get(detail(referred)).content
    assert client.get(questions_url(referred)).status_code == 403
    _unchanged(referred)


def test_the_questions_follow_the_answers_for_providers_and_staff(
    pended, provider, users, client_for
):
    query = {"q_diagnosis": "E11", "q_tried_metformin": "true"}
    for user in (provider, users["rep"]):
        fragment = client_for(user).get(questions_url(pended), query)
        assert fragment.status_code == 200 and b"q_metformin_days" in fragment.content
        assert f'hx-get="{questions_url(pended)}"'.encode() in fragment.content
    assert AccessLogEntry.objects.filter(record_id=str(pended.pk), user=provider).exists()
    auditor = client_for(users["auditor"]).get(questions_url(pended), query)
    assert auditor.status_code == 403


# --- API ----------------------------------------------------------------------------------


def api_url(pa):
    return f"/api/priorauth/requests/{pa.pk}/information"


def test_api_sends_answers_and_a_document(pended, provider, api_client):
    document = {"file_name": "labs.pdf", "content_base64": base64.b64encode(PDF).decode()}
    response = api_client("provider").post(
        api_url(pended),
        {"answers": NOW_MEETS, "note": "Labs.", "document": document},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    receipt = InformationReceipt.objects.get()
    assert (receipt.source, receipt.received_by) == (PORTAL, provider)
    assert receipt.attachment == Attachment.objects.get(original_name="labs.pdf")
    assert AccessLogEntry.objects.filter(
        record_id=str(pended.pk), user=provider, channel=AccessLogEntry.Channel.API
    ).exists()


def test_api_refusals(pended, others, submit, provider, api_client):
    client = api_client("provider")
    post = {"content_type": "application/json"}
    bad = client.post(api_url(pended), {"answers": {"a1c": "high"}}, **post)
    assert bad.status_code == 422 and bad.json()["field"] == "answers.a1c"
    assert client.post(api_url(others), {"note": "Labs."}, **post).status_code == 404
    referred = submit(FALLS_SHORT)
    not_pended = client.post(api_url(referred), {"note": "Labs."}, **post)
    assert not_pended.status_code == 409
    employer = api_client("employer").post(api_url(pended), {"note": "Labs."}, **post)
    assert employer.status_code == 403
    _unchanged_but_intake(pended)
    _unchanged_but_intake(others)


def test_a_provider_signs_in_to_their_own_requests(pended, others, provider, client):
    signed_in = client.post(reverse("login"), {"username": "provider", "password": PASSWORD})
    landing = client.get(signed_in["Location"], follow=True)
    assert landing.status_code == 200
    assert landing.redirect_chain[-1][0] == reverse("priorauth:requests")
    text = landing.content.decode()
    assert pended.number in text and others.number not in text

"""More information received: after a pend, a rep or pharmacist records what arrived and the
request is decided again on its own criteria version; the clock keeps running. (A provider
sending it themselves: test_provider_information.py.)"""

import base64
import copy
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.core.models import AccessLogEntry, Attachment, TimelineEvent
from payerdesk.priorauth.models import (
    CriteriaSet,
    InformationReceipt,
    Letter,
    PriorAuthRequest,
    Status,
)
from payerdesk.priorauth.services.criteria import criteria_upload
from payerdesk.priorauth.services.prescribers import provider_link
from payerdesk.priorauth.services.requests import (
    Fax,
    prior_auth_information_receive,
    prior_auth_pend,
)
from tests.priorauth.conftest import (
    ADALIMUMAB,
    DECISION,
    FALLS_SHORT,
    NPI,
    QUESTIONNAIRE,
    SEMAGLUTIDE,
)
from tests.priorauth.services.test_requests import PDF, pdf_text

ASKED = "Send the A1c history and the metformin start date."
# What the office sends: the A1c is higher than first reported, and metformin was tried.
NOW_MEETS = {"a1c": "8.1", "tried_metformin": True, "metformin_days": 120}


@pytest.fixture
def pended(submit, users):
    pa = submit(FALLS_SHORT)
    return prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information=ASKED)


def receive(users, pended, role="rep", **kwargs):
    return prior_auth_information_receive(actor=users[role], request_id=pended.pk, **kwargs)


def _unchanged(pa: PriorAuthRequest) -> None:
    before = (pa.status, pa.answers, pa.unmet, pa.due_at)
    pa.refresh_from_db()
    assert (pa.status, pa.answers, pa.unmet, pa.due_at) == before
    assert not InformationReceipt.objects.exists()
    assert not Attachment.objects.exists()


def test_answers_that_now_meet_the_criteria_are_approved(
    pended, users, django_capture_on_commit_callbacks
):
    due = pended.due_at
    with django_capture_on_commit_callbacks(execute=True):
        pa = receive(users, pended, answers=NOW_MEETS, note="Labs faxed by the office today.")
    assert pa.status == Status.APPROVED and pa.automatic and pa.decided_by is None
    assert pa.answers["a1c"] == "8.1" and pa.answers["metformin_days"] == 120
    assert pa.due_at == due  # the clock was never stopped or moved
    assert pa.work_item.status == "approved" and pa.work_item.closed_at is not None
    letter = pa.letters.get(kind=Letter.Kind.APPROVAL)
    assert "approved coverage of semaglutide" in pdf_text(bytes(letter.content))
    # The approval's notice to the prescriber (the pend's went before the capture), and a
    # word to the pharmacist who asked.
    notice, told = sorted(mail.outbox, key=lambda message: message.to != ["ruiz@clinic.example"])
    assert notice.to == ["ruiz@clinic.example"] and notice.attachments[0][0] == letter.file_name
    assert told.to == ["pharmacist@example.test"]
    assert "has arrived: it was approved automatically" in told.body
    receipt = pa.information_receipts.get()
    assert receipt.requested == ASKED and receipt.received_by == users["rep"]
    assert receipt.outcome == Status.APPROVED and receipt.note == "Labs faxed by the office today."
    assert receipt.changed_answers == {
        "a1c": {"before": "6.2", "after": "8.1"},
        "metformin_days": {"before": None, "after": 120},
        "tried_metformin": {"before": False, "after": True},
    }
    summaries = list(pa.work_item.timeline.values_list("event", "summary"))
    assert (
        TimelineEvent.Event.NOTE_ADDED,
        "More information received by rep (answers changed: a1c, metformin_days, "
        "tried_metformin; a note)",
    ) in summaries


def test_answers_still_short_go_back_to_the_pharmacist_with_the_new_unmet_list(pended, users):
    pa = receive(users, pended, role="pharmacist", answers={"a1c": "7.4"})
    assert pa.status == Status.IN_REVIEW and pa.decision == ""
    assert pa.unmet == ["Metformin tried for fewer than 90 days"]
    assert pa.work_item.status == "in_review" and pa.work_item.queue.slug == "pharmacist-review"
    assert [letter.kind for letter in pa.letters.all()] == [Letter.Kind.MORE_INFORMATION]
    # Back in review, the pharmacist decides; and may pend again.
    prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information="Dates?")


def test_a_note_and_document_alone_go_back_to_the_pharmacist(pended, users):
    pa = receive(users, pended, note="Chart note faxed.", document=Fax("note.pdf", PDF))
    assert pa.status == Status.IN_REVIEW
    assert pa.unmet == ["A1c below 7%", "Metformin tried for fewer than 90 days"]
    attachment = Attachment.objects.get(work_item=pa.work_item)
    # The rep does not work the review queue the item sits in: the module's policy let them.
    assert attachment.uploaded_by == users["rep"] and attachment.original_name == "note.pdf"
    assert pa.information_receipts.get().attachment == attachment


def test_the_pharmacist_who_asked_and_the_holder_hear_that_it_arrived(
    pended, users, django_capture_on_commit_callbacks
):
    holder = users["supervisor"]
    item = pended.work_item
    item.assignee = holder
    item.save(update_fields=["assignee"])
    with django_capture_on_commit_callbacks(execute=True):
        pa = receive(users, pended, note="Chart note faxed.")
    [told] = mail.outbox
    assert sorted(told.to) == ["pharmacist@example.test", "supervisor@example.test"]
    assert told.subject == f"Information received: work item #{item.pk} ({pa.number})"
    assert "has arrived: it is back in pharmacist review" in told.body
    assert f"/work/{item.pk}/" in told.body
    # By numbers only: nothing of the member in an email.
    member = pa.member
    assert member.last_name not in told.body and member.member_id not in told.body


def test_whoever_records_the_information_is_not_told_of_it(
    pended, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(users, pended, role="pharmacist", note="Called the office: labs on the way.")
    assert mail.outbox == []


def test_the_request_keeps_its_criteria_version(pended, users):
    stricter = copy.deepcopy(QUESTIONNAIRE)
    stricter["item"].append({"linkId": "bmi", "text": "BMI", "type": "decimal", "required": True})
    newer = criteria_upload(
        actor=None,
        code="glp1-t2d",
        title="GLP-1 agonists for type 2 diabetes",
        rxcuis=[SEMAGLUTIDE],
        questionnaire=json.dumps(stricter),
        decision=json.dumps(DECISION),
    ).criteria
    assert newer.version == 2
    pa = receive(users, pended, answers=NOW_MEETS)  # v2 would want the BMI
    assert pa.status == Status.APPROVED and pa.criteria.version == 1


def test_an_overdue_request_stays_overdue(pended, users):
    PriorAuthRequest.objects.filter(pk=pended.pk).update(due_at=timezone.now() - timedelta(hours=1))
    pa = receive(users, pended, answers={"a1c": "7.4"})
    pa.refresh_from_db()
    assert pa.is_overdue()


def test_null_takes_an_answer_away(submit, users):
    pa = submit({**FALLS_SHORT, "tried_metformin": True, "metformin_days": 30})
    pa = prior_auth_pend(actor=users["pharmacist"], request_id=pa.pk, information=ASKED)
    pa = receive(users, pa, answers={"tried_metformin": False, "metformin_days": None})
    assert "metformin_days" not in pa.answers and pa.answers["tried_metformin"] is False
    assert pa.information_receipts.get().changed_answers["metformin_days"] == {
        "before": 30,
        "after": None,
    }


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({}, "note", "Record what arrived"),
        ({"answers": {"a1c": "6.2"}}, "note", "Record what arrived"),  # same as on file
        ({"answers": {"a1c": "high"}}, "answers.a1c", "expected a number"),
        ({"answers": {"metformin_days": 100}}, "answers.metformin_days", "does not apply"),
        ({"answers": {"diagnosis": None}}, "answers.diagnosis", "an answer is required"),
        ({"answers": {"bmi": 31}}, "answers.bmi", "no such question"),
        (
            {"note": "Fax", "document": Fax("labs.pdf", b"not a pdf")},
            "document",
            "content",
        ),
    ],
)
def test_bad_information_is_refused_and_changes_nothing(pended, users, kwargs, field, says):
    with pytest.raises(InvalidInput) as refused:
        receive(users, pended, **kwargs)
    assert refused.value.field == field and says in refused.value.message
    _unchanged(pended)


def test_only_a_pended_request_takes_information(submit, users):
    referred = submit(FALLS_SHORT)
    with pytest.raises(Conflict) as refused:
        receive(users, referred, note="Labs.")
    assert "is not pended for more information" in refused.value.message
    _unchanged(referred)


@pytest.mark.parametrize("role", ["auditor", "provider", "groupadmin", "employer"])
def test_only_intake_staff_record_information(pended, users, role):
    # The provider acts for no NPI: only a provider of the request's NPI sends information.
    with pytest.raises(NotPermitted):
        receive(users, pended, role=role, note="Labs.")
    _unchanged(pended)


# --- API ----------------------------------------------------------------------------------


def url(pa):
    return f"/api/priorauth/requests/{pa.pk}/information"


def test_api_records_answers_and_a_document(pended, api_client):
    document = {"file_name": "labs.pdf", "content_base64": base64.b64encode(PDF).decode()}
    response = api_client("rep").post(
        url(pended),
        {"answers": NOW_MEETS, "note": "Labs.", "document": document},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["status"] == "approved" and out["answers"]["a1c"] == "8.1"
    assert [letter["kind"] for letter in out["letters"]] == ["more_information", "approval"]
    assert Attachment.objects.get().original_name == "labs.pdf"


@pytest.mark.parametrize(
    ("role", "payload", "status", "where"),
    [
        ("rep", {"answers": {"a1c": "high"}}, 422, "answers.a1c"),
        ("rep", {"note": ""}, 422, "note"),
        (
            "rep",
            {"note": "x", "document": {"file_name": "a.pdf", "content_base64": "%%%"}},
            422,
            "content_base64",
        ),
        ("auditor", {"note": "Labs."}, 403, None),
        ("employer", {"note": "Labs."}, 403, None),
        ("provider", {"note": "Labs."}, 404, None),  # acts for no NPI: sees no request
    ],
)
def test_api_refusals(pended, api_client, role, payload, status, where):
    response = api_client(role).post(url(pended), payload, content_type="application/json")
    assert response.status_code == status, response.content
    if where:
        body = response.json()
        assert where in str(body.get("field")) or where in str(body["detail"])
    _unchanged(pended)


def _refusal(response) -> tuple[str, str]:
    """The field a refusal names and what it says: where in the body a schema error is,
    or the field of a service's refusal."""
    body = response.json()
    if isinstance(body["detail"], list):
        [error] = body["detail"]
        return ".".join(error["loc"][2:]), error["msg"]  # after ("body", "body")
    return body["field"], body["detail"]


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


@pytest.mark.parametrize(
    ("file_name", "content", "field", "says"),
    [
        ("labs.pdf", "%%%", "document.content_base64", "not valid base64"),
        ("labs.pdf", 42, "document.content_base64", "a base64 string"),
        ("labs.pdf", "", "document", "labs.pdf is empty"),
        ("labs.pdf", b64(b"not a pdf"), "document", "but its content is"),
        ("labs.exe", b64(PDF), "document", ".exe not accepted"),
        ("labs.pdf", b64(PDF + b"%%EOF\n"), "document", "larger than the"),
    ],
)
def test_api_refuses_a_bad_document_naming_its_field(
    pended, api_client, settings, file_name, content, field, says
):
    settings.PAYERDESK_ATTACHMENT_MAX_BYTES = len(PDF)
    document = {"file_name": file_name, "content_base64": content}
    response = api_client("rep").post(
        url(pended), {"note": "Labs.", "document": document}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    named, message = _refusal(response)
    assert named == field and says in message
    _unchanged(pended)


def test_api_refuses_a_request_not_pended(submit, api_client):
    referred = submit(FALLS_SHORT)
    response = api_client("rep").post(url(referred), {"note": "x"}, content_type="application/json")
    assert response.status_code == 409


# --- page ---------------------------------------------------------------------------------


def test_page_shows_the_form_with_the_answers_on_file(pended, users, client_for):
    page = client_for(users["rep"]).get(reverse("priorauth:request-detail", args=[pended.pk]))
    text = page.content.decode()
    assert "More information received" in text and ASKED in text
    assert 'name="q_a1c" id="id_q_a1c" value="6.2"' in text
    # A branching answer asks the request's own questions again, by the request's id.
    questions = reverse("priorauth:request-information-questions", args=[pended.pk])
    assert f'hx-get="{questions}"' in text and 'name="criteria"' not in text
    assert 'name="q_tried_metformin" value="false" checked' in text
    assert "q_metformin_days" not in text  # not enabled by the answers on file
    auditor = client_for(users["auditor"]).get(
        reverse("priorauth:request-detail", args=[pended.pk])
    )
    assert b"Record and decide again" not in auditor.content


def test_page_records_and_decides_again(pended, users, client_for):
    client = client_for(users["pharmacist"])
    post = reverse("priorauth:request-information", args=[pended.pk])
    answers = {"q_diagnosis": "E11", "q_a1c": "8.1", "q_tried_metformin": "true"}
    # Without JavaScript, the follow-up appears on refresh, with nothing stored.
    shown = client.post(post, {**answers, "refresh": "1"})
    assert shown.status_code == 200 and b"q_metformin_days" in shown.content
    missing = client.post(post, answers)
    assert missing.status_code == 422 and b"an answer is required" in missing.content
    _unchanged(pended)
    done = client.post(post, {**answers, "q_metformin_days": "120", "note": "Fax of 11/20"})
    assert done.status_code == 302
    pended.refresh_from_db()
    assert pended.status == Status.APPROVED
    page = client.get(reverse("priorauth:request-detail", args=[pended.pk]))
    assert b"Information received" in page.content and b"Fax of 11/20" in page.content


def test_page_refuses_a_form_over_the_body_limit_saying_so(pended, users, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    client = client_for(users["pharmacist"])
    post = reverse("priorauth:request-information", args=[pended.pk])
    too_big = client.post(post, {"q_a1c": "8.1", "note": "Labs. " * 500})
    assert too_big.status_code == 413
    assert b"The request body is larger than the 2,048-byte limit." in too_big.content
    assert b"Nothing was saved" in too_big.content and b"<nav" in too_big.content
    _unchanged(pended)


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("labs.pdf", b"", "The submitted file is empty"),
        ("labs.pdf", b"not a pdf", "but its content is"),
        ("labs.exe", PDF, ".exe not accepted"),
        ("labs.pdf", PDF + b"%%EOF\n", "larger than the"),
    ],
)
def test_page_refuses_a_bad_document_on_its_field(
    pended, users, client_for, settings, name, content, says
):
    settings.PAYERDESK_ATTACHMENT_MAX_BYTES = len(PDF)
    response = client_for(users["rep"]).post(
        reverse("priorauth:request-information", args=[pended.pk]),
        {"note": "Fax of 11/20", "document": SimpleUploadedFile(name, content)},
    )
    assert response.status_code in (400, 422)
    [error] = response.context["information_form"].errors["document"]
    assert says in error
    _unchanged(pended)


def test_page_refuses_roles_that_do_not_record(pended, users, client_for):
    response = client_for(users["auditor"]).post(
        reverse("priorauth:request-information", args=[pended.pk]), {"note": "Labs."}
    )
    assert response.status_code == 403
    _unchanged(pended)


def _criteria_v2() -> CriteriaSet:
    """A newer version of the request's criteria, which also asks for the BMI."""
    stricter = copy.deepcopy(QUESTIONNAIRE)
    stricter["item"].append({"linkId": "bmi", "text": "BMI", "type": "decimal", "required": True})
    return criteria_upload(
        actor=None,
        code="glp1-t2d",
        title="GLP-1 v2",
        rxcuis=[SEMAGLUTIDE],
        questionnaire=json.dumps(stricter),
        decision=json.dumps(DECISION),
    ).criteria


def test_intake_asks_the_drugs_current_criteria_whatever_version_is_asked_for(
    pended, users, client_for
):
    _criteria_v2()
    client = client_for(users["rep"])
    questions = reverse("priorauth:request-questions")
    tampered = {"drug": SEMAGLUTIDE, "criteria": pended.criteria_id}
    for params in ({"drug": SEMAGLUTIDE}, tampered):
        shown = client.get(questions, params, headers={"HX-Request": "true"})
        assert b"q_bmi" in shown.content and b"GLP-1 v2, version 2" in shown.content
    # Without JavaScript, the same.
    refreshed = client.post(reverse("priorauth:request-new"), {**tampered, "refresh": "1"})
    assert refreshed.status_code == 200 and b"q_bmi" in refreshed.content


def test_information_questions_are_the_requests_own_version_whatever_is_asked_for(
    pended, users, client_for
):
    newer = _criteria_v2()
    url = reverse("priorauth:request-information-questions", args=[pended.pk])
    tampered = {"drug": ADALIMUMAB, "criteria": newer.pk, "q_tried_metformin": "true"}
    shown = client_for(users["rep"]).get(url, tampered, headers={"HX-Request": "true"})
    assert shown.status_code == 200 and b"<html" not in shown.content
    assert b"semaglutide" in shown.content and b"version 1" in shown.content
    assert b"q_bmi" not in shown.content
    assert b"q_metformin_days" in shown.content  # enabled by the answer sent
    assert AccessLogEntry.objects.filter(
        user=users["rep"], record_id=str(pended.pk), channel="web", path=url
    ).exists()


def test_information_questions_are_refused_as_the_form_is(pended, submit, users, client_for):
    def status(role, pa=pended):
        url = reverse("priorauth:request-information-questions", args=[pa.pk])
        return client_for(users[role]).get(url).status_code

    assert status("auditor") == 403  # reads the request, records nothing
    assert status("provider") == 404  # not their request: as if there were none
    provider_link(actor=None, user=users["provider"], npi=NPI)
    assert status("provider") == 200  # their prescriber's request: they send the information
    assert status("rep", submit(FALLS_SHORT)) == 403  # not pended


def test_api_takes_a_document_at_the_attachment_limit_and_refuses_a_larger_body(
    pended, api_client, settings
):
    """Base64 makes a document a third larger in JSON: the body limit leaves room for the
    largest attachment; a body over it is a 413 that says so, and nothing changes."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE > settings.PAYERDESK_ATTACHMENT_MAX_BYTES * 4 / 3
    settings.PAYERDESK_ATTACHMENT_MAX_BYTES = 3000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3000 * 4 // 3 + 1024
    largest = PDF + b"%" * (3000 - len(PDF))
    document = {"file_name": "labs.pdf", "content_base64": b64(largest)}
    client = api_client("rep")
    too_big = client.post(
        url(pended),
        {"note": "Labs." + " " * 2000, "document": document},
        content_type="application/json",
    )
    assert too_big.status_code == 413, too_big.content
    assert too_big.json() == {
        "detail": "The request body is larger than the 5,024-byte limit.",
        "code": "invalid",
    }
    _unchanged(pended)
    taken = client.post(
        url(pended), {"note": "Labs.", "document": document}, content_type="application/json"
    )
    assert taken.status_code == 200, taken.content

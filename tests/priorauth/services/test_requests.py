"""Intake through the service: auto-approval, referral, duplicates, exceptions, bad input."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from pypdf import PdfReader

from payerdesk.core.errors import Conflict, InvalidInput, NotPermitted
from payerdesk.core.models import Attachment, TimelineEvent, WorkItem
from payerdesk.priorauth.models import Letter, PriorAuthRequest, Status
from payerdesk.priorauth.services.prescribers import provider_link
from payerdesk.priorauth.services.requests import NO_CRITERIA, Fax, prior_auth_statement_add
from tests.priorauth.conftest import ADALIMUMAB, BRAND_X, FALLS_SHORT, MEETS, SEMAGLUTIDE

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_answers_that_meet_the_criteria_are_approved_at_once(
    submit, criteria, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pa = submit(MEETS)
    pa.refresh_from_db()
    assert pa.status == Status.APPROVED and pa.decision == "approved" and pa.automatic
    assert pa.criteria == criteria and pa.criteria.version == 1
    assert (pa.approval_end - pa.approval_start).days == 179  # the graph's 180 days
    assert pa.decided_at is not None and pa.decided_by is None
    assert pa.answers == {
        "diagnosis": "E11",
        "a1c": "8.1",
        "tried_metformin": True,
        "metformin_days": 120,
    }
    item = pa.work_item
    assert item.status == "approved" and item.closed_at is not None
    assert item.queue.slug == "coverage-review"
    letter = pa.letters.get()
    assert letter.kind == Letter.Kind.APPROVAL
    text = pdf_text(bytes(letter.content))
    assert "approved coverage of semaglutide" in text and pa.number in text
    assert pa.approval_end.strftime("%B %d, %Y") in text
    [notice] = mail.outbox
    assert notice.to == ["ruiz@clinic.example"]
    assert notice.attachments[0][0] == letter.file_name
    assert notice.attachments[0][1] == bytes(letter.content)


def test_answers_that_fall_short_go_to_a_pharmacist_with_the_unmet_criteria(submit):
    pa = submit(FALLS_SHORT)
    assert pa.status == Status.IN_REVIEW and pa.decision == ""
    assert pa.unmet == ["A1c below 7%", "Metformin tried for fewer than 90 days"]
    item = WorkItem.objects.get(pk=pa.work_item_id)
    assert item.queue.slug == "pharmacist-review" and item.status == "in_review"
    assert item.closed_at is None
    assert not pa.letters.exists()  # the system never denies on its own
    summaries = list(item.timeline.values_list("summary", flat=True))
    assert any("A1c below 7%" in line for line in summaries)


def test_a_drug_without_criteria_goes_to_a_pharmacist(submit):
    pa = submit({}, drug=ADALIMUMAB)
    assert pa.status == Status.IN_REVIEW and pa.criteria is None
    assert pa.unmet == [NO_CRITERIA]


def test_ndc_finds_the_drug_too(submit):
    pa = submit(MEETS, drug="00169413212")
    assert pa.drug.rxcui == SEMAGLUTIDE


def test_due_time_comes_from_line_of_business_and_urgency(submit):
    pa = submit(FALLS_SHORT, line_of_business="medicare_part_d", urgency="expedited")
    assert pa.due_at - pa.clock_start == timedelta(hours=24)
    assert pa.work_item.due_at == pa.due_at
    assert pa.work_item.escalate_at == pa.due_at - timedelta(hours=4)
    medicaid = submit(FALLS_SHORT, line_of_business="medicaid", member_id="M100")
    assert medicaid.due_at - medicaid.clock_start == timedelta(days=7)


def test_a_second_request_while_one_is_open_is_flagged_duplicate(submit):
    first = submit(FALLS_SHORT)
    second = submit(FALLS_SHORT)
    assert first.duplicate_of is None
    assert second.duplicate_of == first
    assert f"Duplicate: {first.number} for the same member and drug" in (
        second.work_item.description
    )
    # One creation event per item, as for every kind of work.
    assert second.work_item.timeline.filter(event=TimelineEvent.Event.CREATED).count() == 1


def test_no_duplicate_once_the_earlier_request_is_decided(submit):
    submit(MEETS)
    assert submit(MEETS).duplicate_of is None


def test_an_exception_waits_for_the_statement_and_its_clock_starts_then(submit, users):
    pa = submit({}, drug=BRAND_X)
    assert pa.request_type == "exception"
    assert pa.status == Status.AWAITING_STATEMENT
    assert pa.clock_start is None and pa.due_at is None
    assert pa.work_item.queue.slug == "coverage-review"
    pa = prior_auth_statement_add(
        actor=users["rep"], request_id=pa.pk, statement="Generic failed: rash after 2 weeks."
    )
    assert pa.statement_received_at is not None
    assert pa.clock_start == pa.statement_received_at
    assert pa.due_at == pa.clock_start + timedelta(hours=72)
    assert pa.status == Status.IN_REVIEW  # no criteria for Brandex: a pharmacist decides
    assert pa.work_item.queue.slug == "pharmacist-review"


def test_an_exception_awaiting_its_statement_is_not_escalated_on_the_regulatory_clock(
    submit, users, sla_policy
):
    """Expedited Part D: 24 hours from the statement. Before it, the item is due by the
    intake queue's policy (72 hours here), the time a rep has to chase the statement."""
    pa = submit({}, drug=BRAND_X, urgency="expedited")
    item = pa.work_item
    assert item.due_at == item.created_at + timedelta(hours=72)
    assert item.escalate_at == item.due_at - timedelta(hours=sla_policy.escalate_before_hours)
    pa = prior_auth_statement_add(
        actor=users["rep"], request_id=pa.pk, statement="Generic failed: rash after 2 weeks."
    )
    pa.work_item.refresh_from_db()
    assert pa.statement_received_at is not None
    assert pa.due_at == pa.statement_received_at + timedelta(hours=24) == pa.work_item.due_at
    assert pa.work_item.escalate_at < pa.work_item.due_at


def test_an_exception_with_its_statement_starts_its_clock_on_receipt(submit):
    pa = submit({}, drug=BRAND_X, supporting_statement="Allergic to the generic's dye.")
    assert pa.clock_start == pa.received_at == pa.statement_received_at
    assert pa.status == Status.IN_REVIEW


def test_a_statement_is_refused_when_none_is_awaited(submit, users):
    pa = submit(FALLS_SHORT)
    with pytest.raises(Conflict):
        prior_auth_statement_add(actor=users["rep"], request_id=pa.pk, statement="x")


def test_a_faxed_form_is_attached_to_the_new_request(submit, users):
    pa = submit(FALLS_SHORT, channel="fax", fax=Fax("form.pdf", PDF))
    attachment = Attachment.objects.get(work_item=pa.work_item)
    assert attachment.original_name == "form.pdf" and attachment.content_type == "application/pdf"


def _nothing_stored():
    assert not PriorAuthRequest.objects.exists()
    assert not WorkItem.objects.filter(kind="prior_auth").exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"member_id": "NOPE"}, "member_id", "No member 'NOPE'"),
        ({"drug": "424242"}, "drug", "No drug with RXCUI or NDC '424242'"),
        ({"prescriber_npi": "1245319599"}, "prescriber_npi", "No prescriber with NPI 1245319599"),
        ({"prescriber_npi": "1234567890"}, "prescriber_npi", "not a valid NPI"),
        ({"prescriber_npi": "12345"}, "prescriber_npi", "not a valid NPI"),
        ({"urgency": "whenever"}, "urgency", "'whenever' is not one of"),
        ({"line_of_business": "vision"}, "line_of_business", "'vision' is not one of"),
        ({"answers": {**MEETS, "a1c": "high"}}, "answers.a1c", "a1c: expected a number"),
        ({"answers": {**MEETS, "diagnosis": "Z99"}}, "answers.diagnosis", "not one of the options"),
        (
            {"answers": {**MEETS, "tried_metformin": "maybe"}},
            "answers.tried_metformin",
            "expected true or false",
        ),
        (
            {"answers": {"diagnosis": "E11", "tried_metformin": False}},
            "answers.a1c",
            "a1c: an answer is required",
        ),
        (
            {"answers": {**MEETS, "metformin_days": None}},
            "answers.metformin_days",
            "metformin_days: an answer is required",
        ),
        (
            {"answers": {**FALLS_SHORT, "metformin_days": 30}},
            "answers.metformin_days",
            "metformin_days: this question does not apply",
        ),
        ({"answers": {**MEETS, "bmi": 31}}, "answers.bmi", "bmi: no such question"),
        ({"fax": Fax("form.pdf", b"not a pdf")}, "fax", "its content is"),
        ({"fax": Fax("form.pdf", b"")}, "fax", "form.pdf is empty"),
        ({"fax": Fax("form.doc", PDF)}, "fax", ".doc not accepted"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(submit, overrides, field, says):
    with pytest.raises(InvalidInput) as refused:
        submit(**overrides)
    assert refused.value.field == field
    assert says in refused.value.message
    assert refused.value.http_status == 422
    _nothing_stored()


def test_answers_for_a_drug_without_criteria_are_refused(submit):
    with pytest.raises(InvalidInput) as refused:
        submit({"anything": True}, drug=ADALIMUMAB)
    assert refused.value.field == "answers.anything"
    _nothing_stored()


def test_roles_without_intake_are_refused(submit):
    for role in ("groupadmin", "auditor", "employer"):
        with pytest.raises(NotPermitted):
            submit(actor=role)
    _nothing_stored()


def test_a_provider_submits_only_for_an_npi_they_act_for(submit, users, prescriber):
    with pytest.raises(NotPermitted):
        submit(actor="provider")
    provider_link(actor=None, user=users["provider"], npi=prescriber.npi)
    pa = submit(FALLS_SHORT, actor="provider", channel="online")
    assert pa.submitted_by == users["provider"]

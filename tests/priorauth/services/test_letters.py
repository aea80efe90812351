"""Determination letters: due with the decision, made and sent by the worker, exactly once."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from payerdesk.core.errors import NotFound
from payerdesk.priorauth.models import Letter
from payerdesk.priorauth.services import letters as letter_services
from payerdesk.priorauth.services.letters import letter_issue
from payerdesk.priorauth.services.requests import prior_auth_deny, prior_auth_pend
from payerdesk.priorauth.tasks import issue_due_letters, issue_letter
from tests.priorauth.conftest import FALLS_SHORT, MEETS
from tests.priorauth.services.test_requests import pdf_text

REASON = "A1c of 6.2% is below the 7% the criteria require, and metformin was not tried."


def test_a_decision_records_a_due_letter_and_queues_its_task_on_commit(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        pa = submit(MEETS)
    letter = pa.letters.get()
    assert letter.kind == Letter.Kind.APPROVAL and letter.sent_to == "ruiz@clinic.example"
    assert not letter.is_issued and bytes(letter.content) == b"" and letter.sha256 == ""
    assert mail.outbox == []  # nothing is made or sent before the decision commits
    assert len(after_commit) == 1
    after_commit[0]()  # the worker runs the queued task (ImmediateBackend)
    letter.refresh_from_db()
    assert letter.is_issued and "approved coverage of semaglutide" in pdf_text(letter.content)
    assert mail.outbox == []  # the notice itself is queued once the letter is kept


def test_running_the_letter_task_again_makes_no_second_letter_or_email(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the decision's queued task is not run here
        pa = submit(MEETS)
    letter = pa.letters.get()
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_letter.enqueue(letter.pk)
    letter.refresh_from_db()
    content, issued_at = bytes(letter.content), letter.issued_at
    with django_capture_on_commit_callbacks(execute=True):
        again = issue_letter.enqueue(letter.pk)
    assert (first.return_value, again.return_value) == (True, False)
    letter.refresh_from_db()
    assert bytes(letter.content) == content and letter.issued_at == issued_at
    assert pa.letters.count() == 1
    [notice] = mail.outbox
    assert notice.to == ["ruiz@clinic.example"]
    assert notice.attachments[0][0] == letter.file_name
    assert notice.attachments[0][1] == content


def test_the_letter_quotes_the_decision_as_it_was_when_made(
    submit, users, django_capture_on_commit_callbacks
):
    """A pend asked again before the worker ran: each letter says what its pend asked."""
    pa = submit(FALLS_SHORT)
    pharmacist = users["pharmacist"]
    with django_capture_on_commit_callbacks(execute=True):
        prior_auth_pend(actor=pharmacist, request_id=pa.pk, information="Send labs.")
        prior_auth_pend(actor=pharmacist, request_id=pa.pk, information="Send notes.")
        prior_auth_deny(actor=pharmacist, request_id=pa.pk, reason=REASON)
    first, second, denial = pa.letters.order_by("id")
    assert "Send labs." in pdf_text(first.content) and "Send notes." not in pdf_text(first.content)
    assert "Send notes." in pdf_text(second.content)
    assert denial.kind == Letter.Kind.DENIAL and "A1c of 6.2% is below" in pdf_text(denial.content)
    assert len(mail.outbox) == 3


def test_a_letter_that_does_not_exist_is_refused(db):
    with pytest.raises(NotFound):
        letter_issue(letter_id=404)


def test_the_api_shows_a_due_letter_until_the_worker_issues_it(
    setup, api_client, django_capture_on_commit_callbacks
):
    payload = {
        "member_id": "M100",
        "prescriber_npi": "1234567893",
        "drug": "1991306",
        "urgency": "standard",
        "line_of_business": "medicare_part_d",
        "answers": MEETS,
    }
    client = api_client("rep")
    with django_capture_on_commit_callbacks() as after_commit:
        out = client.post("/api/priorauth/requests", payload, content_type="application/json")
    [letter] = out.json()["letters"]
    assert letter["issued_at"] is None and letter["sha256"] == ""
    for callback in after_commit:
        callback()
    detail = client.get(f"/api/priorauth/requests/{out.json()['id']}").json()
    [letter] = detail["letters"]
    assert letter["issued_at"] is not None and len(letter["sha256"]) == 64


def test_the_catch_up_command_issues_every_due_letter_once(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # as if the worker were down
        first, second = submit(MEETS), submit(MEETS)
    out = StringIO()
    call_command("issue_letters", stdout=out)
    assert out.getvalue().strip() == "2 letter(s) issued."
    assert all(pa.letters.get().is_issued for pa in (first, second))
    again = StringIO()
    call_command("issue_letters", stdout=again)
    assert again.getvalue().strip() == "0 letter(s) issued."


def test_the_scheduled_letters_job_issues_each_due_letter_once(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # the decision's own task is lost
        pa = submit(MEETS)
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_due_letters.enqueue().return_value == 1
    letter = pa.letters.get()
    issued = (bytes(letter.content), letter.issued_at, len(mail.outbox))
    assert letter.is_issued and issued[2] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_due_letters.enqueue().return_value == 0
    letter.refresh_from_db()
    assert (bytes(letter.content), letter.issued_at, len(mail.outbox)) == issued


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_letter_task_is_written_with_the_decision_and_rolled_back_with_it(submit, settings):
    """With the database backend the task row is part of the decision's transaction (an
    outbox): a decision that commits has its task, and one that rolls back leaves none."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    pa = submit(MEETS)
    letter = pa.letters.get()
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "payerdesk.priorauth.tasks.issue_letter"
    assert queued.args_kwargs == {"args": [letter.pk], "kwargs": {}}
    assert not letter.is_issued  # the worker makes it, not the submission

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        submit(MEETS)
        raise Abandoned
    assert DBTaskResult.objects.count() == 1 and Letter.objects.count() == 1


def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs_in_tests(
    submit, django_capture_on_commit_callbacks, monkeypatch
):
    """The test backend runs a task when its transaction commits, as the worker would
    see it only then: rolled back, the letter is neither made nor queued."""
    from django.db import transaction

    class Abandoned(Exception):
        pass

    runs = []
    monkeypatch.setattr(letter_services, "letter_issue", lambda **kwargs: runs.append(kwargs))
    with (
        django_capture_on_commit_callbacks(execute=True) as after_commit,
        pytest.raises(Abandoned),
        transaction.atomic(),
    ):
        submit(MEETS)
        raise Abandoned
    assert runs == [] and after_commit == [] and Letter.objects.count() == 0

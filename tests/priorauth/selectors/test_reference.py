"""Intake's cached reference data follows every change: in this process and in others."""

import copy
import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payerdesk.core.errors import InvalidInput
from payerdesk.core.models import Queue
from payerdesk.priorauth.models import ClockRule, CriteriaDrug, CriteriaSet, Status
from payerdesk.priorauth.services.criteria import criteria_upload
from payerdesk.priorauth.services.formulary import formulary_import
from tests.priorauth.api.test_requests import URL, body
from tests.priorauth.conftest import DECISION, MEETS, QUESTIONNAIRE, SEMAGLUTIDE, pa_files


def _refers_everything() -> dict[str, object]:
    """The demo graph with its approval rule turned into a referral."""
    changed = copy.deepcopy(DECISION)
    rules = changed["nodes"][2]["content"]["rules"]
    rules[0].update({"o": "'refer'", "d": "", "u": "['Sent for review by policy']"})
    return changed


def test_a_new_criteria_version_applies_to_the_next_request(submit):
    first = submit(MEETS)
    assert first.status == Status.APPROVED and first.criteria.version == 1
    criteria_upload(
        actor=None,
        code="glp1-t2d",
        title="GLP-1",
        rxcuis=[SEMAGLUTIDE],
        questionnaire=json.dumps(QUESTIONNAIRE),
        decision=json.dumps(_refers_everything()),
    )
    second = submit(MEETS)
    assert second.criteria.version == 2
    assert second.status == Status.IN_REVIEW and second.unmet == ["Sent for review by policy"]


def test_a_version_added_by_another_process_is_seen_too(submit):
    """Bulk inserts send no signals, as an upload in another worker process sends none
    here: the stamp read with each request must notice it."""
    assert submit(MEETS).status == Status.APPROVED
    latest = CriteriaSet.objects.get()
    [added] = CriteriaSet.objects.bulk_create(
        [
            CriteriaSet(
                code=latest.code,
                version=2,
                title=latest.title,
                rxcuis=latest.rxcuis,
                questionnaire=QUESTIONNAIRE,
                decision=_refers_everything(),
                sha256=hashlib.sha256(b"elsewhere").hexdigest(),
            )
        ]
    )
    CriteriaDrug.objects.bulk_create([CriteriaDrug(criteria=added, rxcui=SEMAGLUTIDE)])
    second = submit(MEETS)
    assert second.criteria.version == 2 and second.status == Status.IN_REVIEW


def test_a_new_formulary_without_the_drug_makes_an_exception(submit, users):
    assert submit(MEETS).request_type == "prior_auth"
    formulary, names = pa_files()
    rows = formulary.read().decode().replace("00026123|8|", "00026123|9|").splitlines()
    without = "\n".join(line for line in rows if SEMAGLUTIDE not in line) + "\n"
    formulary_import(
        actor=None,
        formulary_name="basic-v9.txt",
        formulary_content=without.encode(),
        names_name="names.txt",
        names_content=names.read(),
    )
    later = submit(MEETS, supporting_statement="Tried every alternative on the formulary.")
    assert later.request_type == "exception" and later.formulary_drug is None


def test_a_changed_clock_rule_applies_at_once_even_from_another_process(submit):
    first = submit(MEETS, line_of_business="commercial")
    assert first.due_at - first.clock_start == timedelta(hours=72)
    # A queryset update sends no signals: as if an admin changed it in another process.
    ClockRule.objects.filter(line_of_business="commercial", urgency="standard").update(
        hours=36, escalate_before_hours=3
    )
    second = submit(MEETS, line_of_business="commercial")
    assert second.due_at - second.clock_start == timedelta(hours=36)
    assert second.work_item.escalate_at == second.due_at - timedelta(hours=3)


def test_a_renamed_queue_is_named_in_the_next_item(submit):
    submit(MEETS)
    Queue.objects.filter(slug="coverage-review").update(name="PA intake")
    item = submit(MEETS).work_item
    assert item.timeline.get(event="created").summary.endswith("opened in PA intake")


def test_an_auto_approval_reads_little(submit):
    submit(MEETS)  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        pa = submit(MEETS)
    assert pa.status == Status.APPROVED
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    # Clock rule, reference stamp (formularies, criteria sets), queues, prescriber, member,
    # open duplicate.
    assert len(selects) <= 7, "\n".join(selects)
    # The stamp counts the criteria sets; none is read again (the cache has them).
    rows_read = [sql for sql in selects if "MAX(" not in sql]
    assert not any('"priorauth_criteriaset"' in sql for sql in rows_read)


def test_ndcs_that_differ_only_in_their_hyphens_are_other_drugs(submit):
    """0169-4132-12 (4-4-2) is 00169413212; 01694-132-12 (5-3-2) is 01694013212, which the
    formulary does not list: the cache must not answer it with the first."""
    assert submit(MEETS, drug="0169-4132-12").drug.rxcui == SEMAGLUTIDE
    with pytest.raises(InvalidInput, match="No drug with RXCUI or NDC") as refused:
        submit(MEETS, drug="01694-132-12")
    assert refused.value.field == "drug"


def test_a_submission_over_rest_shows_its_letters_without_reading_them_back(setup, api_client):
    client = api_client("rep")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, body(), content_type="application/json")
    assert response.status_code == 201
    made = response.json()["letters"]
    assert [letter["kind"] for letter in made] == ["approval"]
    assert not any('FROM "priorauth_letter"' in q["sql"] for q in queries)
    # Read afterwards, the request shows the same letters from the database.
    again = client.get(f"{URL}/{response.json()['id']}").json()["letters"]
    assert [letter["id"] for letter in again] == [letter["id"] for letter in made]


def test_an_approval_writes_its_item_request_and_letter(setup, api_client):
    with CaptureQueriesContext(connection) as queries:
        response = api_client("rep").post(URL, body(), content_type="application/json")
    assert response.status_code == 201 and response.json()["decision"] == "approved"
    writes = [q["sql"] for q in queries if "INSERT INTO" in q["sql"]]
    written = {table for sql in writes for table in re.findall(r'INSERT INTO "(\w+)"', sql)}
    assert {"core_workitem", "priorauth_priorauthrequest", "priorauth_letter"} <= written

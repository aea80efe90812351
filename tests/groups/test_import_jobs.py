"""Large imports run as background jobs: the job records state, progress and the result or
the located error; the status page polls with htmx; jobs are read only by who may read
the file. Tests run django-tasks' immediate backend, so a job has run once queued."""

from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from payerdesk.groups.models import ImportJob, Member
from payerdesk.groups.services import imports
from tests.groups.services.test_census import ACCIDENT, EMPLOYEE, csv_file
from tests.groups.x834_build import hd, loop, x834


@pytest.fixture
def small_threshold(settings):
    settings.PAYERDESK_IMPORT_BACKGROUND_BYTES = 10


def test_a_large_upload_becomes_a_job_and_its_page_shows_the_result(
    small_threshold, term_life, accident, users, client_for
):
    client = client_for(users["groupadmin"])
    content = csv_file(EMPLOYEE, ACCIDENT)
    response = client.post("/groups/census/", {"file": SimpleUploadedFile("c.csv", content)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/groups/imports/{job.pk}/"
    assert (job.state, job.kind, job.processed, job.total) == ("done", "census", 2, 2)
    page = client.get(response["Location"]).content.decode()
    assert "Done" in page and 'value="100"' in page and "Applied" in page
    assert "hx-get" not in page  # finished: no more polling
    assert Member.objects.count() == 1


def test_a_running_job_shows_its_progress_and_polls(users, client_for):
    job = ImportJob(kind="834", name="big.834", sha256="0" * 64, size=1, total=400,
                    state="running", created_by=users["groupadmin"])  # fmt: skip
    job.content.save("big", ContentFile(b"x"), save=False)
    job.save()
    imports.progress_write(job.pk, 100)
    client = client_for(users["groupadmin"])
    fragment = client.get(f"/groups/imports/{job.pk}/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<h1>" not in html and 'value="25"' in html and "100 of about 400 members" in html
    assert 'hx-trigger="load delay:1s"' in html
    assert 'http-equiv="refresh"' in client.get(f"/groups/imports/{job.pk}/").content.decode()


def test_a_failed_job_keeps_the_located_error_and_applies_nothing(
    small_threshold, term_life, users, client_for
):
    good = loop("021", "300", hd("021", "LIF", begin="20260101", amount="50000"))
    bad = x834([good, loop("021", "301", hd("021", "LIF", begin="20260101", amount="900000"))])
    client = client_for(users["groupadmin"])
    response = client.post("/groups/enrollment/", {"file": SimpleUploadedFile("b.834", bad)})
    job = ImportJob.objects.get()
    assert job.state == "failed" and "segment 21 (HD): the benefit 900000 is above" in job.error
    assert "Nothing was applied" in client.get(response["Location"]).content.decode()
    assert not Member.objects.exists()


def test_the_api_queues_large_files_and_reports_the_job(
    small_threshold, term_life, accident, api_client
):
    content = csv_file(EMPLOYEE, ACCIDENT)
    queued = api_client("groupadmin").post(
        "/api/census/files?dry_run=true", {"file": SimpleUploadedFile("c.csv", content)}
    )
    assert queued.status_code == 202
    job = queued.json()
    assert job["state"] == "done" and job["dry_run"] is True
    polled = api_client("groupadmin").get(job["status_url"]).json()
    assert polled["result"]["rows"] == 2 and not Member.objects.exists()
    assert api_client("supervisor").get(job["status_url"]).status_code == 200
    assert api_client("rep").get(job["status_url"]).status_code == 404


def test_a_job_is_hidden_from_another_group_administrator(
    small_threshold, term_life, accident, users, make_user, client_for
):
    from payerdesk.core.roles import Role

    imports.import_job_create(actor=users["groupadmin"], kind="census", name="c.csv",
                              content=csv_file(EMPLOYEE), dry_run=True)  # fmt: skip
    job = ImportJob.objects.get()
    other = make_user("groupadmin2", Role.GROUP_ADMIN, ("TRI",))
    assert client_for(other).get(f"/groups/imports/{job.pk}/").status_code == 404
    assert client_for(users["auditor"]).get(f"/groups/imports/{job.pk}/").status_code == 200


def test_a_job_runs_once(small_threshold, term_life, accident, users):
    job = imports.import_job_create(actor=users["groupadmin"], kind="census", name="c.csv",
                                    content=csv_file(EMPLOYEE), dry_run=False)  # fmt: skip
    assert job.state == "done"
    assert imports.import_job_run(job_id=job.pk) == "not queued"
    assert Member.objects.count() == 1


def test_the_api_applies_small_census_files_at_once(term_life, accident, api_client):
    content = csv_file(EMPLOYEE, ACCIDENT)
    applied = api_client("groupadmin").post(
        "/api/census/files", {"file": SimpleUploadedFile("c.csv", content)}
    )
    assert applied.status_code == 200 and applied.json()["members_added"] == 1
    bad = api_client("groupadmin").post(
        "/api/census/files",
        {"file": SimpleUploadedFile("d.csv", csv_file(EMPLOYEE.replace("F,1 Main", "Q,1 Main")))},
    )
    assert bad.status_code == 422 and "row 2, column sex: 'Q'" in bad.json()["detail"]


def test_the_census_page_rehearses_then_applies(term_life, accident, users, client_for):
    client = client_for(users["groupadmin"])
    content = csv_file(EMPLOYEE, ACCIDENT)
    page = client.get("/groups/census/").content.decode()
    assert "Census import" in page and "benefit_amount" in page
    rehearsal = client.post(
        "/groups/census/", {"file": SimpleUploadedFile("c.csv", content), "dry_run": "on"}
    )
    assert "Dry run: nothing applied" in rehearsal.content.decode()
    assert not Member.objects.exists()
    applied = client.post("/groups/census/", {"file": SimpleUploadedFile("c.csv", content)})
    assert "Applied" in applied.content.decode() and Member.objects.count() == 1
    bad = client.post("/groups/census/", {"file": SimpleUploadedFile("c.csv", b"shoe_size\n1")})
    assert bad.status_code == 422 and "unknown column(s) &#x27;shoe_size&#x27;" in (
        bad.content.decode()
    )


def test_the_834_command_shows_a_progress_bar_on_stderr(term_life):
    from tempfile import NamedTemporaryFile

    content = x834([loop("021", str(n), hd("021", "LIF", begin="20260101", amount="50000"))
                    for n in range(300, 305)])  # fmt: skip
    with NamedTemporaryFile(suffix=".834") as file:
        file.write(content)
        file.flush()
        out, err = StringIO(), StringIO()
        call_command("import_834", file.name, stdout=out, stderr=err)
    assert "Applied." in out.getvalue() and Member.objects.count() == 5
    assert "5/5" in err.getvalue() and "members" in err.getvalue()

"""The auditor reads the formulary versions and criteria sets, without their upload forms."""

from django.urls import reverse


def test_the_auditor_reads_the_reference_pages_without_their_forms(users, client_for):
    client = client_for(users["auditor"])
    for name in ("priorauth:formulary-import", "priorauth:criteria-upload"):
        page = client.get(reverse(name))
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' not in page.content.decode()
        assert client.post(reverse(name), {}).status_code == 403


def test_the_administrator_still_uploads(users, client_for):
    page = client_for(users["admin"]).get(reverse("priorauth:criteria-upload"))
    assert 'enctype="multipart/form-data"' in page.content.decode()

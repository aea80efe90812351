"""Attachments: stored under their SHA-256, size limited, type judged by content."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from payerdesk.core import services
from payerdesk.core.errors import ErrorCode, InvalidInput, NotFound, NotPermitted
from payerdesk.core.models import Attachment, TimelineEvent
from tests.storage import stored_names

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
CSV = "member,plan,note\nA1,Gold,café\n".encode()
X12 = b"ISA*00*          *00*          *ZZ*SENDER*ZZ*RECEIVER*260101*1200*^*00501*1*0*P*:~"
PHI_NAME = "Jane_Roe_DOB_1961-04-30"


def _stored_files() -> set[str]:
    return stored_names("attachments")


def _attach(user, item, name: str, content: bytes) -> Attachment:
    return services.work_item_attach(
        actor=user, item_id=item.pk, upload=SimpleUploadedFile(name, content)
    )


@pytest.mark.parametrize(
    ("extension", "content", "content_type"),
    [
        (".pdf", PDF, "application/pdf"),
        (".PDF", PDF, "application/pdf"),
        (".tif", TIFF, "image/tiff"),
        (".tiff", TIFF, "image/tiff"),
        (".png", PNG, "image/png"),
        (".csv", CSV, "text/csv"),
        (".834", X12, "application/edi-x12"),
    ],
)
def test_an_accepted_file_is_stored_under_its_hash(
    users, make_item, extension, content, content_type
):
    item = make_item()
    before = _stored_files()

    attachment = _attach(users["rep"], item, PHI_NAME + extension, content)

    attachment.refresh_from_db()
    digest = hashlib.sha256(content).hexdigest()
    assert attachment.sha256 == digest
    assert attachment.size == len(content)
    assert attachment.content_type == content_type
    assert attachment.original_name == PHI_NAME + extension
    assert attachment.uploaded_by == users["rep"]
    with attachment.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == attachment.sha256
    # The stored path carries the hash, never the uploaded name (it may hold PHI).
    stored_name = str(attachment.file.name)
    assert digest in stored_name
    assert "Jane" not in stored_name and "1961" not in stored_name
    new_files = _stored_files() - before
    assert len(new_files) == 1
    assert all("Jane" not in str(path) for path in new_files)
    event = item.timeline.get(event=TimelineEvent.Event.ATTACHMENT_ADDED)
    assert event.data == {"attachment": attachment.pk, "sha256": digest}
    assert "Jane" not in event.summary


def test_an_uploaded_path_is_reduced_to_its_name(users, make_item):
    item = make_item()
    upload = SimpleUploadedFile("fax.pdf", PDF)
    upload.name = "../../etc/fax.pdf"  # as a hostile client might send it
    attachment = services.work_item_attach(actor=users["rep"], item_id=item.pk, upload=upload)
    assert attachment.original_name == "fax.pdf"
    assert ".." not in str(attachment.file.name)


def _assert_refused(user, item, name, content, code, field="file") -> InvalidInput:
    before_files, before_events = _stored_files(), item.timeline.count()
    with pytest.raises(InvalidInput) as refused:
        _attach(user, item, name, content)
    assert refused.value.code == code
    assert refused.value.field == field
    assert refused.value.http_status == 422
    assert not Attachment.objects.exists()
    assert item.timeline.count() == before_events
    assert _stored_files() == before_files
    return refused.value


@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=1024)
def test_an_oversized_file_is_refused_and_nothing_is_stored(users, make_item):
    item = make_item()
    exactly = PDF + b"%" * (1024 - len(PDF))
    error = _assert_refused(
        users["rep"], item, "fax.pdf", exactly + b"%", ErrorCode.ATTACHMENT_TOO_LARGE
    )
    assert "1,024-byte limit" in error.message
    # At the limit is still accepted.
    assert _attach(users["rep"], item, "fax.pdf", exactly).size == 1024


def test_the_default_limit_is_ten_megabytes(users, make_item):
    item = make_item()
    error = _assert_refused(
        users["rep"],
        item,
        "scan.pdf",
        PDF + b"0" * (10 * 1024 * 1024),
        ErrorCode.ATTACHMENT_TOO_LARGE,
    )
    assert "10 MB" in error.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fax.pdf", b"MZ\x90\x00 this is really a program"),  # named PDF, is not
        ("fax.pdf", PNG),  # an image renamed to .pdf
        ("scan.png", PDF),
        ("scan.tif", b"plain text pretending to be a TIFF"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("macro.docm", b"PK\x03\x04"),
        ("README", b"no extension"),
        ("census.csv", "member,name\n1,José\n".encode("latin-1")),  # not UTF-8
        ("census.csv", b"member\x00name\n"),  # binary
    ],
)
def test_a_file_of_the_wrong_type_is_refused(users, make_item, name, content):
    _assert_refused(users["rep"], make_item(), name, content, ErrorCode.ATTACHMENT_TYPE)


def test_an_empty_file_is_refused(users, make_item):
    error = _assert_refused(users["rep"], make_item(), "fax.pdf", b"", ErrorCode.INVALID)
    assert "empty" in error.message


def test_only_people_who_work_the_item_may_attach(users, make_item):
    item = make_item()
    with pytest.raises(NotPermitted):
        _attach(users["auditor"], item, "fax.pdf", PDF)
    with pytest.raises(NotFound):
        _attach(users["pharmacist"], item, "fax.pdf", PDF)
    assert not Attachment.objects.exists()
    assert not item.timeline.filter(event=TimelineEvent.Event.ATTACHMENT_ADDED).exists()


def test_the_same_file_twice_is_two_attachments_with_one_hash(users, make_item):
    item = make_item()
    first = _attach(users["rep"], item, "a.pdf", PDF)
    second = _attach(users["rep"], item, "b.pdf", PDF)
    assert first.sha256 == second.sha256
    for attachment in (first, second):
        with attachment.file.open("rb") as stored:
            assert stored.read() == PDF
    assert item.timeline.filter(event=TimelineEvent.Event.ATTACHMENT_ADDED).count() == 2

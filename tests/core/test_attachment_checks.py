"""Attachments: size limit, type judged by content, stored under their SHA-256."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from payerdesk.core import services
from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.core.models import Attachment, WorkItem

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
CSV = b"subscriber_id,amount\nW100,12.50\n"


@pytest.fixture
def item(make_item) -> WorkItem:
    return make_item()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Fax from Dr Reyes.pdf", PDF, "application/pdf"),
        ("fax.TIF", TIFF, "image/tiff"),
        ("scan.png", PNG, "image/png"),
        ("census.csv", CSV, "text/csv"),
        ("enrollment.834", b"ISA*00*          *00*~", "application/edi-x12"),
    ],
)
def test_accepted_files_are_stored_under_their_hash(users, item, name, content, content_type):
    attachment = services.work_item_attach(
        actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile(name, content)
    )
    digest = hashlib.sha256(content).hexdigest()
    assert (attachment.sha256, attachment.size, attachment.content_type) == (
        digest,
        len(content),
        content_type,
    )
    assert attachment.original_name == name
    stored_name = str(attachment.file.name)
    assert "Reyes" not in stored_name and digest in stored_name
    with attachment.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == digest
    assert item.timeline.filter(event="attachment_added", data__sha256=digest).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code", "says"),
    [
        ("fax.pdf", b"MZ\x90\x00 not a pdf", ErrorCode.ATTACHMENT_TYPE, "named .pdf"),
        ("setup.exe", b"MZ\x90\x00", ErrorCode.ATTACHMENT_TYPE, "not accepted"),
        ("README", b"hello", ErrorCode.ATTACHMENT_TYPE, "without an extension"),
        ("census.csv", "Müller,1".encode("latin-1"), ErrorCode.ATTACHMENT_TYPE, "UTF-8"),
        ("census.csv", b"a,b\x00\x01", ErrorCode.ATTACHMENT_TYPE, "not text"),
        ("empty.pdf", b"", ErrorCode.INVALID, "empty"),
    ],
)
def test_refused_files_leave_nothing_behind(users, item, name, content, code, says):
    events = item.timeline.count()
    with pytest.raises(InvalidInput) as refused:
        services.work_item_attach(
            actor=users["rep"], item_id=item.pk, upload=SimpleUploadedFile(name, content)
        )
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert says in refused.value.message
    assert not Attachment.objects.exists()
    assert item.timeline.count() == events


@override_settings(PAYERDESK_ATTACHMENT_MAX_BYTES=1024)
def test_files_over_the_limit_are_refused(users, item):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
    with pytest.raises(InvalidInput) as refused:
        services.work_item_attach(actor=users["rep"], item_id=item.pk, upload=big)
    assert refused.value.code == ErrorCode.ATTACHMENT_TOO_LARGE
    assert not Attachment.objects.exists()

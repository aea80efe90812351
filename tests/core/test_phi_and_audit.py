"""PHI stays out of logs; views of PHI records are logged; audit rows are append-only."""

import io
import logging
from typing import cast

import pytest
from django.conf import settings

from payerdesk.core import services
from payerdesk.core.logging import PhiRedactingFilter, redact
from payerdesk.core.models import AccessLogEntry, Note, TimelineEvent


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("member SSN 123-45-6789 called", "123-45-6789"),
        ("dob 1961-04-30 on file", "1961-04-30"),
        ("dob 04/30/1961 on file", "04/30/1961"),
        ("DMG*D8*19610430*F~", "19610430"),
        ("subscriber W123456789 not found", "W123456789"),
        ("member id 987654321 not found", "987654321"),
        ("reply to jane.roe@example.com", "jane.roe@example.com"),
        ("call (402) 555-0147 after 3", "555-0147"),
        ('"GET /work/?assignee=jroe&q=Roe HTTP/1.1" 200', "Roe"),
    ],
)
def test_redact_masks_what_has_the_shape_of_phi(text, secret):
    assert secret not in redact(text)


def test_redact_leaves_ordinary_text_and_deadlines_alone():
    text = "work item #42 escalated, due 2026-11-24 09:00 in queue coverage-review"
    assert redact(text) == text


def _captured_logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PhiRedactingFilter())
    logger = logging.getLogger("payerdesk.test.phi")
    logger.handlers = [handler]
    logger.propagate = False
    return logger, stream


def test_log_records_are_rendered_then_masked():
    logger, stream = _captured_logger()
    logger.warning("no member %s born %s", "W123456789", "1961-04-30")
    try:
        raise ValueError("bad row for SSN 123-45-6789")
    except ValueError:
        logger.exception("import failed")
    output = stream.getvalue()
    assert "no member [ID] born [DATE]" in output
    assert "Traceback" in output and "ValueError" in output
    for secret in ("W123456789", "1961-04-30", "123-45-6789"):
        assert secret not in output


def test_every_configured_handler_carries_the_filter():
    handlers = cast(dict[str, dict[str, list[str]]], settings.LOGGING["handlers"])
    assert handlers
    assert all("redact_phi" in handler.get("filters", []) for handler in handlers.values())


def test_viewing_a_phi_item_is_logged_and_a_plain_one_is_not(users, make_item, client_for):
    phi = make_item(kind="callback", title="Call back a member")
    plain = make_item(kind="task")
    client = client_for(users["rep"])
    assert client.get(f"/work/{phi.pk}/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(f"/work/{plain.pk}/").status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.record_type, entry.record_id) == ("rep", "work_item", str(phi.pk))
    assert (entry.action, entry.channel, entry.ip_address) == ("view", "web", "10.1.2.3")
    assert entry.path == f"/work/{phi.pk}/"


def test_audit_rows_cannot_be_changed_or_deleted(users, make_item):
    item = make_item()
    note = services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Called.")
    event = TimelineEvent.objects.filter(work_item=item).first()
    entry = services.access_log_record(
        user=users["rep"], action="view", channel="web", record_type="work_item", record_id="1"
    )
    for row in (note, event, entry):
        assert row is not None
        with pytest.raises(ValueError, match="append-only"):
            row.save()
        with pytest.raises(ValueError, match="append-only"):
            row.delete()
    assert Note.objects.count() == 1

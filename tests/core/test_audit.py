"""Audit records are append-only; PHI never reaches the application logs."""

import io
import logging
import sys

import pytest

from payerdesk.core import services
from payerdesk.core.logging import PhiRedactingFilter, redact
from payerdesk.core.models import AccessLogEntry, Note, TimelineEvent

# --- append-only records ------------------------------------------------------------------


@pytest.fixture
def audit_rows(users, make_item):
    item = make_item()
    note = services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Left a message.")
    event = item.timeline.get(event=TimelineEvent.Event.CREATED)
    entry = services.access_log_record(
        user=users["auditor"],
        action=AccessLogEntry.Action.VIEW,
        channel=AccessLogEntry.Channel.WEB,
        record_type="work_item",
        record_id=str(item.pk),
        ip_address="10.0.0.8",
    )
    return {"event": event, "note": note, "entry": entry}


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        ("event", "summary", "Nothing happened"),
        ("note", "body", "Rewritten history."),
        ("entry", "username", "someone-else"),
    ],
)
def test_an_audit_row_cannot_be_changed(audit_rows, row, field, value):
    record = audit_rows[row]
    original = getattr(record, field)
    setattr(record, field, value)
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    record.refresh_from_db()
    assert getattr(record, field) == original


@pytest.mark.parametrize("row", ["event", "note", "entry"])
def test_an_audit_row_cannot_be_deleted(audit_rows, row):
    record = audit_rows[row]
    model = type(record)
    with pytest.raises(ValueError, match="append-only"):
        record.delete()
    assert model.objects.filter(pk=record.pk).exists()


def test_new_audit_rows_can_still_be_written(audit_rows, users):
    item = audit_rows["note"].work_item
    services.work_item_note_add(actor=users["rep"], item_id=item.pk, body="Second attempt.")
    assert Note.objects.filter(work_item=item).count() == 2
    assert item.timeline.filter(event=TimelineEvent.Event.NOTE_ADDED).count() == 2


# --- the PHI redaction filter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("member SSN 123-45-6789 called", "123-45-6789"),
        ("ssn=123-45-6789;", "123-45-6789"),
        ("dob 1961-04-30 on file", "1961-04-30"),
        ("born 4/30/1961", "4/30/1961"),
        ("DMG*D8*19610430*F~", "19610430"),
        ("subscriber W123456789 not found", "W123456789"),
        ("member XYZ0012345 termed", "XYZ0012345"),
        ("member id 987654321 not found", "987654321"),
        ("reply to jane.roe+claims@example.com today", "jane.roe+claims@example.com"),
        ("call (402) 555-0147 after 3", "555-0147"),
        ("call 402-555-0147", "402-555-0147"),
        ("fax 402.555.0148", "402.555.0148"),
        ('"GET /api/eligibility?member=W1&date=1961-04-30 HTTP/1.1" 200', "member=W1"),
        ("redirect to https://payerdesk.example/work/?q=Roe", "q=Roe"),
    ],
)
def test_redact_masks_what_has_the_shape_of_phi(text, secret):
    masked = redact(text)
    assert secret not in masked
    assert "[" in masked  # replaced by a marker, not just cut


def test_redact_names_what_it_masked():
    assert redact("SSN 123-45-6789") == "SSN [SSN]"
    assert redact("member W123456789") == "member [ID]"
    assert redact("mail jo@example.org") == "mail [EMAIL]"
    assert redact("GET /work/?assignee=rep") == "GET /work/?[QUERY]"


@pytest.mark.parametrize(
    "text",
    [
        "work item #42 escalated in queue coverage-review",
        "due 2026-11-24 09:00 (America/New_York)",
        "at 2026-11-24T09:00:00-05:00 the job ran",
        "started 2026-11-24T14:00:00.123456+00:00",
        "GET /work/42/ HTTP/1.1 200 3141",
        "claimed 12 items in 350 ms by worker 3",
        "tick: escalated 5 item(s); sent 2 reminder(s)",
    ],
)
def test_redact_leaves_ordinary_text_and_timestamps_alone(text):
    assert redact(text) == text


def _logger_into(stream: io.StringIO, name: str) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(PhiRedactingFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


@pytest.fixture
def phi_logger():
    stream = io.StringIO()
    logger = _logger_into(stream, "payerdesk.tests.audit")
    yield logger, stream
    logger.handlers = []
    logger.propagate = True


SECRETS = ("123-45-6789", "W123456789", "1961-04-30", "jane.roe@example.com", "555-0147")


def test_a_log_message_with_phi_in_its_arguments_is_masked(phi_logger):
    logger, stream = phi_logger
    logger.warning(
        "lookup failed for ssn %s member %s dob %s email %s phone %s",
        "123-45-6789",
        "W123456789",
        "1961-04-30",
        "jane.roe@example.com",
        "(402) 555-0147",
    )
    output = stream.getvalue()
    for secret in SECRETS:
        assert secret not in output
    assert output.startswith("WARNING lookup failed for ssn [SSN] member [ID] dob [DATE]")


def test_a_logged_exception_keeps_its_trace_but_not_its_phi(phi_logger):
    logger, stream = phi_logger
    try:
        raise ValueError("row 7: SSN 123-45-6789 does not match member W123456789")
    except ValueError:
        logger.exception("import of %s failed", "enrollment.834")
    output = stream.getvalue()
    assert "import of enrollment.834 failed" in output
    assert "Traceback (most recent call last)" in output
    assert "ValueError: row 7: SSN [SSN] does not match member [ID]" in output
    assert "123-45-6789" not in output and "W123456789" not in output


def test_a_message_that_is_not_a_string_is_masked_too(phi_logger):
    logger, stream = phi_logger
    logger.error({"member": "W123456789", "ssn": "123-45-6789"})
    output = stream.getvalue()
    assert "W123456789" not in output and "123-45-6789" not in output


def test_a_rendered_percent_sign_survives_the_filter(phi_logger):
    logger, stream = phi_logger
    logger.info("%s%% of the queue done for %s", 50, "jane.roe@example.com")
    assert stream.getvalue() == "INFO 50% of the queue done for [EMAIL]\n"


# --- the configured logging ---------------------------------------------------------------


def _console():
    handlers = [h for h in logging.getLogger("django").handlers if h.name == "console"]
    assert len(handlers) == 1
    return handlers[0]


def test_djangos_logging_runs_the_filter_on_the_console_handler():
    console = _console()
    assert any(isinstance(f, PhiRedactingFilter) for f in console.filters)
    assert console in logging.getLogger().handlers  # the root logger writes through it too
    # Every handler Django configured (dictConfig names them; pytest's own are unnamed)
    # carries the filter.
    configured = [h for h in logging.getLogger("django").handlers if h.name]
    assert configured
    assert all(any(isinstance(f, PhiRedactingFilter) for f in h.filters) for h in configured)


@pytest.mark.parametrize("logger_name", ["django.server", "django.request", "payerdesk.core"])
def test_records_reaching_the_console_are_masked(logger_name):
    console = _console()
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        logging.getLogger(logger_name).warning(
            '"GET /api/eligibility?member=W123456789 HTTP/1.1" 404 for %s', "jane.roe@example.com"
        )
    finally:
        console.setStream(previous or sys.stderr)
    output = stream.getvalue()
    assert "/api/eligibility?[QUERY]" in output
    assert "W123456789" not in output and "jane.roe@example.com" not in output


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


@pytest.mark.parametrize("model", [TimelineEvent, Note, AccessLogEntry])
def test_bulk_updates_and_deletes_of_audit_rows_are_refused(model, users, make_item):
    item = make_item()
    services.work_item_note_add(actor=users["supervisor"], item_id=item.pk, body="Checked.")
    services.access_log_record(
        user=users["rep"], action="view", channel="web", record_type="work_item", record_id="1"
    )
    before = model.objects.count()
    assert before > 0
    with pytest.raises(ValueError, match="append-only"):
        model.objects.all().update(at=None) if model is not Note else model.objects.update(body="x")
    with pytest.raises(ValueError, match="append-only"):
        model.objects.all().delete()
    assert model.objects.count() == before

"""rows_document: a unit's held rows written as one JSON document read back by
PostgreSQL, column by column, as the ORM would have written them."""

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from ipaddress import IPv6Address
from typing import Any

import pytest
from django.db import DataError, connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult
from psycopg import Binary
from psycopg.types.json import Jsonb

from payerdesk.core import db
from payerdesk.core.db import atomic_unit, insert_rows
from payerdesk.core.models import AccessLogEntry, TimelineEvent, WorkItem
from payerdesk.core.rows_document import rows_json
from tests.core.test_atomic_unit import _item, _tables, _writes

AT = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
AWKWARD = 'Dr. O\'Neil said "stop"\\ then\nleft: café, 日本, 🙂, \t tab'


def _stored(row: Model) -> dict[str, Any]:
    return {f.attname: f.value_from_object(row) for f in row._meta.concrete_fields}


def _read_back(row: Model) -> dict[str, Any]:
    fresh = type(row)._default_manager.get(pk=row.pk)
    values = _stored(fresh)
    for name, value in values.items():
        if isinstance(value, memoryview):  # bytea reads back as a buffer
            values[name] = bytes(value)
    return values


def _rows(queues) -> list[Sequence[Model]]:
    item = WorkItem(
        kind="task",
        title=AWKWARD,
        description="",
        queue=queues["coverage"],
        priority=1,
        created_at=AT,
        due_at=AT + timedelta(days=3),
        escalate_at=AT + timedelta(days=2, microseconds=1),
        phi=True,
    )
    events = [
        TimelineEvent(work_item=item, at=AT, event="created", summary=AWKWARD, data={}),
        TimelineEvent(
            work_item=item,
            at=AT,
            event="noted",
            summary="nested",
            data={"text": AWKWARD, "n": [1, 2.5, None, True], "deep": {"x": -0.0}},
        ),
    ]
    view = AccessLogEntry(
        at=AT,
        username="rep",
        action="view",
        channel="api",
        record_type="work_item",
        record_id="1",
        ip_address=str(IPv6Address("2001:db8::1")),
    )
    task: DBTaskResult[Any, Any] = DBTaskResult(
        id=uuid.uuid4(),
        args_kwargs={"args": [1], "kwargs": {"why": AWKWARD}},
        task_path="payerdesk.priorauth.tasks.issue_letter",
        queue_name="default",
        backend_name="default",
        run_after=datetime(9999, 1, 1, tzinfo=UTC),
        priority=0,
    )
    return [[item], events, [view], [task]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the document is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_rows_sent_as_one_document_read_back_as_they_were_given(queues):
    keys = {WorkItem: 1, TimelineEvent: 2, AccessLogEntry: 1}

    def write(batches: list[Sequence[Model]]) -> None:
        with atomic_unit(keys):
            for batch in batches:
                insert_rows(batch, without_signals=isinstance(batch[0], DBTaskResult))

    write(_rows(queues))  # the first time, each statement is made: a table's columns read
    batches = _rows(queues)
    with CaptureQueriesContext(connection) as queries:
        write(batches)
    writes = [q["sql"] for q in queries if "INSERT INTO" in q["sql"]]
    assert len(writes) == 1 and "jsonb_populate_recordset" in writes[0]
    for batch in batches:
        for row in batch:
            assert _read_back(row) == _stored(row), type(row).__name__


def test_a_value_with_no_json_form_leaves_its_rows_to_their_own_insert():
    columns = ("id", "data")
    assert rows_json(columns, [1, Jsonb(None)]) is None  # JSON null would read back NULL
    assert rows_json(columns, [1, Jsonb({"at": AT})]) is None  # as psycopg refuses it
    assert rows_json(columns, [1, math.nan]) is None
    assert rows_json(columns, [1, timedelta(days=1)]) is None  # a type not known here
    assert rows_json(columns, [1, Jsonb({"ok": [1]})]) == '[{"id":1,"data":{"ok":[1]}}]'


def test_values_psycopg_adapts_go_as_the_text_postgresql_parses():
    columns = ("amount", "content", "at", "on", "ip", "key", "kind")
    key = uuid.UUID(int=7)
    text = rows_json(
        columns,
        [
            Decimal("12345678901234.99"),
            Binary(b"\x00\xff"),
            AT,
            date(2027, 1, 1),
            IPv6Address("2001:db8::1"),
            key,
            AccessLogEntry.Channel.API,
        ],
    )
    assert text == (
        '[{"amount":"12345678901234.99","content":"\\\\x00ff",'
        '"at":"2026-12-02T09:30:15.123456+00:00","on":"2027-01-01","ip":"2001:db8::1",'
        f'"key":"{key}","kind":"api"}}]'
    )


def _item_and_event(queues, data: dict[str, Any]) -> tuple[WorkItem, TimelineEvent]:
    item = _item(queues["coverage"])
    return item, TimelineEvent(work_item=item, at=AT, event="noted", summary="s", data=data)


def _write(item: WorkItem, event: TimelineEvent) -> None:
    with atomic_unit({WorkItem: 1, TimelineEvent: 1}):
        insert_rows([item])
        insert_rows([event])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the document is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_row_without_a_json_form_is_sent_beside_the_document_and_refused_alike(queues):
    """A float that is not a number has no JSON form: its row goes as its own INSERT,
    in the same round trip, and PostgreSQL refuses the JSON psycopg writes for it, as
    it would outside a unit; the unit rolls back whole."""
    _write(*_item_and_event(queues, {}))  # each statement made: its table's columns read
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(DataError, match="json"),
    ):
        _write(*_item_and_event(queues, {"x": math.nan}))
    sent = _writes(queries)
    assert [_tables(sql) for sql in sent] == [["core_workitem"], ["core_timelineevent"]]
    assert "jsonb_populate_recordset" in sent[0] and "jsonb_populate_recordset" not in sent[1]
    assert WorkItem.objects.count() == 1  # the first unit's
    assert db._open_units() == {}


@pytest.fixture
def statements_made_afresh():
    db._inserts.clear()
    yield
    db._inserts.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the document is PostgreSQL's")
def test_a_table_with_a_column_the_model_lacks_gets_its_rows_own_insert(
    queues, statements_made_afresh
):
    """A database migrated ahead of the code: the new column takes its default, which a
    document (every column of the table) would have set to NULL, and NOT NULL refused."""
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute("ALTER TABLE core_timelineevent ADD COLUMN source text NOT NULL DEFAULT 'x'")
    _write(*_item_and_event(queues, {}))  # each statement made: its table's columns read
    item, event = _item_and_event(queues, {})
    with CaptureQueriesContext(connection) as queries:
        _write(item, event)
    sent = _writes(queries)
    assert [_tables(sql) for sql in sent] == [["core_workitem"], ["core_timelineevent"]]
    assert "jsonb_populate_recordset" in sent[0] and "jsonb_populate_recordset" not in sent[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT source FROM core_timelineevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("x",)

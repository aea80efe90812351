"""atomic_unit: a unit of work's rows written with keys reserved up front, sent together
on PostgreSQL when the unit ends, and rolled back whole when one of them fails."""

import re
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from payerdesk.core import db
from payerdesk.core.db import atomic_unit, insert_rows
from payerdesk.core.models import Queue, TimelineEvent, WorkItem

AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
KEYS = {WorkItem: 1, TimelineEvent: 2}


def _item(queue: Queue, title: str = "Call back Dr. Okafor") -> WorkItem:
    return WorkItem(kind="task", title=title, queue=queue, created_at=AT, due_at=AT, escalate_at=AT)


def _write_unit(queue: Queue, *, events: int = 2, broken: bool = False) -> WorkItem:
    """What an intake does: an item, then rows that point at it."""
    item = _item(queue)
    insert_rows([item])
    insert_rows(
        [
            TimelineEvent(work_item=item, at=AT, event="created", summary=f"event {n}")
            for n in range(events)
        ]
    )
    if broken:  # a row the database refuses: an event must have a summary
        refused = TimelineEvent(work_item=item, at=AT, event="noted", summary="")
        refused.summary = None  # type: ignore[assignment]  # what the database refuses
        insert_rows([refused])
    return item


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries if "INSERT INTO" in q["sql"]]


def _tables(sql: str) -> list[str]:
    return re.findall(r'INSERT INTO "(\w+)"', sql)


@pytest.mark.django_db(transaction=True)
def test_a_unit_is_written_whole_with_the_keys_it_reserved(queues):
    with CaptureQueriesContext(connection) as queries, atomic_unit(KEYS):
        item = _write_unit(queues["coverage"])
        sent_in_the_block = _writes(queries)

    stored = WorkItem.objects.get(pk=item.pk)
    assert stored.title == "Call back Dr. Okafor"
    assert sorted(stored.timeline.values_list("summary", flat=True)) == ["event 0", "event 1"]
    if connection.vendor == "postgresql":
        # One statement reserves every key; the rows are held to the end of the block,
        # then sent in one statement, none waiting to be told its key.
        assert sum("nextval" in q["sql"] for q in queries) == 1
        assert sent_in_the_block == []
        [written] = _writes(queries)
        assert _tables(written) == ["core_workitem", "core_timelineevent"]
        assert "RETURNING" not in written
    else:
        assert not any("nextval" in q["sql"] for q in queries)
        assert len(sent_in_the_block) == 2


@pytest.mark.django_db(transaction=True)
def test_a_statement_in_the_unit_sees_the_rows_it_holds(queues):
    with atomic_unit(KEYS):
        item = _write_unit(queues["coverage"])
        assert WorkItem.objects.filter(pk=item.pk).exists()
        assert item.timeline.count() == 2


@pytest.mark.django_db(transaction=True)
def test_rows_beyond_what_was_reserved_get_their_keys_from_the_database(queues):
    with CaptureQueriesContext(connection) as queries, atomic_unit(KEYS):
        item = _write_unit(queues["coverage"], events=3)  # one more than reserved

    assert item.timeline.count() == 3
    if connection.vendor == "postgresql":
        held, events = _writes(queries)  # the item is sent before the insert that waits
        assert _tables(held) == ["core_workitem"]
        assert _tables(events) == ["core_timelineevent"] and "RETURNING" in events


@pytest.mark.django_db(transaction=True)
def test_a_row_refused_after_it_was_sent_rolls_the_whole_unit_back(queues):
    with pytest.raises(IntegrityError, match="summary"), atomic_unit(KEYS):
        _write_unit(queues["coverage"], broken=True)

    assert not WorkItem.objects.exists() and not TimelineEvent.objects.exists()
    # The connection is left as it was: the next unit goes through.
    with atomic_unit(KEYS):
        item = _write_unit(queues["coverage"])
    assert WorkItem.objects.get().pk == item.pk


@pytest.mark.django_db
def test_nested_in_a_callers_transaction_a_refused_row_rolls_back_only_the_unit(queues):
    with transaction.atomic():
        kept = _item(queues["coverage"], title="Written before the unit")
        kept.save()
        with pytest.raises(IntegrityError, match="summary"), atomic_unit(KEYS):
            _write_unit(queues["coverage"], broken=True)
        assert list(WorkItem.objects.values_list("title", flat=True)) == [kept.title]
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_unit_inside_another_is_part_of_it(queues):
    with atomic_unit(KEYS):
        outer = _write_unit(queues["coverage"])
        with atomic_unit({WorkItem: 1}):
            inner = _write_unit(queues["coverage"], events=0)
    assert set(WorkItem.objects.values_list("pk", flat=True)) == {outer.pk, inner.pk}


class Refused(Exception):
    """Raised by the unit's own code after its rows were sent."""


def _refused_unit(queue: Queue) -> None:
    with atomic_unit(KEYS):
        _write_unit(queue)
        raise Refused


@pytest.mark.django_db(transaction=True)
def test_an_error_raised_after_rows_were_sent_writes_none_of_them(queues):
    with pytest.raises(Refused):
        _refused_unit(queues["coverage"])
    assert not WorkItem.objects.exists() and not TimelineEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nested_an_error_raised_after_rows_were_sent_leaves_the_callers_rows(queues):
    with transaction.atomic():
        _item(queues["coverage"], title="Written before the unit").save()
        with pytest.raises(Refused):
            _refused_unit(queues["coverage"])
    assert list(WorkItem.objects.values_list("title", flat=True)) == ["Written before the unit"]
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_inside_the_unit_drops_only_its_own_rows(queues):
    """Held rows go out before any other statement, a savepoint's too: what was held
    before the savepoint stays, what was written inside it rolls back with it."""
    with atomic_unit({WorkItem: 2}):
        kept = _item(queues["coverage"], title="Before the savepoint")
        insert_rows([kept])
        with pytest.raises(Refused), transaction.atomic():
            insert_rows([_item(queues["coverage"], title="Inside the savepoint")])
            raise Refused
    assert list(WorkItem.objects.values_list("title", flat=True)) == ["Before the savepoint"]


@pytest.mark.django_db(transaction=True)
def test_keys_come_from_sequences_named_once_per_database():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite gives keys as rows are written")
    db._sequence_names.clear()
    with CaptureQueriesContext(connection) as first:
        db._keys_reserve(connection, KEYS)
    with CaptureQueriesContext(connection) as again:
        drawn = db._keys_reserve(connection, KEYS)
    assert sum("pg_get_serial_sequence" in q["sql"] for q in first) == 1
    assert [q["sql"].count("nextval") for q in again] == [3]
    assert len(drawn[TimelineEvent]) == 2 and len(set(drawn[TimelineEvent])) == 2
    # A key that no sequence gives (a UUID) cannot be reserved.
    with pytest.raises(ValueError, match="DBTaskResult's key has no sequence"):
        db._keys_reserve(connection, {DBTaskResult: 1})


@pytest.mark.django_db(transaction=True)
def test_a_unit_marked_for_rollback_writes_none_of_its_rows(queues):
    """Held rows are dropped, not sent into a transaction Django will roll back (sending
    them there raised TransactionManagementError)."""
    with atomic_unit(KEYS):
        _write_unit(queues["coverage"])
        transaction.set_rollback(True)
    assert not WorkItem.objects.exists() and not TimelineEvent.objects.exists()
    with atomic_unit(KEYS):  # the connection goes on
        _write_unit(queues["coverage"])
    assert WorkItem.objects.count() == 1

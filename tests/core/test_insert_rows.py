"""insert_rows writes new rows exactly as the ORM's save() would, or lets the ORM do it."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django_tasks_db.models import DBTaskResult

from payerdesk.core import db
from payerdesk.core.db import insert_rows
from payerdesk.core.models import AccessLogEntry, TimelineEvent, WorkItem

AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def _item(queues, users, **overrides) -> WorkItem:
    fields = {
        "kind": "task",
        "title": "Call back Dr. Okafor",
        "queue": queues["coverage"],
        "created_by": users["rep"],
        "created_at": AT,
        "due_at": AT,
        "escalate_at": AT,
        "phi": True,
    }
    return WorkItem(**(fields | overrides))


def _columns(row: WorkItem) -> dict[str, object]:
    values: dict[str, object] = dict(WorkItem.objects.filter(pk=row.pk).values().get())
    del values["id"]
    return values


def test_a_row_is_written_with_the_values_the_orm_writes(queues, users):
    ours, orms = _item(queues, users), _item(queues, users)
    insert_rows([ours])
    orms.save(force_insert=True)

    assert ours.pk is not None and ours.pk != orms.pk
    assert not ours._state.adding and ours._state.db == "default"
    assert _columns(ours) == _columns(orms)
    ours.title = "Changed later"
    ours.save()  # an ordinary saved instance from here on
    assert WorkItem.objects.get(pk=ours.pk).title == "Changed later"


def test_several_rows_go_in_one_statement_and_each_gets_its_own_key(
    queues, users, django_assert_num_queries
):
    item = _item(queues, users)
    insert_rows([item])
    events = [
        TimelineEvent(work_item=item, at=AT, event=TimelineEvent.Event.CREATED, summary=text)
        for text in ("first", "second", "third")
    ]
    with django_assert_num_queries(1):
        insert_rows(events)

    stored = dict(TimelineEvent.objects.filter(work_item=item).values_list("pk", "summary"))
    assert stored == {event.pk: event.summary for event in events}
    assert len(stored) == 3


def test_a_model_keyed_by_a_default_writes_its_key(db):
    task: DBTaskResult[..., object] = DBTaskResult(
        task_path="payerdesk.priorauth.tasks.issue_letter",
        args_kwargs={"args": [7], "kwargs": {}},
        queue_name="default",
        backend_name="default",
    )
    key = task.pk
    insert_rows([task])
    assert DBTaskResult.objects.get(pk=key).args_kwargs == {"args": [7], "kwargs": {}}


def test_a_related_row_must_be_saved_first(queues, users):
    unsaved = _item(queues, users)
    event = TimelineEvent(work_item=unsaved, at=AT, event="created", summary="x")
    with pytest.raises(ValueError, match="unsaved related object 'work_item'"):
        insert_rows([event])
    assert not TimelineEvent.objects.exists()


def test_a_saved_row_or_a_mix_of_models_is_refused(queues, users):
    item = _item(queues, users)
    item.save()
    with pytest.raises(ValueError, match="new WorkItem rows only"):
        insert_rows([item])
    entry = AccessLogEntry(
        user=users["rep"], username="rep", action="view", channel="api", record_type="x"
    )
    with pytest.raises(ValueError, match="new WorkItem rows only"):
        insert_rows([_item(queues, users), entry])
    assert WorkItem.objects.count() == 1 and not AccessLogEntry.objects.exists()


def test_an_expression_value_is_left_to_the_orm(queues, users):
    item = _item(queues, users, created_at=Now())
    insert_rows([item])
    assert WorkItem.objects.get(pk=item.pk).created_at is not None


@contextmanager
def _post_saves_heard() -> Iterator[list[int]]:
    """The keys of the work items whose post_save fired inside the block."""
    heard: list[int] = []

    def listener(sender, instance, created, **kwargs):
        heard.append(instance.pk)

    post_save.connect(listener, sender=WorkItem)
    try:
        yield heard
    finally:
        post_save.disconnect(listener, sender=WorkItem)


def test_a_model_with_save_signals_is_saved_by_the_orm_so_they_fire(queues, users):
    with _post_saves_heard() as heard:
        item = _item(queues, users)
        insert_rows([item])
    assert heard == [item.pk]


def test_the_statement_is_made_once_per_model_and_row_count(queues, users):
    db._inserts.clear()
    insert_rows([_item(queues, users)])
    insert_rows([_item(queues, users)])
    insert_rows([_item(queues, users), _item(queues, users)])
    assert sorted(count for model, _, count, _ in db._inserts if model is WorkItem) == [1, 2]


def test_without_signals_the_shortcut_writes_a_signalled_model_and_sends_none(queues, users):
    with _post_saves_heard() as heard:
        item = _item(queues, users)
        insert_rows([item], without_signals=True)
    assert heard == [] and WorkItem.objects.filter(pk=item.pk).exists()

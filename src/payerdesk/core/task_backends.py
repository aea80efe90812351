"""The task backends: django-tasks-db's, writing its row as intake writes its own, and the
test suite's, ImmediateBackend run when the enqueuing change commits.

In production the database backend's task row is written in the transaction of the
business action that enqueues it (a transactional outbox): the worker sees the task only
once the action commits, and never a task without its action, or an action without its
task. This backend keeps that order in tests: a task enqueued inside an application's
`transaction.atomic()` runs when that transaction commits (`captureOnCommitCallbacks`
shows and runs it), and never when it rolls back; one enqueued outside runs at once, as
ImmediateBackend does.
"""

from functools import partial
from typing import Any, ParamSpec, TypeVar

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult
from django_tasks_db.backend import DatabaseBackend as TasksDatabaseBackend
from django_tasks_db.backend import TaskResult as DBBackendTaskResult
from django_tasks_db.compat import Task, TaskResultStatus, normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import normalize_uuid

from payerdesk.core.db import insert_rows

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseBackend(TasksDatabaseBackend):
    """django-tasks-db's backend, its task row written by `insert_rows`: inside an
    `atomic_unit` it is held and sent with the rows of the action that queues it (a
    letter's task with its request), where the ORM would send it alone, at once, and
    wait for the answer (its save signal kept the shortcut from it too)."""

    def enqueue(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]  # as django-tasks-db types them
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> DBBackendTaskResult[P, T]:
        # The library's enqueue, with the result built once from the task in hand: its own
        # builds it twice (for the signal, then to return), each time importing the task
        # back from the row's path and copying it with the row's options (`row.task`):
        # two fifths of an intake's enqueue (profiled), 2.7% of its instructions.
        self.validate_task(task)
        row = self._task_to_db_task(task, args, kwargs)
        result = self._enqueued(row, task)
        task_enqueued.send(type(self), task_result=result)
        return result

    @staticmethod
    def _enqueued(row: DBTaskResult[P, T], task: Task[P, T]) -> DBBackendTaskResult[P, T]:
        """`row.task_result` of a row just queued: its task is the one enqueued (the row's
        options are that task's), and it has not run."""
        result: DBBackendTaskResult[P, T] = DBBackendTaskResult(
            db_result=row,
            task=task,
            id=normalize_uuid(row.id),
            status=TaskResultStatus[row.status],
            enqueued_at=row.enqueued_at,
            started_at=row.started_at,
            last_attempted_at=row.started_at,
            finished_at=row.finished_at,
            args=row.args_kwargs["args"],
            kwargs=row.args_kwargs["kwargs"],
            backend=row.backend_name,
            errors=[],
            worker_ids=row.worker_ids,
        )
        object.__setattr__(result, "_return_value", row.return_value)  # as the library does
        return result

    def _task_to_db_task(
        self,
        task: Task[P, T],
        args: P.args,  # type: ignore[valid-type]  # as django-tasks-db types them
        kwargs: P.kwargs,  # type: ignore[valid-type]
    ) -> DBTaskResult[P, T]:
        # The row django-tasks-db's own `_task_to_db_task` creates, field for field, with
        # the run_after its pre_save handler (`set_run_after`) gives a task with none.
        row: DBTaskResult[P, T] = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=get_date_max() if task.run_after is None else task.run_after,
            backend_name=self.alias,
        )
        insert_rows([row], without_signals=True)
        return row


def _in_application_transaction() -> bool:
    """Whether an atomic block of the application is open. The test case's own wrapping
    transaction is not the application's: a task enqueued under it alone is as if
    enqueued outside any transaction."""
    if transaction.get_autocommit():
        return False
    # A durable block refuses to open inside another atomic block, but opens directly
    # inside django.test.TestCase's own transactions (Django 4.1+). Without a savepoint,
    # opening and closing it costs no query and changes nothing.
    try:
        with transaction.atomic(savepoint=False, durable=True):
            return False
    except RuntimeError:
        return True


class OnCommitImmediateBackend(ImmediateBackend):
    def _execute_task(self, task_result: TaskResult[Any]) -> None:
        if _in_application_transaction():
            transaction.on_commit(partial(super()._execute_task, task_result))
        else:
            super()._execute_task(task_result)

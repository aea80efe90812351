"""The test suite's task backend: ImmediateBackend, run when the enqueuing change commits.

In production django-tasks-db's stock backend writes the task row in the transaction of
the business action that enqueues it (a transactional outbox): the worker sees the task
only once the action commits, and never a task without its action, or an action without
its task. This backend keeps that order in tests: a task enqueued inside an application's
`transaction.atomic()` runs when that transaction commits (`captureOnCommitCallbacks`
shows and runs it), and never when it rolls back; one enqueued outside runs at once, as
ImmediateBackend does.
"""

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult


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

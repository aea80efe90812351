"""A deploy adds a column while workers run: a warm intake path keeps working."""

import pytest
from django.db import connection

from payerdesk.core.models import TimelineEvent
from payerdesk.priorauth.models import Status
from tests.priorauth.conftest import MEETS

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the deploy case is PostgreSQL's: production runs there, and SQLite's ALTER TABLE "
    "cannot add a NOT NULL column to a table in use the same way",
)
def test_a_column_added_with_a_default_while_a_connection_is_warm_takes_its_default(
    submit, settings
):
    """`migrate` adds a NOT NULL column with a default while a worker that has served a
    request keeps its connection: the worker's next intake writes the new column's default,
    as the ORM's INSERT names only the model's columns. (The ALTER is in the test's
    transaction and rolls back with it.)"""
    settings.TASKS = DATABASE_TASKS  # the production backend: its task row is written too
    assert submit(MEETS).status == Status.APPROVED  # warm: statements cached and prepared
    table = connection.ops.quote_name(TimelineEvent._meta.db_table)
    with connection.cursor() as cursor:
        # The first submission's deferred foreign-key checks run now, as at its commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} ADD COLUMN source text NOT NULL DEFAULT 'x'")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    again = submit(MEETS)
    assert again.status == Status.APPROVED and again.letters.count() == 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT source FROM {table} WHERE work_item_id = %s",  # noqa: S608
            [again.work_item_id],
        )
        assert cursor.fetchall() == [("x",)]

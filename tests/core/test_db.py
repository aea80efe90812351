"""Prepared statements for short requests; none for batches."""

import pytest
from django.db import connection, transaction

from payerdesk.core.db import statements_unprepared
from payerdesk.groups.services import census, enrollment
from payerdesk.settings import base
from tests.groups.services.test_census import CHILD, csv_file
from tests.groups.x834_build import loop, x834

REPEATED = "SELECT COUNT(*) FROM core_queue WHERE slug = %s"


def _run_repeatedly(times: int = 8) -> None:
    with connection.cursor() as cursor:
        for _ in range(times):
            cursor.execute(REPEATED, ["coverage-review"])
            cursor.fetchone()


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _is_prepared() -> bool:
    return any("FROM core_queue WHERE slug = $1" in text for text in _prepared())


def test_postgresql_connections_prepare_what_they_repeat_unless_told_not_to(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://payerdesk@db.example.org/payerdesk")
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    assert base._database()["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}

    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "false")
    assert base._database()["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}


@pytest.mark.django_db(transaction=True)
def test_a_batch_prepares_nothing_and_the_connection_prepares_again_after_it():
    if connection.vendor != "postgresql":
        with statements_unprepared():
            _run_repeatedly()  # SQLite prepares nothing to turn off: no error either
        return
    connection.close()  # a new session: nothing prepared yet
    with transaction.atomic(), statements_unprepared():
        _run_repeatedly()
        assert not _is_prepared()
    _run_repeatedly()
    assert _is_prepared()


@pytest.mark.django_db(transaction=True)
def test_inside_a_batch_a_statement_prepared_before_runs_unprepared():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no prepared statements to leave aside")
    _run_repeatedly()
    assert _is_prepared()
    with statements_unprepared():
        assert connection.connection.prepare_threshold is None
        _run_repeatedly()  # the server's copy stays, unused
    assert connection.connection.prepare_threshold == 5


@pytest.mark.django_db
def test_the_834_and_census_applies_run_unprepared(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no prepared statements")
    seen: list[int | None] = []

    def run(self: object, items: object) -> None:
        seen.append(connection.connection.prepare_threshold)

    monkeypatch.setattr(enrollment._Apply, "run", run)
    monkeypatch.setattr(census._Apply, "run", run)
    enrollment.enrollment_834_apply(
        actor=None, name="t.834", content=x834([loop("021", "M1")]), dry_run=True
    )
    census.census_apply(actor=None, name="c.csv", content=csv_file(CHILD), dry_run=True)
    assert seen == [None, None]
    assert connection.connection.prepare_threshold == 5

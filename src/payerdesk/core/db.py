"""What a unit of work may ask of the database beyond Django's defaults."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def statements_unprepared(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside: the connection prepares no statement and runs none it prepared before, so
    PostgreSQL plans each one for the values it is given (settings: a connection prepares
    what it repeats, which pays for short requests).

    For batches: after five runs PostgreSQL may keep one generic plan for a prepared
    statement, and a batch's look-ups (`member_id IN (...)` for a chunk of a file) differ
    too much from one chunk to the next for one plan to serve them all (figures: the
    commits that brought this in, and `bench/enrollment.py`). Elsewhere than PostgreSQL:
    nothing to do.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    psycopg_connection = connection.connection
    threshold = psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = None
    try:
        yield
    finally:
        psycopg_connection.prepare_threshold = threshold

"""What a unit of work may ask of the database beyond Django's defaults."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def statements_unprepared(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Inside: the connection prepares no statement and runs none it prepared before, so
    PostgreSQL plans each one for the values it is given (settings: a connection prepares
    what it repeats, which pays for short requests).

    For batches. After five runs PostgreSQL may keep one generic plan for a prepared
    statement, and a batch's look-ups (`member_id IN (...)` for a chunk of a file) differ
    enough from one chunk to the next that one plan for all made the 834 apply three
    times slower; forcing custom plans still left it 10% slower than not preparing, as
    its many statement shapes churned the connection's prepared set (measured).
    Elsewhere than PostgreSQL: nothing to do.
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

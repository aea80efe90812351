"""What a unit of work may ask of the database beyond Django's defaults."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save


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


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Field[Any, Any], ...]  # in the order of the statement's parameters
    returns_key: bool  # RETURNING the auto-incremented primary key


_inserts: dict[tuple[type[Model], str, int, bool], _Insert | None] = {}


def insert_rows(rows: Sequence[Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Write new rows of one model in one INSERT, as `save(force_insert=True)` or
    `bulk_create` would, and set their primary keys.

    For the paths that write a request's few rows many times a second (intake): the
    INSERT's SQL is made once per model and row count, where the ORM compiles it again
    for every row, which costs more CPU than PostgreSQL takes to run it (measured). Rows
    the shortcut cannot write exactly as the ORM would (a model with parents or save
    signals, a value that is an expression) are saved by the ORM instead."""
    if not rows:
        return
    model, connection = type(rows[0]), connections[using]
    if any(type(row) is not model or not row._state.adding for row in rows):
        raise ValueError(f"insert_rows writes new {model.__name__} rows only")
    statement = _statement(model, connection, rows)
    params = _params(statement, rows, connection) if statement else None
    if statement is None or params is None:
        for row in rows:
            row.save(force_insert=True, using=using)
        return
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        keys = cursor.fetchall() if statement.returns_key else None
    key_field = model._meta.pk
    for number, row in enumerate(rows):
        if keys is not None:
            setattr(row, key_field.attname, keys[number][0])
        row._state.adding, row._state.db = False, using


def _statement(
    model: type[Model], connection: BaseDatabaseWrapper, rows: Sequence[Model]
) -> _Insert | None:
    """The cached INSERT for `rows`, or None when the ORM must write them."""
    meta = model._meta
    given = {row.pk is not None for row in rows}
    if len(given) > 1 or pre_save.has_listeners(model) or post_save.has_listeners(model):
        return None
    with_key = meta.auto_field is None or given == {True}
    cache_key = (model, connection.alias, len(rows), with_key)
    if cache_key not in _inserts:
        _inserts[cache_key] = _compiled(model, connection, len(rows), with_key)
    return _inserts[cache_key]


def _compiled(
    model: type[Model], connection: BaseDatabaseWrapper, count: int, with_key: bool
) -> _Insert | None:
    meta = model._meta
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if not field.generated and (with_key or field is not meta.auto_field)
    )
    returns_key = not with_key
    if (
        meta.parents
        or any(hasattr(field, "get_placeholder") for field in fields)
        or (returns_key and list(meta.db_returning_fields) != [meta.auto_field])
        or (returns_key and not connection.features.can_return_rows_from_bulk_insert)
    ):
        return None
    # The statement the ORM writes on PostgreSQL and SQLite (the backends that return
    # the keys of a multi-row insert), in the ORM's own quoting.
    quote, table = connection.ops.quote_name, connection.ops.quote_name(meta.db_table)
    columns = ", ".join(quote(_column(field)) for field in fields)
    values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * count)
    sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 - names, no data
    if returns_key:
        sql += f" RETURNING {table}.{quote(_column(meta.pk))}"
    return _Insert(sql, fields, returns_key)


def _column(field: Field[Any, Any]) -> str:
    if field.column is None:  # concrete fields have one
        raise ValueError(f"{field} has no column")
    return field.column


def _params(
    statement: _Insert, rows: Sequence[Model], connection: BaseDatabaseWrapper
) -> list[Any] | None:
    """The statement's parameters, prepared as the ORM prepares them; None when a value
    is an expression (the ORM compiles those)."""
    params: list[Any] = []
    for row in rows:
        # As save() does: a related object saved after it was assigned gives its key now,
        # and an unsaved one is refused.
        row._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]
        for field in statement.fields:
            value = field.pre_save(row, True)
            if hasattr(value, "resolve_expression"):
                return None
            params.append(field.get_db_prep_save(value, connection=connection))
    return params

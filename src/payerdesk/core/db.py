"""What a unit of work may ask of the database beyond Django's defaults."""

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BinaryField, Field, Model
from django.db.models.signals import post_save, pre_save

from payerdesk.core import rows_document


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


_units = threading.local()  # per thread, as Django's connections are


@dataclass
class _Unit:
    """An `atomic_unit`'s keys reserved and not yet used, and its inserts not yet sent."""

    keys: dict[type[Model], list[Any]]
    pending: list[tuple["_Insert", list[Any]]]  # (INSERT, its parameters)


@contextmanager
def atomic_unit(keys: Mapping[type[Model], int], using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """`transaction.atomic()` for a unit of work that writes a few dependent rows, sent to
    PostgreSQL together.

    `keys[M]` new `M` rows get keys reserved up front, so `insert_rows` needs no RETURNING
    and can hold its rows back; what it holds is sent when the block ends, or before any
    other statement runs in it, all in one round trip (`_send`). The unit's writes cost
    that round trip and the reservation's, where each insert cost one (measured on PA
    intake: six inserts with the task queued with them).

    An insert the database refuses raises when the held rows are sent, inside the block,
    so the unit rolls back as any atomic block does. A key reserved and not used is a gap
    in the model's numbers, as a rolled-back insert leaves one. Foreign keys are checked
    on commit (Django makes them deferrable), so the order of the inserts does not
    matter. Elsewhere than PostgreSQL, or inside another unit, this is
    `transaction.atomic()`.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or _open_units().get(using) is not None:
        with transaction.atomic(using=using):
            yield
        return
    unit = _Unit(_keys_reserve(connection, keys), [])
    _open_units()[using] = unit

    def send_held_first(execute: Any, sql: str, *args: Any) -> Any:
        _send(connection, unit)  # a statement may read what the unit wrote
        return execute(sql, *args)

    try:
        with transaction.atomic(using=using), connection.execute_wrapper(send_held_first):
            yield
            if connection.needs_rollback:  # the block rolls back: none of it is written
                unit.pending.clear()
            else:
                _send(connection, unit)
    finally:
        del _open_units()[using]


def _open_units() -> dict[str, _Unit]:
    if not hasattr(_units, "open"):
        _units.open = {}
    units: dict[str, _Unit] = _units.open
    return units


def _send(connection: BaseDatabaseWrapper, unit: _Unit) -> None:
    """The inserts the unit holds, in one round trip: as one statement of their rows in
    JSON (`rows_document`), with any whose rows have no JSON form pipelined beside it.

    Not one statement of the INSERTs themselves: over 4 kB or 50 parameters psycopg
    neither caches how it parsed a statement nor prepares it, and parsing it again every
    time cost more than the round trips it saved (measured)."""
    if not unit.pending:
        return
    held, unit.pending = unit.pending, []
    pipeline = connection.connection.pipeline
    with connection.cursor() as cursor, connection.wrap_database_errors, pipeline():
        for sql, params in _statements(held):
            cursor.execute(sql, params)


def _statements(held: list[tuple["_Insert", list[Any]]]) -> list[tuple[str, list[Any]]]:
    """What `_send` executes for the held inserts: one document statement for the rows
    that have a JSON form (of more than one insert), their own INSERT for the rest."""
    tables, documents, alone = [], [], []
    for statement, params in held:
        rows = None
        if statement.columns is not None and len(held) > 1:
            rows = rows_document.rows_json(statement.columns, params)
        if rows is None:
            alone.append((statement.sql, params))
        else:
            tables.append(statement.table)
            documents.append(rows)
    if not documents:
        return alone
    document = "[" + ",".join(documents) + "]"
    return [(rows_document.document_sql(tuple(tables)), [document]), *alone]


def _keys_reserve(
    connection: BaseDatabaseWrapper, keys: Mapping[type[Model], int]
) -> dict[type[Model], list[Any]]:
    """Draw `keys[M]` values from each model's key sequence, in one round trip.

    The sequences are named in the statement, each a constant PostgreSQL resolves when it
    prepares it: looked up by table and column on every call (pg_get_serial_sequence),
    the statement took 390 µs, named 150 µs (median, measured)."""
    wanted = [(model, count) for model, count in keys.items() if count > 0]
    if not wanted:
        return {}
    sequences = _sequences(connection, [model for model, _ in wanted])
    draws = ", ".join(
        "ARRAY[" + ", ".join([f"nextval({sequence}::regclass)"] * count) + "]"
        for sequence, (_, count) in zip(sequences, wanted, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {draws}")
        drawn = cursor.fetchone()
    assert drawn is not None  # a SELECT of arrays returns one row
    return {model: list(values) for (model, _), values in zip(wanted, drawn, strict=True)}


_sequence_names: dict[tuple[str, type[Model]], str] = {}


def _sequences(connection: BaseDatabaseWrapper, models: list[type[Model]]) -> list[str]:
    """The key sequence of each model's table, as an SQL literal PostgreSQL quoted; read
    once per database. A table keeps its sequence's name while it keeps its own."""
    missing = [model for model in models if (connection.alias, model) not in _sequence_names]
    if missing:
        lookups = ", ".join(["quote_literal(pg_get_serial_sequence(%s, %s))"] * len(missing))
        params = [
            name for model in missing for name in (model._meta.db_table, _column(model._meta.pk))
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {lookups}", params)
            found = cursor.fetchone()
        assert found is not None  # a SELECT of values returns one row
        for model, literal in zip(missing, found, strict=True):
            if literal is None:
                raise ValueError(f"{model.__name__}'s key has no sequence to reserve from")
            _sequence_names[(connection.alias, model)] = literal
    return [_sequence_names[(connection.alias, model)] for model in models]


def _keys_take(model: type[Model], rows: Sequence[Model], unit: _Unit) -> None:
    """Give `rows` keys the unit reserved, when it has enough for them all; otherwise
    the database gives them (RETURNING)."""
    reserved = unit.keys.get(model)
    if not reserved or len(reserved) < len(rows) or model._meta.auto_field is None:
        return
    for row, key in zip(rows, reserved, strict=False):
        row.pk = key
    del reserved[: len(rows)]


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Field[Any, Any], ...]  # in the order of the statement's parameters
    returns_key: bool  # RETURNING the auto-incremented primary key
    table: str  # quoted
    # The fields' columns, for rows_document, when they are all the table's columns
    # (PostgreSQL; a row given its key).
    columns: tuple[str, ...] | None


_inserts: dict[tuple[type[Model], str, int, bool], _Insert | None] = {}


def insert_rows(
    rows: Sequence[Model], using: str = DEFAULT_DB_ALIAS, *, without_signals: bool = False
) -> None:
    """Write new rows of one model in one INSERT, as `save(force_insert=True)` or
    `bulk_create` would, and set their primary keys.

    For the paths that write a request's few rows many times a second (intake): the
    INSERT's SQL is made once per model and row count, where the ORM compiles it again
    for every row, which costs more CPU than PostgreSQL takes to run it (measured). Rows
    the shortcut cannot write exactly as the ORM would (a model with parents or save
    signals, a value that is an expression) are saved by the ORM instead.

    `without_signals`: the caller has done to the rows what the model's save signals
    would (a library's model whose handler fills a default), so none is sent."""
    if not rows:
        return
    model, connection = type(rows[0]), connections[using]
    if any(type(row) is not model or not row._state.adding for row in rows):
        raise ValueError(f"insert_rows writes new {model.__name__} rows only")
    unit = _open_units().get(using)
    if unit is not None and all(row.pk is None for row in rows):
        _keys_take(model, rows, unit)
    statement = _statement(model, connection, rows, without_signals)
    params = _params(statement, rows, connection) if statement else None
    if statement is None or params is None:
        for row in rows:
            row.save(force_insert=True, using=using)
        return
    if unit is not None and not statement.returns_key:
        unit.pending.append((statement, params))  # sent with the unit's other inserts
        keys = None
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            keys = cursor.fetchall() if statement.returns_key else None
    key_field = model._meta.pk
    for number, row in enumerate(rows):
        if keys is not None:
            setattr(row, key_field.attname, keys[number][0])
        row._state.adding, row._state.db = False, using


def _statement(
    model: type[Model],
    connection: BaseDatabaseWrapper,
    rows: Sequence[Model],
    without_signals: bool,
) -> _Insert | None:
    """The cached INSERT for `rows`, or None when the ORM must write them."""
    meta = model._meta
    given = {row.pk is not None for row in rows}
    signalled = pre_save.has_listeners(model) or post_save.has_listeners(model)
    if len(given) > 1 or (signalled and not without_signals):
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
        or any(not _plain_placeholder(field, connection) for field in fields)
        or (returns_key and list(meta.db_returning_fields) != [meta.auto_field])
        or (returns_key and not connection.features.can_return_rows_from_bulk_insert)
    ):
        return None
    # The statement the ORM writes on PostgreSQL and SQLite (the backends that return
    # the keys of a multi-row insert), in the ORM's own quoting.
    quote, table = connection.ops.quote_name, connection.ops.quote_name(meta.db_table)
    columns = tuple(_column(field) for field in fields)
    values = ", ".join([f"({', '.join(['%s'] * len(fields))})"] * count)
    sql = f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES {values}"  # noqa: S608
    if returns_key:
        sql += f" RETURNING {table}.{quote(_column(meta.pk))}"
    # Only a row given its key is held for a document, which writes every column: the
    # fields must be all the table's (none generated, none the model lacks).
    whole = with_key and _table_has_only(connection, meta.db_table, columns)
    return _Insert(sql, fields, returns_key, table, columns if whole else None)


def _table_has_only(connection: BaseDatabaseWrapper, table: str, columns: tuple[str, ...]) -> bool:
    """Whether the table's columns are the model's, on PostgreSQL (where `rows_document`
    writes every column of a table): a database ahead of the code, with a column the model
    does not know, must give that column its default, as the ORM's own INSERT lets it."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
            " AND NOT attisdropped",
            [connection.ops.quote_name(table)],
        )
        found = {name for (name,) in cursor.fetchall()}
    return found == set(columns)


def _plain_placeholder(field: Field[Any, Any], connection: BaseDatabaseWrapper) -> bool:
    """Whether the field's value goes in as a plain %s, as the statement puts it. A field
    with a placeholder of its own has it from its value; binary data has a plain one on
    PostgreSQL and SQLite (a letter's PDF)."""
    if not hasattr(field, "get_placeholder"):
        return True
    return isinstance(field, BinaryField) and connection.vendor in ("postgresql", "sqlite")


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

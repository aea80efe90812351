"""Rows for several tables as one JSON document, written by one PostgreSQL statement.

An `atomic_unit` holds its inserts, each with its parameters as the ORM prepared them for
psycopg. Sent one by one, even pipelined, psycopg adapts every parameter of every row
and drives a statement, its results and its prepared plan for each table. Written out
here as JSON instead, the rows go as one parameter of one statement, a data-modifying
WITH holding an `INSERT ... SELECT * FROM jsonb_populate_recordset(...)` per table, which
PostgreSQL reads back into each column by the column's own input function: what psycopg
would have sent as text for that value. A PA intake's six inserts: 9.61 -> 9.24 M
instructions per submission (callgrind), one statement where there were six.

A value with no JSON form that reads back the same (a JSON column holding JSON null, a
type this module does not know) leaves its rows to be sent as their own INSERT.
"""

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

from psycopg import Binary
from psycopg.types.json import Json, Jsonb


class _NoJsonForm(Exception):
    pass


def _same(value: Any) -> Any:
    return value


def _isoformat(value: date | time) -> str:
    return value.isoformat()


def _binary(value: Binary) -> str:
    return "\\x" + bytes(value.obj).hex()  # bytea's hex input format


def _json(value: Json | Jsonb) -> Any:
    """A JSON column's value: the JSON itself, which the column keeps as it is."""
    if value.obj is None:
        raise _NoJsonForm  # JSON null would read back as SQL NULL
    if value.dumps is None or value.dumps is json.dumps:
        return value.obj  # written as psycopg writes it, and refused as it refuses
    return json.loads(value.dumps(value.obj))  # the field's own encoder


# Values psycopg adapts itself, as what JSON carries for them: the text PostgreSQL parses
# as the column's type. JSON's own types go as they are.
_NATIVE = frozenset({str, int, bool, float, type(None)})  # a float not a number: refused
_CONVERT: dict[type, Callable[[Any], Any]] = {
    str: _same,
    int: _same,
    float: _same,
    datetime: _isoformat,
    date: _isoformat,
    time: _isoformat,
    Decimal: str,  # as a string: exact, whatever its digits
    UUID: str,
    IPv4Address: str,
    IPv6Address: str,
    Binary: _binary,
    Json: _json,
    Jsonb: _json,
}


def _convert_subclass(value: Any) -> Any:
    """A subclass of a type above (a choices enum is a str or an int; psycopg sizes its
    integers), remembered with its base's conversion."""
    for kind, convert in list(_CONVERT.items()):
        if isinstance(value, kind):
            _CONVERT[type(value)] = convert
            return convert(value)
    raise _NoJsonForm


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def rows_json(columns: Sequence[str], params: Sequence[Any]) -> str | None:
    """The rows whose values `params` holds, row after row in the order of `columns`, as
    a JSON array of objects; None when a value has no JSON form that reads back the same
    (a JSON column holding JSON null, a type not known here, a float that is not a
    number, JSON the column's encoder would refuse)."""
    convert = _CONVERT.get
    try:
        values = [
            value if type(value) in _NATIVE else (convert(type(value)) or _convert_subclass)(value)
            for value in params
        ]
        width = len(columns)
        rows = [
            dict(zip(columns, values[at : at + width], strict=True))
            for at in range(0, len(values), width)
        ]
        return _ENCODER.encode(rows)
    except (_NoJsonForm, TypeError, ValueError):
        return None


@lru_cache(maxsize=64)
def document_sql(tables: tuple[str, ...]) -> str:
    """The statement writing document[n]'s rows into tables[n] (quoted names), every
    table's rows giving every one of its columns. Data-modifying WITH queries all run, in
    one snapshot; the foreign keys between the rows are checked at the end."""
    inserts = [
        f"INSERT INTO {table} SELECT * FROM jsonb_populate_recordset("  # noqa: S608 - names
        f"NULL::{table}, (SELECT document -> {number} FROM unit))"
        for number, table in enumerate(tables)
    ]
    held = "".join(f", _{number} AS ({insert})" for number, insert in enumerate(inserts[:-1]))
    return f"WITH unit (document) AS (SELECT %s::jsonb){held} {inserts[-1]}"

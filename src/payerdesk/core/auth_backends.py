"""Django's model permission backend, reading a user's permissions in one query.

Django's ModelBackend reads the user's own permissions and their groups' permissions
with a query each; every API call checks a permission, so this one reads both at once.
What it answers is the same. On PostgreSQL the API's token lookup reads them too, in
its own query (`token_lookup`), so an API call reads none apart.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Q

from payerdesk.core.models import ApiToken


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                found = Permission.objects.all()
            else:
                found = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = found.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs}
        perms: set[str] = user_obj._perm_cache
        return perms


PERMISSIONS_ANNOTATION = "user_permission_names"


@cache
def _permission_names_sql() -> str:
    """SQL for the names ("app_label.codename") of the permissions the user `%(user)s`
    holds, on their own or through a group, as ModelBackend reads them for an active
    non-superuser (`token_lookup` reads them with the token)."""
    user_model = get_user_model()
    return (
        "ARRAY(SELECT ct.app_label || '.' || p.codename"  # noqa: S608 - tables, not data
        f" FROM {Permission._meta.db_table} p"
        f" JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id"
        " WHERE p.id IN ("
        f"SELECT up.permission_id FROM {user_model.user_permissions.through._meta.db_table} up"
        " WHERE up.user_id = %(user)s"
        f" UNION SELECT gp.permission_id FROM {Group.permissions.through._meta.db_table} gp"
        f" JOIN {user_model.groups.through._meta.db_table} ug ON ug.group_id = gp.group_id"
        " WHERE ug.user_id = %(user)s))"
    )


@dataclass(frozen=True)
class _TokenQuery:
    sql: str
    token_fields: list[str]
    user_fields: list[str]
    converters: list[tuple[int, list[Any], Any]]  # (column, converters, expression)


def _column(field: Any) -> str:
    column: str | None = field.column
    assert column is not None  # a concrete field has a column
    return column


@cache
def _token_query(alias: str) -> _TokenQuery:
    """The token, its user and (on PostgreSQL) the user's permission names, by key hash,
    written out once per database. It stays written out only while `bench/api_token.py`
    shows the ORM's answer costing at least twice as much; it must load every field as
    the ORM does (`tests/core/test_auth_backend.py` compares them field for field)."""
    db = connections[alias]
    user_model = get_user_model()
    token_meta, user_meta = ApiToken._meta, user_model._meta
    columns = [field.get_col("t") for field in token_meta.concrete_fields]
    columns += [field.get_col("u") for field in user_meta.concrete_fields]
    quote = db.ops.quote_name
    select = [f"{col.alias}.{quote(_column(col.target))}" for col in columns]
    if db.vendor == "postgresql":
        select.append(_permission_names_sql() % {"user": "t." + quote("user_id")})
    sql = (
        f"SELECT {', '.join(select)} FROM {quote(token_meta.db_table)} t"  # noqa: S608 - names
        f" JOIN {quote(user_meta.db_table)} u ON u.{quote(_column(user_meta.pk))} = t.user_id"
        f" WHERE t.{quote('key_hash')} = %s"
    )
    converters = []
    for index, col in enumerate(columns):
        found = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if found:
            converters.append((index, found, col))
    return _TokenQuery(
        sql,
        [field.attname for field in token_meta.concrete_fields],
        [field.attname for field in user_meta.concrete_fields],
        converters,
    )


def token_lookup(key_hash: str) -> ApiToken | None:
    """The API token with this key hash, its user loaded with it; on PostgreSQL the row also
    carries the user's permission names, for `remember_permissions`."""
    db = connections[ApiToken.objects.db]
    query = _token_query(db.alias)
    with db.cursor() as cursor:
        cursor.execute(query.sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, converters, col in query.converters:
        for converter in converters:
            values[index] = converter(values[index], col, db)
    split = len(query.token_fields)
    token = ApiToken.from_db(db.alias, query.token_fields, values[:split])
    user_values = values[split : split + len(query.user_fields)]
    token.user = get_user_model().from_db(db.alias, query.user_fields, user_values)
    if len(values) > split + len(query.user_fields):
        setattr(token, PERMISSIONS_ANNOTATION, values[-1])
    return token


def remember_permissions(row: Any, user: Any) -> None:
    """Keep the permissions `token_lookup` read with `row` as `user`'s, as ModelBackend
    keeps the ones it reads: for this request, so what a user may do is read afresh on the
    next one. A superuser holds every permission, read when first asked."""
    names = getattr(row, PERMISSIONS_ANNOTATION, None)
    if names is not None and user.is_active and not user.is_superuser:
        user._perm_cache = set(names)

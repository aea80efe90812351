"""Django's model permission backend, reading a user's permissions in one query.

Django's ModelBackend reads the user's own permissions and their groups' permissions
with a query each; every API call checks a permission, so this one reads both at once.
What it answers is the same. On PostgreSQL the API's token lookup reads them too, in
its own query (`with_permissions`), so an API call reads none apart.
"""

from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from django.db.models import QuerySet

M = TypeVar("M", bound=models.Model)


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
    non-superuser. Written out: the ORM takes longer to compile it than PostgreSQL to
    run it, on every API call."""
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


def with_permissions(rows: "QuerySet[M]", user_field: str) -> "QuerySet[M]":
    """On PostgreSQL, each row also carries the permission names of its user (the
    `user_field` foreign key) read in the same query, for `remember_permissions`; elsewhere
    the rows are as they were and the permissions are read when first asked."""
    if connection.vendor != "postgresql":
        return rows
    meta = rows.model._meta
    field = meta.get_field(user_field)
    assert isinstance(field, models.ForeignKey)  # a user foreign key of the rows
    user = f"{meta.db_table}.{field.column}"
    names = RawSQL(_permission_names_sql() % {"user": user}, ())  # noqa: S611 - no data in it
    annotated: QuerySet[M] = rows.annotate(**{PERMISSIONS_ANNOTATION: names})
    return annotated


def remember_permissions(row: Any, user: Any) -> None:
    """Keep the permissions `with_permissions` read with `row` as `user`'s, as ModelBackend
    keeps the ones it reads: for this request, so what a user may do is read afresh on the
    next one. A superuser holds every permission, read when first asked."""
    names = getattr(row, PERMISSIONS_ANNOTATION, None)
    if names is not None and user.is_active and not user.is_superuser:
        user._perm_cache = set(names)

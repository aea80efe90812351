"""The permission backend reads a user's own and group permissions in one query."""

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from payerdesk.core.models import User


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache yet


def test_own_and_group_permissions_both_count_and_take_one_query(db):
    user = User.objects.create_user(username="mixed", password=None)
    group = Group.objects.create(name="Readers of groups")
    group.permissions.add(Permission.objects.get(codename="view_group"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="change_user"))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert user.get_all_permissions() == {"auth.view_group", "core.change_user"}
        assert user.has_perm("auth.view_group") and user.has_perm("core.change_user")
        assert not user.has_perm("auth.delete_group")
    assert len(queries) == 1


def test_an_inactive_user_has_none_and_a_superuser_all(db):
    user = User.objects.create_user(username="gone", password=None, is_active=False)
    user.user_permissions.add(Permission.objects.get(codename="change_user"))
    assert _fresh(user).get_all_permissions() == set()
    boss = User.objects.create_user(username="boss", password=None, is_superuser=True)
    assert len(_fresh(boss).get_all_permissions()) == Permission.objects.count()


def test_a_user_without_permissions_has_none(db):
    user = User.objects.create_user(username="plain", password=None)
    assert _fresh(user).get_all_permissions() == set()
    assert not _fresh(user).has_perm("core.change_user")


def test_the_token_lookup_reads_the_same_permissions_afresh_for_each_call(db):
    """On PostgreSQL the API token query brings the user's permissions (no query of its
    own); anywhere, they are what the backend answers, and a change shows on the next call."""
    from payerdesk.core.services import api_token_authenticate, api_token_issue

    user = User.objects.create_user(username="caller", password=None)
    group = Group.objects.create(name="Readers of groups")
    group.permissions.add(Permission.objects.get(codename="view_group"))
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="change_user"))
    _, raw = api_token_issue(actor=None, user=user, name="test")
    with CaptureQueriesContext(connection) as queries:
        caller = api_token_authenticate(raw)
        assert caller.get_all_permissions() == {"auth.view_group", "core.change_user"}
        assert caller.has_perm("auth.view_group") and not caller.has_perm("auth.delete_group")
    reads = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) == (1 if connection.vendor == "postgresql" else 2)
    group.permissions.add(Permission.objects.get(codename="delete_group"))
    assert api_token_authenticate(raw).has_perm("auth.delete_group")
    user.groups.remove(group)
    assert api_token_authenticate(raw).get_all_permissions() == {"core.change_user"}


def test_a_superusers_token_holds_every_permission(db):
    from payerdesk.core.services import api_token_authenticate, api_token_issue

    boss = User.objects.create_user(username="boss", password=None, is_superuser=True)
    _, raw = api_token_issue(actor=None, user=boss, name="test")
    assert len(api_token_authenticate(raw).get_all_permissions()) == Permission.objects.count()


def test_the_token_lookup_loads_the_token_and_its_user_as_the_orm_does(db):
    """The written-out query converts every column as the ORM would (aware datetimes on
    SQLite too), and an unknown hash finds nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from payerdesk.core.auth_backends import token_lookup
    from payerdesk.core.models import ApiToken
    from payerdesk.core.services import _token_hash, api_token_issue

    user = User.objects.create_user(username="caller", password=None, email="c@example.org")
    token, raw = api_token_issue(
        actor=None, user=user, name="test", expires_at=timezone.now() + timedelta(days=3)
    )
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    found = token_lookup(_token_hash(raw))
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert found is not None and found.expires_at is not None
    assert found.expires_at.tzinfo is not None
    assert _fields(found) == _fields(expected)
    assert _fields(found.user) == _fields(expected.user)
    assert not found._state.adding and not found.user._state.adding
    assert token_lookup(_token_hash(raw + "x")) is None


def _fields(row: Model) -> dict[str, object]:
    """Every column's value as loaded (model_to_dict would leave out the uneditable)."""
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}

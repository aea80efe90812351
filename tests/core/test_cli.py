"""The command line: `payerdesk demo`, issue-token, revoke-token, and the console script."""

import os
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from payerdesk import cli
from payerdesk.core import services
from payerdesk.core.errors import NotAuthenticated
from payerdesk.core.models import (
    ApiToken,
    Market,
    Note,
    Queue,
    Segment,
    SlaPolicy,
    StaffProfile,
    Team,
    TimelineEvent,
    User,
    WorkItem,
)
from payerdesk.core.roles import Role, group_name

SEGMENTS = {"Health Systems", "Specialty Pharmacy", "AIC", "Physician Engagement",
            "National Accounts"}  # fmt: skip
MODELS = (Market, Segment, Team, SlaPolicy, Queue, User, StaffProfile, Group, WorkItem,
          TimelineEvent, Note)  # fmt: skip


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


# --- demo ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_database")
def test_demo_loads_the_organisation_people_and_open_work():
    out = StringIO()
    call_command("demo", stdout=out)
    printed = out.getvalue()

    assert "Demo data loaded." in printed
    assert Market.objects.count() == 5
    assert set(Segment.objects.values_list("name", flat=True)) == SEGMENTS
    for role in Role:
        user = User.objects.get(username=role.value)
        assert list(user.groups.values_list("name", flat=True)) == [group_name(role)]
        assert user.check_password("payerdesk-demo-2026")
        assert f"  {role.value}" in printed
    assert User.objects.count() == len(Role)

    # The core demo's own work is all open (other modules' demos also show decided work).
    core_items = WorkItem.objects.filter(kind__in=("task", "callback"))
    assert core_items.filter(closed_at__isnull=True).count() == core_items.count() > 0
    for item in WorkItem.objects.all():
        assert item.timeline.filter(event=TimelineEvent.Event.CREATED).count() == 1
    # Every queue the demo opens has somebody whose role works it.
    for queue in Queue.objects.all():
        assert queue.items.exists()
        assert queue.worker_roles.filter(user__isnull=False).exists()
    # Market-scoped people hold only work in their markets.
    groupadmin = User.objects.get(username="groupadmin")
    served = set(groupadmin.staff_profile.markets.values_list("code", flat=True))
    held = set(WorkItem.objects.filter(assignee=groupadmin).values_list("market__code", flat=True))
    assert held and held <= served


@pytest.mark.usefixtures("empty_database")
def test_running_the_demo_again_changes_nothing():
    call_command("demo", stdout=StringIO())
    before = _counts()
    out = StringIO()
    call_command("demo", stdout=out)
    assert _counts() == before
    assert "Demo data already present." in out.getvalue()
    assert "rep" in out.getvalue()  # the logins are printed either way


# --- API tokens ---------------------------------------------------------------------------


def _issue(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw[:10] in err.getvalue()  # only the prefix goes to stderr
    return raw


def test_issue_token_prints_a_token_that_authenticates(users):
    raw = _issue("rep")
    assert raw.startswith("pd_") and len(raw) > 40
    assert services.api_token_authenticate(raw) == users["rep"]
    token = ApiToken.objects.get(user=users["rep"])
    assert token.key_hash != raw and raw not in token.key_hash  # only a hash is kept
    assert token.prefix == raw[:10]
    assert token.expires_at is None
    assert token.name == "CLI-issued token"


def test_issue_token_can_expire_and_be_named(users):
    raw = _issue("pharmacist", "--days", "30", "--name", "claims feed")
    token = ApiToken.objects.get(prefix=raw[:10])
    assert token.name == "claims feed"
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert services.api_token_authenticate(raw) == users["pharmacist"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No user 'nobody'"),
        (["rep", "--days", "0"], "--days must be positive"),
        (["rep", "--days", "-3"], "--days must be positive"),
    ],
)
def test_issue_token_refuses_bad_input(users, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_token", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_issue_token_refuses_a_disabled_account(users):
    users["rep"].is_active = False
    users["rep"].save()
    with pytest.raises(CommandError, match="disabled"):
        call_command("issue_token", "rep", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_revoke_token_by_prefix_stops_that_token_only(users):
    revoked, kept = _issue("rep"), _issue("rep")
    out = StringIO()
    call_command("revoke_token", revoked[:10], stdout=out)
    assert out.getvalue().strip() == f"Revoked {revoked[:10]}… of rep."
    with pytest.raises(NotAuthenticated, match="revoked"):
        services.api_token_authenticate(revoked)
    assert services.api_token_authenticate(kept) == users["rep"]
    # Revoking again is harmless and keeps the first revocation time.
    token = ApiToken.objects.get(prefix=revoked[:10])
    first = token.revoked_at
    call_command("revoke_token", revoked, stdout=StringIO())  # the whole token works too
    token.refresh_from_db()
    assert token.revoked_at == first


def test_revoke_token_refuses_an_unknown_prefix(users):
    raw = _issue("rep")
    with pytest.raises(CommandError, match="0 tokens"):
        call_command("revoke_token", "pd_nothing", stdout=StringIO())
    assert services.api_token_authenticate(raw) == users["rep"]


# --- the console script -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/local/bin/payerdesk", "issue-token", "rep"], ["payerdesk", "issue_token", "rep"]),
        (
            ["payerdesk", "revoke-token", "pd_ab-cd-ef"],
            ["payerdesk", "revoke_token", "pd_ab-cd-ef"],  # arguments keep their hyphens
        ),
        (["payerdesk", "tick", "--enqueue"], ["payerdesk", "tick", "--enqueue"]),
        (["payerdesk", "db_worker"], ["payerdesk", "db_worker"]),
        (["payerdesk", "--version"], ["payerdesk", "--version"]),
        (["payerdesk"], ["payerdesk"]),
    ],
)
def test_the_console_script_maps_hyphenated_commands(monkeypatch, argv, expected):
    seen: list[list[str]] = []
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda args: seen.append(args)
    )
    cli.main()
    assert seen == [expected]


def test_the_console_script_defaults_to_the_dev_settings(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    monkeypatch.setattr("sys.argv", ["payerdesk", "check"])
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda args: None)
    cli.main()
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "payerdesk.settings.dev"

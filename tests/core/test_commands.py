"""The payerdesk command line: demo, issue-token, revoke-token, and the console script."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payerdesk import cli
from payerdesk.core import services
from payerdesk.core.errors import NotAuthenticated
from payerdesk.core.models import Market, Segment, TimelineEvent, User, WorkItem
from payerdesk.core.roles import Role


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Market, Segment, User, WorkItem, TimelineEvent)
    )


@pytest.mark.django_db
def test_demo_loads_the_organisation_once():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Demo data loaded." in out.getvalue()
    assert Market.objects.count() == 5
    assert set(Segment.objects.values_list("name", flat=True)) == {
        "Health Systems", "Specialty Pharmacy", "AIC", "Physician Engagement", "National Accounts",
    }  # fmt: skip
    for role in Role:
        user = User.objects.get(username=role.value)
        assert user.groups.filter(name=role.label).exists()
        assert role.value in out.getvalue()
    assert WorkItem.objects.filter(closed_at__isnull=True).count() > 20
    assert not WorkItem.objects.exclude(timeline__event="created").exists()
    assert WorkItem.objects.filter(assignee__username="rep").exists()

    before = _counts()
    again = StringIO()
    call_command("demo", stdout=again)
    assert "already present" in again.getvalue()
    assert _counts() == before


def test_issue_token_prints_a_working_token_and_revoke_token_stops_it(users):
    out = StringIO()
    call_command("issue_token", "rep", "--days", "30", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    assert services.api_token_authenticate(raw) == users["rep"]
    call_command("revoke_token", raw[:10], stdout=StringIO())
    with pytest.raises(NotAuthenticated, match="revoked"):
        services.api_token_authenticate(raw)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["nobody"], "No user 'nobody'"), (["rep", "--days", "0"], "--days must be positive")],
)
def test_issue_token_refuses_bad_input(users, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_token", *args, stdout=StringIO())


def test_the_console_script_accepts_hyphenated_commands(monkeypatch):
    seen: list[list[str]] = []
    monkeypatch.setattr("sys.argv", ["/usr/bin/payerdesk", "issue-token", "rep"])
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    cli.main()
    assert seen == [["payerdesk", "issue_token", "rep"]]

"""Shared fixtures: the demo organisation's shape, built small, and a user per role."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import Market, Queue, SlaPolicy, StaffProfile, User, WorkItem
from payerdesk.core.roles import Role, group_name

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def markets(db) -> dict[str, Market]:
    return {
        code: Market.objects.create(code=code, name=name)
        for code, name in [("TRI", "Tri-State"), ("SE", "Southeast"), ("TX", "Texas")]
    }


@pytest.fixture
def sla_policy(db) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="72 hours", clock=SlaPolicy.Clock.CALENDAR_HOURS, amount=72, escalate_before_hours=12
    )


def _queue(slug: str, policy: SlaPolicy, *roles: Role) -> Queue:
    queue = Queue.objects.create(slug=slug, name=slug.replace("-", " ").title(), sla_policy=policy)
    queue.worker_roles.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
    return queue


@pytest.fixture
def queues(db, sla_policy) -> dict[str, Queue]:
    return {
        "coverage": _queue("coverage-review", sla_policy, Role.REP),
        "pharmacist": _queue("pharmacist-review", sla_policy, Role.PHARMACIST),
        "groups": _queue("group-administration", sla_policy, Role.GROUP_ADMIN),
    }


@pytest.fixture
def make_user(db, markets) -> Callable[..., User]:
    def make(username: str, role: Role | None = None, market_codes: tuple[str, ...] = ()) -> User:
        user = User.objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@example.test"
        )
        if role is not None:
            user.groups.add(Group.objects.get(name=group_name(role)))
        profile = StaffProfile.objects.create(user=user)
        profile.markets.set([markets[code] for code in market_codes])
        return user

    return make


@pytest.fixture
def users(make_user) -> dict[str, User]:
    """One user per role, named by the role's short name, as in the demo."""
    scoped = {Role.GROUP_ADMIN: ("TRI",), Role.SALES_ADMIN: ("SE",), Role.COORDINATOR: ("TRI",)}
    return {role.value: make_user(role.value, role, scoped.get(role, ())) for role in Role}


@pytest.fixture
def make_item(queues) -> Callable[..., WorkItem]:
    def make(
        queue: str = "coverage",
        *,
        kind: str = "task",
        title: str = "Chase a chart note",
        market: Market | None = None,
        due_in: timedelta | None = None,
    ) -> WorkItem:
        due = timezone.now() + due_in if due_in is not None else None
        return services.work_item_create(
            actor=None, kind=kind, title=title, queue=queues[queue], market=market, due_at=due
        )

    return make


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client(users) -> Callable[[str], Client]:
    """A test client that sends a fresh bearer token for the named user."""

    def make(username: str) -> Client:
        _, raw = services.api_token_issue(actor=None, user=users[username], name="test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make

"""The baseline every test's scene stands on, as plain functions: the fixtures in
tests/conftest.py build it per test, or once per module (`module_world`)."""

from dataclasses import dataclass

from django.contrib.auth.models import Group

from payerdesk.core.models import Market, Queue, SlaPolicy, StaffProfile, User
from payerdesk.core.roles import Role, group_name

PASSWORD = "correct-horse-battery-staple"


def markets_create() -> dict[str, Market]:
    return {
        code: Market.objects.create(code=code, name=name)
        for code, name in [("TRI", "Tri-State"), ("SE", "Southeast"), ("TX", "Texas")]
    }


def sla_policy_create() -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="72 hours", clock=SlaPolicy.Clock.CALENDAR_HOURS, amount=72, escalate_before_hours=12
    )


def _queue(slug: str, policy: SlaPolicy, *roles: Role) -> Queue:
    queue = Queue.objects.create(slug=slug, name=slug.replace("-", " ").title(), sla_policy=policy)
    queue.worker_roles.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
    return queue


def queues_create(policy: SlaPolicy) -> dict[str, Queue]:
    return {
        "coverage": _queue("coverage-review", policy, Role.REP),
        "pharmacist": _queue("pharmacist-review", policy, Role.PHARMACIST),
        "groups": _queue("group-administration", policy, Role.GROUP_ADMIN),
    }


def user_create(
    markets: dict[str, Market],
    username: str,
    role: Role | None = None,
    market_codes: tuple[str, ...] = (),
) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test"
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=group_name(role)))
    profile = StaffProfile.objects.create(user=user)
    profile.markets.set([markets[code] for code in market_codes])
    return user


def users_create(markets: dict[str, Market]) -> dict[str, User]:
    """One user per role, named by the role's short name, as in the demo."""
    scoped = {Role.GROUP_ADMIN: ("TRI",), Role.SALES_ADMIN: ("SE",), Role.COORDINATOR: ("TRI",)}
    return {
        role.value: user_create(markets, role.value, role, scoped.get(role, ())) for role in Role
    }


@dataclass(frozen=True)
class World:
    """The baseline every scene stands on: markets, an SLA policy, queues, a user per role."""

    markets: dict[str, Market]
    sla_policy: SlaPolicy
    queues: dict[str, Queue]
    users: dict[str, User]

"""The baseline every test's scene stands on: markets, an SLA policy, queues and one user per
role. tests/conftest.py builds it once per test database; the fixtures fetch its rows by
their natural keys, which stay the same when a flushed database gets it again."""

from dataclasses import dataclass

from django.contrib.auth.models import Group

from payerdesk.core.models import Market, Queue, SlaPolicy, StaffProfile, User
from payerdesk.core.roles import Role, group_name

PASSWORD = "correct-horse-battery-staple"

MARKETS = {"TRI": "Tri-State", "SE": "Southeast", "TX": "Texas"}
SLA_POLICY = "72 hours"
# fixture key -> queue slug, and the roles that work the queue
QUEUES = {
    "coverage": ("coverage-review", (Role.REP,)),
    "pharmacist": ("pharmacist-review", (Role.PHARMACIST,)),
    "groups": ("group-administration", (Role.GROUP_ADMIN,)),
}
# The roles scoped to markets; the others see every market.
USER_MARKETS = {Role.GROUP_ADMIN: ("TRI",), Role.SALES_ADMIN: ("SE",), Role.COORDINATOR: ("TRI",)}


@dataclass(frozen=True)
class World:
    """The baseline every scene stands on: markets, an SLA policy, queues, a user per role."""

    markets: dict[str, Market]
    sla_policy: SlaPolicy
    queues: dict[str, Queue]
    users: dict[str, User]


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


def _queue(slug: str, policy: SlaPolicy, roles: tuple[Role, ...]) -> Queue:
    queue = Queue.objects.create(slug=slug, name=slug.replace("-", " ").title(), sla_policy=policy)
    queue.worker_roles.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
    return queue


def world_create() -> None:
    markets = {code: Market.objects.create(code=code, name=name) for code, name in MARKETS.items()}
    policy = SlaPolicy.objects.create(
        name=SLA_POLICY, clock=SlaPolicy.Clock.CALENDAR_HOURS, amount=72, escalate_before_hours=12
    )
    for slug, roles in QUEUES.values():
        _queue(slug, policy, roles)
    for role in Role:
        user_create(markets, role.value, role, USER_MARKETS.get(role, ()))


def world_exists() -> bool:
    """A transactional test's flush empties every table, so one of the baseline's rows
    tells whether the whole of it is there."""
    return User.objects.filter(username=Role.ADMIN.value).exists()


def world_ensure() -> None:
    if not world_exists():
        world_create()


def world_delete() -> None:
    """For a test of what fills an empty database (the demo), inside its transaction."""
    Queue.objects.filter(slug__in=[slug for slug, _ in QUEUES.values()]).delete()
    SlaPolicy.objects.filter(name=SLA_POLICY).delete()
    User.objects.filter(username__in=[role.value for role in Role]).delete()
    Market.objects.filter(code__in=list(MARKETS)).delete()


def markets_get() -> dict[str, Market]:
    rows = Market.objects.in_bulk(list(MARKETS), field_name="code")
    return {code: rows[code] for code in MARKETS}


def sla_policy_get() -> SlaPolicy:
    return SlaPolicy.objects.get(name=SLA_POLICY)


def queues_get() -> dict[str, Queue]:
    rows = Queue.objects.in_bulk([slug for slug, _ in QUEUES.values()], field_name="slug")
    return {key: rows[slug] for key, (slug, _) in QUEUES.items()}


def users_get() -> dict[str, User]:
    rows = User.objects.in_bulk([role.value for role in Role], field_name="username")
    return {role.value: rows[role.value] for role in Role}


def world_get() -> World:
    return World(markets_get(), sla_policy_get(), queues_get(), users_get())

"""Shared fixtures: the demo organisation's shape, built small, and a user per role."""

import copy
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from django.db.models import Model
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import Market, Queue, SlaPolicy, User, WorkItem
from payerdesk.core.roles import Role
from tests.world import (
    PASSWORD as PASSWORD,  # tests import it from here
)
from tests.world import (
    World,
    markets_create,
    queues_create,
    sla_policy_create,
    user_create,
    users_create,
)

Row = TypeVar("Row", bound=Model)


@pytest.fixture(scope="session", autouse=True)
def data_folders() -> Iterator[Path]:
    """Media live in Django's InMemoryStorage (settings/test.py); what must still be a real
    folder (import progress files, the static root the middleware scans) goes in one
    temporary folder per test process, removed when the session ends."""
    with tempfile.TemporaryDirectory(prefix="payerdesk-test-") as name:
        root = Path(name)
        (root / "static").mkdir()
        with override_settings(MEDIA_ROOT=root / "media", STATIC_ROOT=root / "static"):
            yield root


class _ModuleTransaction(TestCase):
    """Django's class-level transaction (the one `setUpTestData` writes in), held open for
    a whole test module by `module_world`."""


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """A world built once for a module and rolled back after its last test. Each test still
    runs in its own savepoint (`db`), so what one test changes the next never sees. A module
    uses it with `pytestmark = pytest.mark.usefixtures("module_world")`; its scene fixtures
    are then module-scoped too, and `markets`, `sla_policy`, `queues` and `users` answer
    from it (as copies, as `setUpTestData` hands out its instances)."""
    # The database stays open to the module's fixtures (its scenes are module-scoped too).
    with django_db_blocker.unblock():
        _ModuleTransaction.setUpClass()
        try:
            markets = markets_create()
            policy = sla_policy_create()
            yield World(markets, policy, queues_create(policy), users_create(markets))
        finally:
            _ModuleTransaction.tearDownClass()
            _ModuleTransaction.doClassCleanups()


def _fresh(rows: dict[str, Row]) -> dict[str, Row]:
    """Copies of the module's instances, so that a test that changes one in memory leaves
    the next test the instance as the database has it."""
    return {key: copy.copy(row) for key, row in rows.items()}


def _shared_world(request: pytest.FixtureRequest) -> World | None:
    if "module_world" not in request.fixturenames:
        return None
    world: World = request.getfixturevalue("module_world")
    return world


@pytest.fixture
def markets(request, db) -> dict[str, Market]:
    world = _shared_world(request)
    return markets_create() if world is None else _fresh(world.markets)


@pytest.fixture
def sla_policy(request, db) -> SlaPolicy:
    world = _shared_world(request)
    return sla_policy_create() if world is None else copy.copy(world.sla_policy)


@pytest.fixture
def queues(request, db, sla_policy) -> dict[str, Queue]:
    world = _shared_world(request)
    return queues_create(sla_policy) if world is None else _fresh(world.queues)


@pytest.fixture
def make_user(db, markets) -> Callable[..., User]:
    def make(username: str, role: Role | None = None, market_codes: tuple[str, ...] = ()) -> User:
        return user_create(markets, username, role, market_codes)

    return make


@pytest.fixture
def users(request, db, markets) -> dict[str, User]:
    """One user per role, named by the role's short name, as in the demo."""
    world = _shared_world(request)
    return users_create(markets) if world is None else _fresh(world.users)


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

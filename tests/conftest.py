"""Shared fixtures: the demo organisation's shape, built small, and a user per role."""

import tempfile
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, TestCase, override_settings
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from payerdesk.core import services
from payerdesk.core.demo import demo_load
from payerdesk.core.models import Market, Queue, SlaPolicy, User, WorkItem
from payerdesk.core.roles import Role
from tests.world import (
    PASSWORD as PASSWORD,  # tests import it from here
)
from tests.world import (
    World,
    markets_get,
    queues_get,
    sla_policy_get,
    user_create,
    users_get,
    world_delete,
    world_ensure,
    world_get,
)


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


# The blocker of the session's test database once the baseline is in it; None before.
_baseline_blocker: list[DjangoDbBlocker] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The test database (one per xdist worker) gets the baseline once, committed: each
    test's transaction rolls back to it."""
    with django_db_blocker.unblock():
        world_ensure()
    _baseline_blocker.append(django_db_blocker)
    yield
    _baseline_blocker.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """A transactional test ends by flushing every table: the baseline comes back before
    the next test."""
    try:
        yield
    finally:
        for blocker in _baseline_blocker:
            with blocker.unblock():
                world_ensure()


class _ModuleTransaction(TestCase):
    """Django's class-level transaction (the one `setUpTestData` writes in), held open for
    a whole test module by `module_world` or `module_demo`."""


@contextmanager
def _module_transaction(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    # The database stays open to the module's fixtures (its scenes are module-scoped too).
    with django_db_blocker.unblock():
        _ModuleTransaction.setUpClass()
        try:
            yield
        finally:
            _ModuleTransaction.tearDownClass()
            _ModuleTransaction.doClassCleanups()


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """A transaction held open for a module's scene, built once and rolled back after its
    last test. Each test still runs in its own savepoint (`db`), so what one test changes
    the next never sees. A module uses it with
    `pytestmark = pytest.mark.usefixtures("module_world")`; its scene fixtures are then
    module-scoped too."""
    with _module_transaction(django_db_blocker):
        yield world_get()


@pytest.fixture(scope="module")
def module_demo(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The demo loaded once, on an empty database, for a module whose every test reads it
    (`pytestmark = pytest.mark.usefixtures("module_demo")`); rolled back after the last."""
    with _module_transaction(django_db_blocker):
        world_delete()
        demo_load()
        yield


# The baseline's rows, fetched fresh for each test: what a test changes in memory or in
# its transaction the next one never sees.
@pytest.fixture
def markets(db) -> dict[str, Market]:
    return markets_get()


@pytest.fixture
def sla_policy(db) -> SlaPolicy:
    return sla_policy_get()


@pytest.fixture
def queues(db) -> dict[str, Queue]:
    return queues_get()


@pytest.fixture
def empty_database(db) -> None:
    """The baseline taken away for this test (its transaction rolls the deletion back), for
    what must start from an empty database, such as the demo."""
    world_delete()


@pytest.fixture
def make_user(db, markets) -> Callable[..., User]:
    def make(username: str, role: Role | None = None, market_codes: tuple[str, ...] = ()) -> User:
        return user_create(markets, username, role, market_codes)

    return make


@pytest.fixture
def users(db) -> dict[str, User]:
    """One user per role, named by the role's short name, as in the demo."""
    return users_get()


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

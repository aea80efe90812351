"""API token lookup benchmark (issue 17): the written-out lookup against the ORM's.

`core.auth_backends.token_lookup` reads the token, its user and (on PostgreSQL) the
user's permission names in one written-out query; the ORM would read the token with its
user (`select_related`) and the permissions with ModelBackend's own query. It stays
written out only while it costs at most half of the ORM's answer; `tests/core/
test_auth_backend.py` checks it field for field against that answer.

Prints the median CPU and wall microseconds per lookup of each (7 rounds of 2,000,
interleaved) and the ratio. Target: the ORM's CPU time >= 2x the written-out lookup's.

Run with `make bench`. BENCH_TOKEN_DATABASE_URL picks the server (default: the local
cluster); the database named in it is dropped and created anew.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

DATABASE_URL = os.environ.get(
    "BENCH_TOKEN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench_token"
)
ROUNDS = 7
PER_ROUND = 2000
TARGET_RATIO = 2.0

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.databases import django_environment, recreate_database  # noqa: E402

django_environment(DATABASE_URL)

import django  # noqa: E402


def lookups() -> dict[str, Callable[[], object]]:
    """The two ways to read a caller's token, user and permissions, by key hash."""
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command

    from payerdesk.core.auth_backends import remember_permissions, token_lookup
    from payerdesk.core.models import ApiToken, User
    from payerdesk.core.services import _token_hash, api_token_issue

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="caller", password=None)
    group = Group.objects.create(name="Readers")
    group.permissions.add(*Permission.objects.order_by("id")[:20])
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.order_by("-id")[0])
    _, raw = api_token_issue(actor=None, user=user, name="bench")
    key_hash = _token_hash(raw)

    def written_out() -> object:
        token = token_lookup(key_hash)
        assert token is not None
        remember_permissions(token, token.user)
        return token.user.get_all_permissions()

    def orm() -> object:
        token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
        assert token is not None
        return token.user.get_all_permissions()

    if written_out() != orm():
        raise SystemExit("the two lookups disagree on the caller's permissions")
    return {"written out": written_out, "ORM": orm}


def main() -> None:
    recreate_database(DATABASE_URL)
    django.setup()
    ways = lookups()
    for call in ways.values():  # warm: prepared statements, caches
        for _ in range(200):
            call()
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    wall: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(ROUNDS):
        for name, call in ways.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(PER_ROUND):
                call()
            wall[name].append((time.perf_counter() - started) / PER_ROUND * 1e6)
            cpu[name].append((time.process_time() - cpu_started) / PER_ROUND * 1e6)
    ours, theirs = statistics.median(cpu["written out"]), statistics.median(cpu["ORM"])
    ratio = theirs / ours
    print("API token lookup (token, user and permissions; PostgreSQL)")
    for name in ways:
        print(
            f"  {name}: {statistics.median(cpu[name]):,.0f} us CPU, "
            f"{statistics.median(wall[name]):,.0f} us wall per lookup"
        )
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES (return it to the ORM)"
    print(f"  the ORM costs {ratio:.1f}x the written-out lookup, {verdict} >= {TARGET_RATIO:.0f}x")


if __name__ == "__main__":
    main()

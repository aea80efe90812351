"""Work queue benchmark (issue 2): list latency under 200,000 open items, and claim rate.

Loads 200,000 open work items into a fresh PostgreSQL database, then prints:

- p50/p95 of the My work page and of the queue API list for a rep holding 500 items
  (target: p95 <= 150 ms each);
- claims per second with 8 worker processes claiming the next item from one queue,
  with SKIP LOCKED (what payerdesk does) against a named baseline in the same run, a
  naive "read the head, then compare-and-swap" claim; and the double claims of each
  (targets: >= 300 claims/s, 0 double claims).

Run with `make bench`. BENCH_DATABASE_URL picks the server (default: the local cluster);
the database named in it is dropped and created anew.
"""

import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench"
)
TOTAL_ITEMS = int(os.environ.get("BENCH_ITEMS", "200000"))
MY_ITEMS = 500
CLAIM_QUEUE_ITEMS = 20_000  # per claim phase, inside the total
WORKERS = 8
CLAIM_SECONDS = float(os.environ.get("BENCH_CLAIM_SECONDS", "10"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
TARGET_P95_MS = 150.0
TARGET_CLAIMS_PER_SECOND = 300.0

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.databases import django_environment, recreate_database  # noqa: E402

django_environment(DATABASE_URL)
os.environ["ALLOWED_HOSTS"] = "testserver"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django  # noqa: E402


@dataclass(frozen=True)
class Scene:
    rep_id: int
    worker_ids: list[int]
    skip_locked_queue_id: int
    baseline_queue_id: int


def load() -> Scene:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from payerdesk.core.models import Market, Queue, SlaPolicy, User, WorkItem
    from payerdesk.core.roles import Role, group_name

    call_command("migrate", verbosity=0)
    reps = Group.objects.get(name=group_name(Role.REP))
    policy = SlaPolicy.objects.create(name="72h", clock="calendar_hours", amount=72)
    markets = [Market.objects.create(code=f"M{n}", name=f"Market {n}") for n in range(5)]

    def queue(slug: str) -> Queue:
        created = Queue.objects.create(slug=slug, name=slug, sla_policy=policy)
        created.worker_roles.add(reps)
        return created

    coverage, other = queue("coverage-review"), queue("group-administration")
    skip_locked, baseline = queue("claims-skip-locked"), queue("claims-baseline")

    def user(username: str) -> User:
        person = User.objects.create_user(username=username, password=None)
        person.groups.add(reps)
        return person

    rep = user("rep")
    workers = [user(f"worker{n}") for n in range(WORKERS)]

    now = timezone.now()
    plan = [(skip_locked, CLAIM_QUEUE_ITEMS), (baseline, CLAIM_QUEUE_ITEMS)]
    rest = TOTAL_ITEMS - 2 * CLAIM_QUEUE_ITEMS
    plan += [(coverage, rest * 3 // 5), (other, rest - rest * 3 // 5)]
    batch: list[WorkItem] = []
    made = 0
    for target, count in plan:
        for n in range(count):
            due = now + timedelta(minutes=(made * 7919) % (14 * 24 * 60) - 2 * 24 * 60)
            mine = target is coverage and n < MY_ITEMS
            batch.append(
                WorkItem(
                    kind="task",
                    title=f"Bench item {made}",
                    status="open",
                    queue=target,
                    market=markets[made % len(markets)],
                    assignee=rep if mine else None,
                    claimed_at=now if mine else None,
                    created_at=now,
                    due_at=due,
                    escalate_at=due,
                )
            )
            made += 1
            if len(batch) == 5000:
                WorkItem.objects.bulk_create(batch)
                batch.clear()
    WorkItem.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Scene(rep.pk, [w.pk for w in workers], skip_locked.pk, baseline.pk)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_requests(get: Callable[[], int]) -> tuple[float, float]:
    for _ in range(20):  # warm caches and connections
        get()
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        status = get()
        samples.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"request failed with HTTP {status}")
    return statistics.median(samples), percentile(samples, 0.95)


def measure_lists(scene: Scene) -> dict[str, tuple[float, float]]:
    from django.test import Client

    from payerdesk.core import services
    from payerdesk.core.models import User

    rep = User.objects.get(pk=scene.rep_id)
    page = Client()
    page.force_login(rep)
    _, raw = services.api_token_issue(actor=None, user=rep, name="bench")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    return {
        "My work page (GET /)": time_requests(lambda: page.get("/").status_code),
        "queue API list (coverage-review, 50)": time_requests(
            lambda: api.get("/api/work-items?queue=coverage-review&limit=50").status_code
        ),
        "My work API (GET /api/work-items/mine)": time_requests(
            lambda: api.get("/api/work-items/mine?limit=50").status_code
        ),
    }


def claim_worker(strategy: str, user_id: int, queue_id: int, start_at: float) -> list[int]:
    """One worker process: claim from the queue until the phase's time is up."""
    django.setup()
    from django.db import connection

    from payerdesk.core import services
    from payerdesk.core.errors import Conflict, ErrorCode
    from payerdesk.core.models import Queue, User, WorkItem

    user, queue = User.objects.get(pk=user_id), Queue.objects.get(pk=queue_id)
    claimed: list[int] = []
    while time.time() < start_at:
        time.sleep(0.005)
    deadline = start_at + CLAIM_SECONDS
    while time.time() < deadline:
        try:
            if strategy == "skip-locked":
                claimed.append(services.work_item_claim_next(actor=user, queue=queue).pk)
                continue
            # Baseline: read the head of the queue, then try to take it.
            head = (
                WorkItem.objects.filter(queue=queue, assignee__isnull=True, closed_at__isnull=True)
                .order_by("due_at", "id")
                .values_list("pk", flat=True)
                .first()
            )
            if head is None:
                break
            claimed.append(services.work_item_claim(actor=user, item_id=head).pk)
        except Conflict as error:
            if error.code == ErrorCode.QUEUE_EMPTY:
                break
    connection.close()
    return claimed


@dataclass(frozen=True)
class ClaimResult:
    claims: int
    per_second: float
    double_claims: int
    double_timeline: int


def measure_claims(strategy: str, scene: Scene, queue_id: int) -> ClaimResult:
    from django.db import connections
    from django.db.models import Count

    from payerdesk.core.models import TimelineEvent

    connections.close_all()
    start_at = time.time() + 4  # time for the workers to start Django
    args = [(strategy, user_id, queue_id, start_at) for user_id in scene.worker_ids]
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.starmap(claim_worker, args)
    every = [pk for claimed in results for pk in claimed]
    doubles = sum(n - 1 for n in Counter(every).values() if n > 1)
    double_timeline = (
        TimelineEvent.objects.filter(event="claimed", work_item__queue_id=queue_id)
        .values("work_item")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return ClaimResult(len(every), len(every) / CLAIM_SECONDS, doubles, double_timeline)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    print(f"payerdesk work queue benchmark: {TOTAL_ITEMS:,} open items on {DATABASE_URL}")
    recreate_database(DATABASE_URL)
    django.setup()
    started = time.perf_counter()
    scene = load()
    print(f"loaded in {time.perf_counter() - started:.1f} s\n")

    print(f"{'list (rep holding 500 items)':<42} {'p50 ms':>8} {'p95 ms':>8}  target p95 <= 150")
    for name, (p50, p95) in measure_lists(scene).items():
        print(f"{name:<42} {p50:8.1f} {p95:8.1f}  {verdict(p95 <= TARGET_P95_MS)}")

    print(f"\nclaims, {WORKERS} processes, {CLAIM_SECONDS:.0f} s each, one queue")
    print(f"{'strategy':<42} {'claims/s':>8} {'doubles':>8}  target >= 300/s, 0 doubles")
    phases = [
        ("skip-locked", "SKIP LOCKED claim-next (payerdesk)", scene.skip_locked_queue_id),
        ("baseline", "baseline: read head, then CAS", scene.baseline_queue_id),
    ]
    for strategy, label, queue_id in phases:
        result = measure_claims(strategy, scene, queue_id)
        doubles = result.double_claims + result.double_timeline
        ok = result.per_second >= TARGET_CLAIMS_PER_SECOND and doubles == 0
        print(f"{label:<42} {result.per_second:8.0f} {doubles:8d}  {verdict(ok)}")


if __name__ == "__main__":
    main()

"""Prior authorization benchmark (issue 3): API submissions decided at once, end to end.

Builds a fresh PostgreSQL database with the demo formulary, the five demo criteria sets,
a prescriber and 2,000 members, then sends 10,000 `POST /api/priorauth/requests` with
complete answers (a rep's bearer token; one process calls the application as a WSGI
server does, bench/wsgi_caller.py). Every request is approved by its criteria at once:
the request, its work item and timeline, the access log entry, the criteria version and
the decision are written, and the approval letter is recorded as due with its task queued.
The worker makes the letter (PDF) and queues the prescriber's notice: that rate is
measured separately, on letters the submissions left due, by running the task itself.

Prints determinations per second (median of 5 rounds of 2,000), p50/p95 latency over
all 10,000, the CPU time and SQL queries of one submission; then the same 10,000 served
as in production, by one granian process with several clients at once over HTTP
(bench/priorauth_served.py); the worker's letter rate; the decision-evaluation rate
alone (bench/priorauth_decisions.py); and the machine instructions of one submission and
of one baseline call, which unlike seconds do not swing with the machine's load
(bench/priorauth_instructions.py, valgrind).

The baseline, measured in the same run with the same client and token: an API call that
only validates a body and commits one row (bench/priorauth_floor.py). The targets are
absolute and machines differ several-fold; the share of that floor a submission reaches
is what compares from one machine to the next.
Targets: >= 200 requests/s end to end, p95 <= 50 ms; evaluation >= 10,000/s.

Run with `make bench`. BENCH_DATABASE_URL picks the server (default: the local cluster);
the database named in it is dropped and created anew.
"""

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

DATABASE_URL = os.environ.get(
    "BENCH_PA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench_priorauth"
)
SUBMISSIONS = int(os.environ.get("BENCH_PA_SUBMISSIONS", "10000"))
ROUNDS = 5
MEMBERS = 2000
LETTERS = 500  # made by the worker's task, timed apart from the submissions
NPI = "1234567893"
TARGET_RATE = 200.0
TARGET_P95_MS = 50.0

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "payerdesk.settings.dev"
os.environ["DEBUG"] = "false"  # DEBUG would record every query in memory
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("PAYERDESK_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

from bench import priorauth_instructions as instructions  # noqa: E402
from bench.priorauth_decisions import CASES, evaluation_rates  # noqa: E402
from bench.priorauth_served import CLIENTS, SERVER_THREADS, served  # noqa: E402
from bench.wsgi_caller import WsgiCaller  # noqa: E402

# Which drug each demo set is asked for, and what an exception adds.
DRUG_OF = {
    "glp1-t2dm": "1991306",
    "adalimumab-ra": "327361",
    "evolocumab-pcsk9": "1665684",
    "lipitor-nonformulary": "153165",
    "sumatriptan-ql": "37418",
}
STATEMENT = "Urticaria with each generic fill; brand tolerated for two years (see chart note)."


def recreate_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _demo_file(name: str) -> bytes:
    return resources.files("payerdesk.priorauth").joinpath("demo_data", name).read_bytes()


def load() -> str:
    """The scene; returns a rep's raw API token."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from payerdesk.core import services as core_services
    from payerdesk.core.models import Market, Queue, SlaPolicy, User
    from payerdesk.core.roles import Role, group_name
    from payerdesk.groups import services as group_services
    from payerdesk.groups.models import Member
    from payerdesk.priorauth import services
    from payerdesk.priorauth.criteria_sets import demo_criteria_sets

    call_command("migrate", verbosity=0)
    policy = SlaPolicy.objects.create(name="72 hours", clock="calendar_hours", amount=72)
    for slug, role in [
        ("coverage-review", Role.REP),
        ("pharmacist-review", Role.PHARMACIST),
        ("group-administration", Role.GROUP_ADMIN),
    ]:
        queue = Queue.objects.create(slug=slug, name=slug, sla_policy=policy)
        queue.worker_roles.add(Group.objects.get(name=group_name(role)))
    services.formulary_import(
        actor=None,
        formulary_name="formulary_2026.txt",
        formulary_content=_demo_file("formulary_2026.txt"),
        names_name="drug_names.txt",
        names_content=_demo_file("drug_names.txt"),
    )
    for demo in demo_criteria_sets():
        services.criteria_upload(
            actor=None,
            code=demo.slug,
            title=demo.title,
            rxcuis=[drug.rxcui for drug in demo.drugs],
            questionnaire=demo.questionnaire,
            decision=demo.decision,
        )
    services.prescriber_register(
        actor=None, npi=NPI, name="Dr. Chidi Okafor", email="okafor@clinic.example"
    )
    rep = User.objects.create_user(username="rep", password=None)
    rep.groups.add(Group.objects.get(name=group_name(Role.REP)))
    admin = User.objects.create_user(username="groupadmin", password=None, is_superuser=True)
    group = group_services.group_create(
        actor=admin,
        group_number="G9000",
        legal_name="Bench Manufacturing Inc",
        situs_state="NE",
        market=Market.objects.create(code="BN", name="Bench"),
        effective_date=date(2026, 1, 1),
        billing_contact_name="Pat Lee",
        billing_contact_email="billing@bench.example",
    )
    Member.objects.bulk_create(
        Member(
            group=group,
            subscriber_id=f"B{n:06d}",
            member_id=f"B{n:06d}",
            relationship="18",
            first_name="Member",
            last_name=f"Bench{n}",
            birth_date=date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
            sex="F" if n % 2 else "M",
        )
        for n in range(MEMBERS)
    )
    _analyze_filled_tables()
    _, raw = core_services.api_token_issue(actor=None, user=rep, name="bench")
    return raw


def _analyze_filled_tables() -> None:
    """Statistics for the tables that hold rows, as autovacuum gathers them on a server in
    use: after the scene is loaded, and between rounds, outside the time measured.

    A connection keeps the plan it made for a statement (ours, prepared, and the foreign-key
    checks PostgreSQL runs at COMMIT) until the table's statistics change. Made while a
    table was nearly empty, that plan is a sequential scan; autovacuum would analyze the
    table again once a tenth of it is new, but its first visit to a new database comes
    later than a run ends. Without this, the check of each submission's work item scanned
    every work item at COMMIT, and the duplicate check every request: the rate fell round
    after round (252, 218, 194, 172, 155/s). Empty tables are left alone: analyzed empty,
    a table is planned as empty until analyzed again, as one never analyzed is not."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT EXISTS (SELECT FROM "{table}")')  # noqa: S608 - our tables
            if cursor.fetchone()[0]:
                cursor.execute(f'ANALYZE "{table}"')


LINES = ("medicare_part_d", "medicare_advantage", "medicaid", "commercial")


def bodies() -> list[dict[str, Any]]:
    """The submissions, cycling through the demo drugs with their approving answers."""
    slugs = list(DRUG_OF)
    made = []
    for n in range(SUBMISSIONS):
        slug = slugs[n % len(slugs)]
        body: dict[str, Any] = {
            "member_id": f"B{n % MEMBERS:06d}",
            "prescriber_npi": NPI,
            "drug": DRUG_OF[slug],
            "urgency": "expedited" if n % 7 == 0 else "standard",
            "line_of_business": LINES[n % 4],
            "answers": CASES[slug][0],
        }
        if slug == "lipitor-nonformulary":
            body["supporting_statement"] = STATEMENT
        made.append(body)
    return made


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Submissions:
    latencies: list[float]  # ms, every submission
    rates: list[float]  # per round
    cpu_ms: float  # process CPU per submission
    queries: int  # SQL statements of one submission


def submit_all(token: str) -> Submissions:
    """Latencies (ms) of every submission and the rate of each round."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = WsgiCaller(token)
    payloads = [json.dumps(body) for body in bodies()]
    for payload in payloads[:20]:  # warm caches, compiled criteria, prepared statements
        client.post("/api/priorauth/requests", payload)
    with CaptureQueriesContext(connection) as one:
        client.post("/api/priorauth/requests", payloads[20])
    queries = len(one.captured_queries)  # now: the next request empties the log
    latencies: list[float] = []
    rates: list[float] = []
    per_round = len(payloads) // ROUNDS
    cpu_started = time.process_time()
    for round_number in range(ROUNDS):
        chunk = payloads[round_number * per_round : (round_number + 1) * per_round]
        started = time.perf_counter()
        for payload in chunk:
            begin = time.perf_counter()
            response = client.post("/api/priorauth/requests", payload)
            latencies.append((time.perf_counter() - begin) * 1000)
            if response.status != 201 or response.json()["decision"] != "approved":
                raise SystemExit(f"submission not approved at once: {response.body[:400]!r}")
        rates.append(len(chunk) / (time.perf_counter() - started))
        cpu_paused = time.process_time()
        _analyze_filled_tables()
        cpu_started += time.process_time() - cpu_paused
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(latencies)
    return Submissions(latencies, rates, cpu_ms, queries)


def floor_rate(token: str, count: int) -> tuple[float, float]:
    """The baseline's calls per second (median of ROUNDS) and CPU ms per call."""
    from django.test import override_settings

    client = WsgiCaller(token)
    payload = json.dumps(bodies()[0])
    rates: list[float] = []
    with override_settings(ROOT_URLCONF="bench.priorauth_floor"):
        for _ in range(20):
            client.post("/floor/records", payload)
        cpu_started = time.process_time()
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(count // ROUNDS):
                response = client.post("/floor/records", payload)
                if response.status != 201:
                    raise SystemExit(f"baseline call failed: {response.body[:400]!r}")
            rates.append((count // ROUNDS) / (time.perf_counter() - started))
        cpu_ms = (time.process_time() - cpu_started) * 1000 / (count // ROUNDS * ROUNDS)
    return statistics.median(rates), cpu_ms


def letters_issue(count: int) -> tuple[int, float, float]:
    """Run the letter task, as the worker does, for `count` letters the submissions left
    due: (letters made, per second wall, per CPU-second)."""
    from payerdesk.priorauth.models import Letter
    from payerdesk.priorauth.tasks import issue_letter

    due = list(
        Letter.objects.filter(issued_at__isnull=True).order_by("id").values_list("id", flat=True)
    )[:count]
    started, cpu_started = time.perf_counter(), time.process_time()
    for letter_id in due:
        if not issue_letter.call(letter_id):
            raise SystemExit(f"letter {letter_id} was issued already")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    issued = Letter.objects.filter(id__in=due, issued_at__isnull=False).exclude(sha256="").count()
    if issued != len(due):
        raise SystemExit(f"only {issued} of {len(due)} letters were made")
    return len(due), len(due) / wall, len(due) / cpu


def verdict(met: bool) -> str:
    return "meets" if met else "MISSES"


def main() -> None:
    recreate_database()
    django.setup()
    token = load()
    done = submit_all(token)
    latencies = done.latencies
    rate = statistics.median(done.rates)
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    ok_rate, ok_p95 = verdict(rate >= TARGET_RATE), verdict(p95 <= TARGET_P95_MS)
    print(f"Prior authorization API, {len(latencies):,} submissions decided at once (PostgreSQL)")
    rounds = ", ".join(f"{each:,.0f}" for each in done.rates)
    print(f"  {rate:,.0f} determinations/s (median of {ROUNDS} rounds: {rounds}), {ok_rate} >= 200")
    print(f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, {ok_p95} p95 <= {TARGET_P95_MS:.0f} ms")
    print(f"  per submission: {done.cpu_ms:.1f} ms CPU (this process), {done.queries} SQL queries")
    floor, floor_cpu = floor_rate(token, min(SUBMISSIONS, 5000))
    print(
        f"  baseline, same run: an authenticated call committing one row, {floor:,.0f}/s, "
        f"{floor_cpu:.1f} ms CPU; a submission runs at {rate / floor:.0%} of it"
    )
    over_http = served(token, [json.dumps(body).encode() for body in bodies()], ROUNDS)
    served_rate = statistics.median(over_http.rates)
    served_p95 = percentile(over_http.latencies, 0.95)
    print(
        f"  served by one granian process ({SERVER_THREADS} threads), {CLIENTS} clients at once "
        f"over HTTP: {served_rate:,.0f} determinations/s (rounds: "
        + ", ".join(f"{each:,.0f}" for each in over_http.rates)
        + f"), {verdict(served_rate >= TARGET_RATE)} >= 200; latency p50 "
        f"{statistics.median(over_http.latencies):.1f} ms, p95 {served_p95:.1f} ms, "
        f"{verdict(served_p95 <= TARGET_P95_MS)} p95 <= {TARGET_P95_MS:.0f} ms"
    )
    made, letter_rate, letter_cpu_rate = letters_issue(LETTERS)
    print(
        f"  worker: {made:,} approval letters made (PDF) and notices queued, "
        f"{letter_rate:,.0f}/s wall, {letter_cpu_rate:,.0f}/s per CPU-second"
    )
    cpu, wall = evaluation_rates()
    print(f"  decision evaluation alone: {cpu:,.0f}/s per CPU-second, {wall:,.0f}/s wall")
    print_instructions(token)


def print_instructions(token: str) -> None:
    if not instructions.available():
        print("  instructions: not counted (valgrind is not installed)")
        return
    payloads = [json.dumps(body) for body in bodies()]
    submission = instructions.count(token, "/api/priorauth/requests", payloads)
    floor = instructions.count(token, "/floor/records", [payloads[0]] * len(payloads))
    print(
        f"  instructions (callgrind; steady whatever the machine's load): "
        f"{submission / 1e6:.2f} M per submission, {floor / 1e6:.2f} M per baseline call "
        f"({submission / floor:.1f}x)"
    )


if __name__ == "__main__":
    main()

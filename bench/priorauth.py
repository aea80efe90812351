"""Prior authorization benchmark (issue 3, issue 17): API submissions decided at once.

Builds a fresh PostgreSQL database with the demo formulary, the five demo criteria sets,
a prescriber and 2,000 members, then sends 10,000 `POST /api/priorauth/requests` with
complete answers, in this process, through Django's test client (one client, a rep's
bearer token), on the plain ORM write path. Every request is approved by its criteria at
once: the request, its work item and timeline, the access log entry, the criteria
version and the decision are written, and the approval letter is recorded as due with
its task queued (django-tasks-db's backend, as in production). The worker makes the
letter (PDF): that rate is measured apart, on letters the submissions left due, by
running the task itself.

The baseline, measured in the same run with the same client and token: an API call that
only validates a body and commits one row (an access-log entry), behind the project's
bearer-token authentication (`/floor/records` here). A submission does all of that and
more; the share of the baseline it reaches compares from one machine to the next, where
the absolute figures differ several-fold.

Prints determinations per second (median of 5 rounds of 2,000), p50/p95 latency over all
10,000, the CPU time and SQL queries of one submission, the baseline's rate, the
worker's letter rate and the decision-evaluation rate of the demo criteria alone (no
Django, no database). Targets: >= 150 determinations/s and p95 <= 50 ms (one client, on
2 cores); evaluation >= 10,000 decisions per CPU-second.

Run with `make bench`. BENCH_PA_DATABASE_URL picks the server (default: the local
cluster); the database named in it is dropped and created anew.
"""

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

DATABASE_URL = os.environ.get(
    "BENCH_PA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench_priorauth"
)
SUBMISSIONS = int(os.environ.get("BENCH_PA_SUBMISSIONS", "10000"))
ROUNDS = 5
MEMBERS = 2000
LETTERS = 500  # made by the worker's task, timed apart from the submissions
NPI = "1234567893"
TARGET_RATE = 150.0
TARGET_P95_MS = 50.0
TARGET_EVALUATIONS = 10_000.0
EVALUATIONS_PER_ROUND = 20_000

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.databases import django_environment, recreate_database  # noqa: E402

django_environment(DATABASE_URL)
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

import django  # noqa: E402

from payerdesk.priorauth.criteria.engine import Criteria  # noqa: E402
from payerdesk.priorauth.criteria_sets import demo_criteria_sets  # noqa: E402

# Which drug each demo set is asked for, and what an exception adds.
DRUG_OF = {
    "glp1-t2dm": "1991306",
    "adalimumab-ra": "327361",
    "evolocumab-pcsk9": "1665684",
    "lipitor-nonformulary": "153165",
    "sumatriptan-ql": "37418",
}
STATEMENT = "Urticaria with each generic fill; brand tolerated for two years (see chart note)."


def cases() -> dict[str, list[dict[str, object]]]:
    """One approving and one referring answer set per demo criteria set: the demo's own
    where it has them."""
    from payerdesk.priorauth import demo

    return {
        "glp1-t2dm": [demo.MEETS_GLP1, demo.SHORT_GLP1],
        "adalimumab-ra": [
            demo.MEETS_RA,
            {
                "diagnosis": "M06",
                "prescriber_rheumatologist": True,
                "methotrexate_tried": True,
                "methotrexate_months": 1,
                "tb_test": "not_done",
            },
        ],
        "evolocumab-pcsk9": [
            {
                "indication": "ascvd",
                "ldl": 96,
                "statin_intolerant": False,
                "max_statin_8_weeks": True,
                "ezetimibe_tried": True,
            },
            demo.SHORT_PCSK9,
        ],
        "lipitor-nonformulary": [
            demo.MEETS_LIPITOR,
            {"generic_tried": False, "other_statin_tried": False},
        ],
        "sumatriptan-ql": [
            demo.MEETS_SUMATRIPTAN,
            {
                "diagnosis": "G43",
                "requested_quantity": 27,
                "migraine_days": 12,
                "prophylaxis_tried": False,
                "prophylaxis_contraindicated": True,
                "overuse_assessed": True,
            },
        ],
    }


@cache
def _floor_urlpatterns() -> list[Any]:
    """The baseline endpoint: validates a small JSON body and commits one access-log entry
    in a transaction, behind the project's bearer-token authentication."""
    from django.db import transaction
    from django.http import HttpRequest
    from django.urls import path
    from ninja import NinjaAPI, Schema

    from payerdesk.api import ApiTokenAuth
    from payerdesk.core.models import AccessLogEntry, User
    from payerdesk.core.services import access_log_record

    api = NinjaAPI(auth=ApiTokenAuth(), urls_namespace="bench-floor", docs_url=None)

    class RecordIn(Schema):
        member_id: str
        drug: str
        answers: dict[str, object]

    class RecordOut(Schema):
        id: int

    @api.post("/records", response={201: RecordOut})
    def record(request: HttpRequest, body: RecordIn) -> tuple[int, RecordOut]:
        user = request.user
        assert isinstance(user, User)
        with transaction.atomic():
            entry = access_log_record(
                user=user,
                action=AccessLogEntry.Action.VIEW,
                channel=AccessLogEntry.Channel.API,
                record_type="bench",
                record_id=body.member_id,
            )
        return 201, RecordOut(id=entry.pk)

    return [path("floor/", api.urls)]


def __getattr__(name: str) -> Any:
    """This module is the baseline's URLconf (ROOT_URLCONF="bench.priorauth"), built once
    Django is set up."""
    if name == "urlpatterns":
        return _floor_urlpatterns()
    raise AttributeError(name)


def _demo_file(name: str) -> bytes:
    return resources.files("payerdesk.priorauth").joinpath("demo_data", name).read_bytes()


def load() -> str:
    """The scene; returns a rep's raw API token."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from payerdesk.core import services as core_services
    from payerdesk.core.models import Market, Queue, SlaPolicy, User
    from payerdesk.core.roles import Role, group_name
    from payerdesk.groups.models import Member
    from payerdesk.groups.services import groups as group_services
    from payerdesk.priorauth.services import criteria as criteria_services
    from payerdesk.priorauth.services import formulary as formulary_services
    from payerdesk.priorauth.services import prescribers as prescriber_services

    call_command("migrate", verbosity=0)
    policy = SlaPolicy.objects.create(name="72 hours", clock="calendar_hours", amount=72)
    for slug, role in [
        ("coverage-review", Role.REP),
        ("pharmacist-review", Role.PHARMACIST),
        ("group-administration", Role.GROUP_ADMIN),
    ]:
        queue = Queue.objects.create(slug=slug, name=slug, sla_policy=policy)
        queue.worker_roles.add(Group.objects.get(name=group_name(role)))
    formulary_services.formulary_import(
        actor=None,
        formulary_name="formulary_2026.txt",
        formulary_content=_demo_file("formulary_2026.txt"),
        names_name="drug_names.txt",
        names_content=_demo_file("drug_names.txt"),
    )
    for demo in demo_criteria_sets():
        criteria_services.criteria_upload(
            actor=None,
            code=demo.slug,
            title=demo.title,
            rxcuis=[drug.rxcui for drug in demo.drugs],
            questionnaire=demo.questionnaire,
            decision=demo.decision,
        )
    prescriber_services.prescriber_register(
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
    approving = {slug: answers[0] for slug, answers in cases().items()}
    made = []
    for n in range(SUBMISSIONS):
        slug = slugs[n % len(slugs)]
        body: dict[str, Any] = {
            "member_id": f"B{n % MEMBERS:06d}",
            "prescriber_npi": NPI,
            "drug": DRUG_OF[slug],
            "urgency": "expedited" if n % 7 == 0 else "standard",
            "line_of_business": LINES[n % 4],
            "answers": approving[slug],
        }
        if slug == "lipitor-nonformulary":
            body["supporting_statement"] = STATEMENT
        made.append(body)
    return made


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _client(token: str) -> Any:
    """One client calling the application in this process, as the rep's API token."""
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _post(client: Any, path: str, payload: str) -> Any:
    return client.post(path, payload, content_type="application/json")


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

    client = _client(token)
    payloads = [json.dumps(body) for body in bodies()]
    for payload in payloads[:20]:  # warm caches, compiled criteria, prepared statements
        _post(client, "/api/priorauth/requests", payload)
    with CaptureQueriesContext(connection) as one:
        _post(client, "/api/priorauth/requests", payloads[20])
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
            response = _post(client, "/api/priorauth/requests", payload)
            latencies.append((time.perf_counter() - begin) * 1000)
            if response.status_code != 201 or response.json()["decision"] != "approved":
                raise SystemExit(f"submission not approved at once: {response.content[:400]!r}")
        rates.append(len(chunk) / (time.perf_counter() - started))
        cpu_paused = time.process_time()
        _analyze_filled_tables()
        cpu_started += time.process_time() - cpu_paused
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(latencies)
    return Submissions(latencies, rates, cpu_ms, queries)


def floor_rate(token: str, count: int) -> tuple[float, float]:
    """The baseline's calls per second (median of ROUNDS) and CPU ms per call."""
    from django.test import override_settings

    client = _client(token)
    payload = json.dumps(bodies()[0])
    rates: list[float] = []
    with override_settings(ROOT_URLCONF="bench.priorauth"):
        for _ in range(20):
            _post(client, "/floor/records", payload)
        cpu_started = time.process_time()
        for _ in range(ROUNDS):
            started = time.perf_counter()
            for _ in range(count // ROUNDS):
                response = _post(client, "/floor/records", payload)
                if response.status_code != 201:
                    raise SystemExit(f"baseline call failed: {response.content[:400]!r}")
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


def workload() -> list[tuple[Criteria, dict[str, object]]]:
    loaded = {s.slug: Criteria.load(s.questionnaire, s.decision) for s in demo_criteria_sets()}
    return [
        (loaded[slug], loaded[slug].clean(case)) for slug, both in cases().items() for case in both
    ]


def evaluation_rates(
    rounds: int = ROUNDS, per_round: int = EVALUATIONS_PER_ROUND
) -> tuple[float, float]:
    """The criteria's `decide` alone, in a loop over one approving and one referring
    case per demo set: median decisions per CPU-second and per wall-second."""
    cases = workload()
    for criteria, cleaned in cases:  # warm up
        criteria.decide(cleaned)
    cpu_rates, wall_rates = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(per_round):
            criteria, cleaned = cases[n % len(cases)]
            criteria.decide(cleaned)
        cpu_rates.append(per_round / (time.process_time() - cpu))
        wall_rates.append(per_round / (time.perf_counter() - wall))
    return statistics.median(cpu_rates), statistics.median(wall_rates)


def main() -> None:
    recreate_database(DATABASE_URL)
    django.setup()
    token = load()
    done = submit_all(token)
    floor, floor_cpu = floor_rate(token, min(SUBMISSIONS, 5000))
    latencies = done.latencies
    rate = statistics.median(done.rates)
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"Prior authorization API, {len(latencies):,} submissions decided at once (PostgreSQL)")
    print("  in process, one client, the ORM write path")
    rounds = ", ".join(f"{each:,.0f}" for each in done.rates)
    print(
        f"  {rate:,.0f} determinations/s (median of {ROUNDS} rounds: {rounds}), "
        f"{verdict(rate >= TARGET_RATE)} >= {TARGET_RATE:.0f}"
    )
    print(
        f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"{verdict(p95 <= TARGET_P95_MS)} p95 <= {TARGET_P95_MS:.0f} ms"
    )
    print(f"  per submission: {done.cpu_ms:.1f} ms CPU (this process), {done.queries} SQL queries")
    print(
        f"  baseline, same run: an authenticated call committing one row, {floor:,.0f}/s, "
        f"{floor_cpu:.1f} ms CPU; a submission runs at {rate / floor:.0%} of it"
    )
    made, letter_rate, letter_cpu_rate = letters_issue(LETTERS)
    print(
        f"  worker: {made:,} approval letters made (PDF) and notices queued, "
        f"{letter_rate:,.0f}/s wall, {letter_cpu_rate:,.0f}/s per CPU-second"
    )
    cpu, wall = evaluation_rates()
    print(
        f"  decision evaluation alone: {cpu:,.0f}/s per CPU-second, "
        f"{verdict(cpu >= TARGET_EVALUATIONS)} >= {TARGET_EVALUATIONS:,.0f}; {wall:,.0f}/s wall"
    )


if __name__ == "__main__":
    main()

"""Premium billing benchmark (issue 5): the list bill of one very large group.

Loads a group of 100,000 members with two coverages each into a fresh PostgreSQL
database, then generates its monthly list bill (200,000 premium lines, one journal
entry of 100,001 lines) in a fresh process and prints the time and that process's peak
memory (ru_maxrss). Targets: list bill <= 10 s, peak memory <= 500 MB.

Then it writes an 820 paying that bill with 2% of its member lines differing (short
paid, over paid, an unknown member id, the wrong period, in turn), receives it in a
fresh process (read, store, reconcile, post: `remittance_file_receive`), and checks
that every differing line is accounted for by a variance of the right class. Both
halves also print the CPU seconds of the Python process and of its PostgreSQL backend
(wall time on a shared machine says as much about the neighbours).
Targets: reconciliation <= 10 s, peak memory <= 500 MB.

Run with `make bench`. BENCH_BILLING_DATABASE_URL picks the server (default: the local
cluster); the database named in it is dropped and created anew.
"""

import os
import resource
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

DATABASE_URL = os.environ.get(
    "BENCH_BILLING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench_billing"
)
MEMBERS = int(os.environ.get("BENCH_BILLING_MEMBERS", "100000"))
TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 500.0
PERIOD = date(2026, 1, 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.databases import django_environment, recreate_database  # noqa: E402

django_environment(DATABASE_URL)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django  # noqa: E402


def load() -> int:
    """The group, its two plans, its members and their coverages; returns the group id."""
    from django.core.management import call_command

    from payerdesk.billing.services.listbills import billing_schedule_set
    from payerdesk.core.models import Market, User
    from payerdesk.groups.models import Coverage, EmployerGroup, Member, PlanDesign, Product

    call_command("migrate", verbosity=0)
    market = Market.objects.create(code="TRI", name="Tri-State")
    admin = User.objects.create_user(username="bench")
    group = EmployerGroup.objects.create(
        group_number="BIG1", legal_name="Very Large Employer", situs_state="NE",
        market=market, effective_date=PERIOD, billing_contact_name="Payroll",
        billing_contact_email="payroll@example.test", created_by=admin,
    )  # fmt: skip
    plans = [
        PlanDesign.objects.create(
            group=group,
            product=Product.objects.create(code=code, name=code, insurance_line=line),
            name=code,
            effective_date=PERIOD,
            tiers=["EMP", "FAM"],
            rate_basis="tier",
        )
        for code, line in (("term-life", "LIF"), ("accident", "AH"))
    ]
    billing_schedule_set(actor=None, group=group, mode="monthly", first_period_start=PERIOD)
    batch = 10_000
    for first in range(0, MEMBERS, batch):
        members = Member.objects.bulk_create(
            Member(
                group=group,
                subscriber_id=f"{100000000 + n}",
                member_id=f"{100000000 + n}",
                relationship="18",
                first_name="Pat",
                last_name=f"Member{n}",
                birth_date=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                sex="FM"[n % 2],
            )
            for n in range(first, min(first + batch, MEMBERS))
        )
        Coverage.objects.bulk_create(
            Coverage(
                member=member,
                plan=plan,
                tier="EMP",
                start_date=PERIOD,
                monthly_premium=Decimal("4.25") + (member.pk % 50),
                rated_age=40,
                rated_tobacco=False,
            )
            for member in members
            for plan in plans
        )
    return group.pk


def backend_cpu_seconds(pid: int) -> float:
    """CPU time of the local PostgreSQL backend serving us (0 when /proc cannot tell):
    on a busy shared machine wall time says more about the neighbours than about us."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def generate(group_id: int) -> None:
    """In a fresh process: generate the bill; print seconds, peak MB, line count, total,
    and the CPU seconds spent by this process and by its database backend."""
    from django.db import connection

    from payerdesk.billing.services.listbills import list_bill_generate
    from payerdesk.groups.models import EmployerGroup

    group = EmployerGroup.objects.get(pk=group_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before, db_before = time.process_time(), backend_cpu_seconds(backend)
    start = time.perf_counter()
    bill = list_bill_generate(actor=None, group=group, period_start=PERIOD).bill
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    db_cpu = backend_cpu_seconds(backend) - db_before
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(seconds, peak_mb, bill.lines.count(), bill.total, cpu, db_cpu)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        django.setup()
        generate(int(sys.argv[2]))
        return
    recreate_database(DATABASE_URL)
    django.setup()
    started = time.perf_counter()
    group_id = load()
    print(f"billing benchmark: {MEMBERS:,} members x 2 coverages loaded in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--generate", str(group_id)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, peak, lines, total, cpu, db_cpu = out.stdout.split()
    print(f"list bill: {int(lines):,} lines, total {Decimal(total):,}")
    print(f"  time {float(seconds):.2f} s  target <= {TARGET_SECONDS:.0f} s: "
          f"{verdict(float(seconds) <= TARGET_SECONDS)}")  # fmt: skip
    print(
        f"  CPU: {float(cpu):.2f} s in Python, {float(db_cpu):.2f} s in the PostgreSQL "
        f"backend; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"  peak memory {float(peak):,.0f} MB  target <= {TARGET_MEMORY_MB:.0f} MB: "
          f"{verdict(float(peak) <= TARGET_MEMORY_MB)}")  # fmt: skip
    reconcile_half(group_id)


# ---- the reconciliation half -------------------------------------------------------

DIFFERING_EVERY = 50  # 2% of lines
CLASSES = ("short_paid", "over_paid", "unknown_member", "period_mismatch")


def write_820(group_id: int, path: Path) -> dict[str, str]:
    """An 820 for the bill as the ledger holds it; returns differing member id -> class."""
    from payerdesk.billing.selectors import listbills as listbill_selectors
    from payerdesk.groups.models import EmployerGroup, Member

    group = EmployerGroup.objects.get(pk=group_id)
    owed = listbill_selectors.member_period_balances(group)
    ids = dict(Member.objects.filter(group=group).values_list("pk", "member_id"))
    differing: dict[str, str] = {}
    segments: list[str] = []
    total = Decimal(0)
    for n, ((member_pk, period), amount) in enumerate(sorted(owed.items())):
        member_id, start = ids[member_pk], period
        if n % DIFFERING_EVERY == 0:
            kind = CLASSES[(n // DIFFERING_EVERY) % len(CLASSES)]
            if kind == "short_paid":
                amount -= Decimal("5.00")
            elif kind == "over_paid":
                amount += Decimal("7.00")
            elif kind == "unknown_member":
                member_id = f"X{member_id}"
            else:
                start = date(period.year, period.month + 1, 1)
            differing[member_id] = kind
        total += amount
        segments += [
            f"ENT*{n + 1}*2J*EI*999999999",
            f"NM1*IL*1*MEMBER*PAT****N*{member_id}",
            f"RMR*IK*BIG1-{period:%Y%m}**{amount:.2f}",
            f"DTM*582****RD8*{start:%Y%m%d}-{start:%Y%m}28",
        ]
    head = ["ST*820*0001*005010X218", f"BPR*C*{total:.2f}*C*ACH************20260105",
            "TRN*1*BENCH820", "REF*38*BIG1"]  # fmt: skip
    body = "~".join(head + segments) + f"~SE*{len(head) + len(segments) + 1}*0001~"
    path.write_text(
        "ISA*00*          *00*          *ZZ*EMPLOYER       *ZZ*PAYERDESK      *260105*0800*^*"
        "00501*000000820*0*P*:~GS*RA*EMPLOYER*PAYERDESK*20260105*0800*820*X*005010X218~"
        + body + "GE*1*820~IEA*1*000000820~",
        encoding="ascii",
    )  # fmt: skip
    return differing


def receive(path: Path) -> None:
    """In a fresh process: receive the 820; print seconds, peak MB, the outcome, and
    the CPU seconds spent by this process and by its database backend."""
    from django.db import connection

    from payerdesk.billing.services.remittances import remittance_file_receive

    content = path.read_bytes()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_before, db_before = time.process_time(), backend_cpu_seconds(backend)
    start = time.perf_counter()
    result = remittance_file_receive(actor=None, name=path.name, content=content)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    db_cpu = backend_cpu_seconds(backend) - db_before
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(seconds, peak_mb, result.lines, result.remittance.pk, cpu, db_cpu)


def accounted(remittance_id: int, differing: dict[str, str]) -> list[str]:
    """Differing lines with no variance of their class: should be none."""
    from payerdesk.billing.models import Variance

    found = set(
        Variance.objects.filter(remittance_id=remittance_id).values_list("member_ref", "kind")
    )
    return [f"{ref} {kind}" for ref, kind in differing.items() if (ref, kind) not in found]


def reconcile_half(group_id: int) -> None:
    from payerdesk.billing.models import Variance
    from payerdesk.core.models import Queue, SlaPolicy

    policy = SlaPolicy.objects.create(
        name="72 hours", clock=SlaPolicy.Clock.CALENDAR_HOURS, amount=72, escalate_before_hours=12
    )
    # Suspense opens a work item in the group administration queue.
    Queue.objects.create(slug="group-administration", name="Group administration",
                         sla_policy=policy)  # fmt: skip

    path = Path(os.environ["PAYERDESK_DATA_DIR"]) / "bench-billing.820"
    path.parent.mkdir(parents=True, exist_ok=True)
    differing = write_820(group_id, path)
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--receive", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, peak, lines, remittance_id, cpu, db_cpu = out.stdout.split()
    missing = accounted(int(remittance_id), differing)
    variances = Variance.objects.filter(remittance_id=int(remittance_id)).count()
    print(f"reconciliation: 820 of {int(lines):,} lines, {len(differing):,} differing, "
          f"{variances:,} variances")  # fmt: skip
    print(f"  time {float(seconds):.2f} s  target <= {TARGET_SECONDS:.0f} s: "
          f"{verdict(float(seconds) <= TARGET_SECONDS)}")  # fmt: skip
    print(
        f"  CPU: {float(cpu):.2f} s in Python, {float(db_cpu):.2f} s in the PostgreSQL "
        f"backend; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"  peak memory {float(peak):,.0f} MB  target <= {TARGET_MEMORY_MB:.0f} MB: "
          f"{verdict(float(peak) <= TARGET_MEMORY_MB)}")  # fmt: skip
    print(f"  every differing line a variance of its class: {verdict(not missing)}"
          + (f" ({len(missing)} not: {', '.join(missing[:5])})" if missing else ""))  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--receive":
        django.setup()
        receive(Path(sys.argv[2]))
    else:
        main()

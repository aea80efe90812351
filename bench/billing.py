"""Premium billing benchmark (issue 5): the list bill of one very large group.

Loads a group of 100,000 members with two coverages each into a fresh PostgreSQL
database, then generates its monthly list bill (200,000 premium lines, one journal
entry of 100,001 lines) in a fresh process and prints the time and that process's peak
memory (ru_maxrss). Targets: list bill <= 10 s, peak memory <= 500 MB.

The reconciliation half (an 820 for the bill with 2% of lines differing) belongs to
the remittance work and is added to this file there.

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
from urllib.parse import urlsplit

import psycopg

DATABASE_URL = os.environ.get(
    "BENCH_BILLING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench_billing"
)
MEMBERS = int(os.environ.get("BENCH_BILLING_MEMBERS", "100000"))
TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 500.0
PERIOD = date(2026, 1, 1)

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "payerdesk.settings.dev"
os.environ["DEBUG"] = "false"  # DEBUG would record every query in memory
os.environ.setdefault("PAYERDESK_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import django  # noqa: E402


def recreate_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def load() -> int:
    """The group, its two plans, its members and their coverages; returns the group id."""
    from django.core.management import call_command

    from payerdesk.billing.listbills import billing_schedule_set
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


def generate(group_id: int) -> None:
    """In a fresh process: generate the bill; print seconds, peak MB and line count."""
    from payerdesk.billing.listbills import list_bill_generate
    from payerdesk.groups.models import EmployerGroup

    group = EmployerGroup.objects.get(pk=group_id)
    start = time.perf_counter()
    bill = list_bill_generate(actor=None, group=group, period_start=PERIOD).bill
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(seconds, peak_mb, bill.lines.count(), bill.total)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        django.setup()
        generate(int(sys.argv[2]))
        return
    recreate_database()
    django.setup()
    started = time.perf_counter()
    group_id = load()
    print(f"billing benchmark: {MEMBERS:,} members x 2 coverages loaded in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--generate", str(group_id)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, peak, lines, total = out.stdout.split()
    print(f"list bill: {int(lines):,} lines, total {Decimal(total):,}")
    print(f"  time {float(seconds):.2f} s  target <= {TARGET_SECONDS:.0f} s: "
          f"{verdict(float(seconds) <= TARGET_SECONDS)}")  # fmt: skip
    print(f"  peak memory {float(peak):,.0f} MB  target <= {TARGET_MEMORY_MB:.0f} MB: "
          f"{verdict(float(peak) <= TARGET_MEMORY_MB)}")  # fmt: skip


if __name__ == "__main__":
    main()

"""834 apply benchmark (issue 4), one database per process: run by `bench/enrollment.py`.

Migrates the database DATABASE_URL names (it must be new or disposable), sets up a group
with a per-unit term life plan and a tiered accident plan, then times, in one
transaction each as payerdesk applies them:

- a 100,000-member add file (021, two coverages each, the benefit from AMT*FK);
- a 10,000-member change file against those members (001 with HD01 001: a benefit
  increase effective mid-year, so each ends a coverage row and starts a re-rated one).

Prints one JSON line: wall and CPU (this process) seconds of each apply.
"""

import io
import json
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "payerdesk.settings.dev"
os.environ["DEBUG"] = "false"  # DEBUG would record every query in memory

import django  # noqa: E402

from bench.enrollment import generate  # noqa: E402

ADD_MEMBERS = int(os.environ.get("BENCH_APPLY_MEMBERS", "100000"))
CHANGE_MEMBERS = int(os.environ.get("BENCH_CHANGE_MEMBERS", "10000"))


def change_file(members: int) -> bytes:
    head = (
        "ISA*00*          *00*          *ZZ*PAYERDESKBENCH *ZZ*PAYERDESK      *261123*1200*^"
        "*00501*000000002*0*P*:~\nGS*BE*PAYERDESKBENCH*PAYERDESK*20261123*1200*2*X*005010X220A1~\n"
        "ST*834*0001*005010X220A1~\nBGN*00*BENCH2*20261123*1200****2~\n"
    )
    loop = (
        "INS*Y*18*001*XN*A***FT~\nREF*0F*{sid}~\nREF*1L*GRP0001~\n"
        "NM1*IL*1*MEMBER{sid}*PAT*Q***34*{sid}~\n"
        "HD*001**LIF*TERM LIFE 100K*EMP~\nDTP*348*D8*20260701~\nAMT*FK*100000~\n"
    )
    body = "".join(loop.format(sid=100000000 + n) for n in range(members))
    count = 2 + members * 7 + 1
    return (head + body + f"SE*{count}*0001~\nGE*1*2~\nIEA*1*000000002~\n").encode()


def setup() -> None:
    from django.core.management import call_command

    from payerdesk.core.models import Market, User
    from payerdesk.groups.models import EmployerGroup, PlanDesign, Product, RateRow

    call_command("migrate", verbosity=0)
    admin = User.objects.create_user(username="bench")
    group = EmployerGroup.objects.create(
        group_number="GRP0001", legal_name="Bench Manufacturing", situs_state="NE",
        market=Market.objects.create(code="BEN", name="Bench"), effective_date=date(2026, 1, 1),
        billing_contact_name="Pat", billing_contact_email="pat@example.test", created_by=admin,
    )  # fmt: skip
    life = PlanDesign.objects.create(
        group=group, product=Product.objects.create(code="life", name="Life", insurance_line="LIF"),
        name="Term life", effective_date=date(2026, 1, 1), tiers=["EMP"], rate_basis="per_unit",
        unit_amount=Decimal(1000), max_benefit=Decimal(500000),
    )  # fmt: skip
    for low, high, rate in ((0, 39, "0.085"), (40, 59, "0.155"), (60, 120, "0.390")):
        RateRow.objects.create(plan=life, age_min=low, age_max=high, rate=rate)
    product = Product.objects.create(code="acc", name="Accident", insurance_line="AH")
    accident = PlanDesign.objects.create(
        group=group, product=product,
        name="Accident", effective_date=date(2026, 1, 1), tiers=["EMP", "FAM"], rate_basis="tier",
    )  # fmt: skip
    for tier, rate in (("EMP", "12.40"), ("FAM", "33.65")):
        RateRow.objects.create(plan=accident, tier=tier, rate=rate)


def main() -> None:
    django.setup()
    from payerdesk.groups.services.enrollment import enrollment_834_apply

    setup()
    buffer = io.StringIO()
    generate(ADD_MEMBERS, buffer)
    adds = buffer.getvalue().encode()
    changes = change_file(min(CHANGE_MEMBERS, ADD_MEMBERS))
    figures: dict[str, float] = {}
    for label, name, content, expected in (
        ("add", "add.834", adds, ADD_MEMBERS),
        ("change", "change.834", changes, min(CHANGE_MEMBERS, ADD_MEMBERS)),
    ):
        start, cpu = time.perf_counter(), time.process_time()
        result = enrollment_834_apply(actor=None, name=name, content=content)
        figures[f"{label}_seconds"] = time.perf_counter() - start
        figures[f"{label}_cpu_seconds"] = time.process_time() - cpu
        if result.members != expected:
            raise SystemExit(f"{name}: applied {result.members} members, expected {expected}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""834 enrollment benchmark (issue 4): our streaming reader against pyx12, same run.

Generates 834 files of subscribers with two coverages each and prints the parse rate
in members/s of `payerdesk.edi.read_834` and of pyx12's X12ContextReader walking the
2000 loops (the named baseline), the ratio, and the peak memory of our reader on a
file ten times larger, measured in a fresh process (ru_maxrss).

Targets: >= 100,000 members/s, >= 50x pyx12, peak memory < 100 MB whatever the size.
Then the apply figures (`bench/enrollment_apply.py`, a fresh database per run, each in
its own process): a 100,000-member add file into PostgreSQL and into SQLite, and a
10,000-change file against those members. Targets: <= 30 s (PostgreSQL), <= 60 s
(SQLite), <= 10 s for the changes. BENCH_DATABASE_URL names the PostgreSQL database,
dropped and created anew for each run; BENCH_APPLY_RUNS the runs per database (median).
BENCH_834_PARSE_ONLY=1 (or BENCH_APPLY_RUNS=0) stops after the parse and memory figures:
no database is needed.
"""

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from payerdesk.edi import Member, read_834

OURS_MEMBERS = int(os.environ.get("BENCH_834_MEMBERS", "100000"))
PYX12_MEMBERS = int(os.environ.get("BENCH_834_PYX12_MEMBERS", "2000"))
MEMORY_MEMBERS = int(os.environ.get("BENCH_834_MEMORY_MEMBERS", "1000000"))
RUNS = 3
TARGET_RATE = 100_000
TARGET_RATIO = 50
TARGET_MEMORY_MB = 100
APPLY_RUNS = int(os.environ.get("BENCH_APPLY_RUNS", "3"))
PARSE_ONLY = os.environ.get("BENCH_834_PARSE_ONLY", "") not in ("", "0")
POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/payerdesk_bench"
)
TARGET_APPLY = {"PostgreSQL": 30.0, "SQLite": 60.0}
TARGET_CHANGES = 10.0

HEADER = (
    "ISA*00*          *00*          *ZZ*PAYERDESKBENCH *ZZ*PAYERDESK      *261123*1200*^*00501"
    "*000000001*0*P*:~\n"
    "GS*BE*PAYERDESKBENCH*PAYERDESK*20261123*1200*1*X*005010X220A1~\n"
    "ST*834*0001*005010X220A1~\n"
    "BGN*00*BENCH1*20261123*1200****2~\n"
    "REF*38*GRP0001~\n"
    "N1*P5*ACME MANUFACTURING*FI*123456789~\n"
    "N1*IN*PAYERDESK LIFE*FI*987654321~\n"
)
HEADER_SEGMENTS = 5  # ST, BGN, REF, N1, N1
MEMBER = (
    "INS*Y*18*021*28*A***FT~\n"
    "REF*0F*{sid}~\n"
    "REF*1L*GRP0001~\n"
    "DTP*356*D8*20260101~\n"
    "NM1*IL*1*MEMBER{sid}*PAT*Q***34*{sid}~\n"
    "N3*{n} MAIN STREET~\n"
    "N4*OMAHA*NE*68102~\n"
    "DMG*D8*19{yy:02d}0{m}15*{sex}~\n"
    "HD*021**LIF*TERM LIFE 50K*EMP~\n"
    "DTP*348*D8*20260101~\n"
    "AMT*FK*50000~\n"
    "HD*021**AH*ACCIDENT*FAM~\n"
    "DTP*348*D8*20260101~\n"
)
MEMBER_SEGMENTS = 13


def generate(members: int, target: io.TextIOBase) -> None:
    target.write(HEADER)
    for n in range(members):
        sid = f"{100000000 + n}"
        target.write(MEMBER.format(sid=sid, n=n, yy=50 + n % 50, m=1 + n % 9, sex="MF"[n % 2]))
    count = HEADER_SEGMENTS + members * MEMBER_SEGMENTS + 1
    target.write(f"SE*{count}*0001~\nGE*1*1~\nIEA*1*000000001~\n")


def ours(path: Path) -> int:
    with path.open("rb") as source:
        return sum(1 for item in read_834(source) if isinstance(item, Member))


def pyx12_walk(path: Path) -> int:
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    param = pyx12.params.params()
    errors = pyx12.error_handler.errh_null()
    with path.open(encoding="ascii") as source:
        reader = pyx12.x12context.X12ContextReader(param, errors, source)
        # iter_segments yields each 2000 loop whole, and the segments outside them.
        return sum(1 for node in reader.iter_segments("2000") if node.id == "2000")


def rate(parse, path: Path, members: int) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        counted = parse(path)
        samples.append(time.perf_counter() - start)
        if counted != members:
            raise SystemExit(f"{parse.__name__} counted {counted} members, expected {members}")
    return members / statistics.median(samples)


def peak_memory_mb(path: Path) -> float:
    """Peak resident memory of a fresh process that reads the whole file."""
    script = (
        "import resource, sys; sys.path.insert(0, sys.argv[2]);"
        "from payerdesk.edi import read_834;"
        "n = sum(1 for _ in read_834(open(sys.argv[1], 'rb')));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    src = str(Path(__file__).resolve().parent.parent / "src")
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(path), src], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def apply_once(database: str, folder: str, run: int) -> dict[str, float]:
    """One apply run in a fresh process and a fresh database."""
    if database == "SQLite":
        url = f"sqlite:///{folder}/apply-{run}.sqlite3"
    else:
        url = POSTGRES_URL
        recreate_postgres(url)
    environment = {**os.environ, "DATABASE_URL": url, "PAYERDESK_DATA_DIR": folder}
    script = str(Path(__file__).resolve().parent / "enrollment_apply.py")
    out = subprocess.run(  # noqa: S603
        [sys.executable, script], capture_output=True, text=True, check=True, env=environment
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def apply_figures(folder: str) -> None:
    print(f"834 apply benchmark (median of {APPLY_RUNS}; wall seconds, CPU of the importer)")
    for database, target in TARGET_APPLY.items():
        runs = [apply_once(database, folder, run) for run in range(APPLY_RUNS)]

        def median(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        add, change = median("add_seconds"), median("change_seconds")
        print(f"{database:<11} 100,000 adds {add:6.1f} s (CPU {median('add_cpu_seconds'):5.1f})  "
              f"target <= {target:.0f} s: {verdict(add <= target)}")  # fmt: skip
        print(f"{database:<11} 10,000 changes {change:4.1f} s "
              f"(CPU {median('change_cpu_seconds'):4.1f})  target <= {TARGET_CHANGES:.0f} s: "
              f"{verdict(change <= TARGET_CHANGES)}")  # fmt: skip


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="payerdesk-834-") as folder:
        files = {}
        for name, members in (
            ("ours", OURS_MEMBERS),
            ("pyx12", PYX12_MEMBERS),
            ("memory", MEMORY_MEMBERS),
        ):
            files[name] = Path(folder) / f"{name}.834"
            with files[name].open("w", encoding="ascii") as target:
                generate(members, target)

        print("834 parse benchmark (median of 3 runs; members with 2 coverages each)")
        our_rate = rate(ours, files["ours"], OURS_MEMBERS)
        their_rate = rate(pyx12_walk, files["pyx12"], PYX12_MEMBERS)
        ratio = our_rate / their_rate
        print(f"{'reader':<40} {'members':>9} {'members/s':>11}")
        print(f"{'payerdesk.edi.read_834':<40} {OURS_MEMBERS:9,} {our_rate:11,.0f}  "
              f"target >= {TARGET_RATE:,}: {verdict(our_rate >= TARGET_RATE)}")  # fmt: skip
        print(f"{'pyx12 X12ContextReader (2000 loops)':<40} {PYX12_MEMBERS:9,} {their_rate:11,.0f}")
        print(f"ratio: {ratio:,.0f}x pyx12  target >= {TARGET_RATIO}x: {verdict(ratio >= 50)}")
        size_mb = files["memory"].stat().st_size / 1e6
        peak = peak_memory_mb(files["memory"])
        print(
            f"peak memory reading {MEMORY_MEMBERS:,} members ({size_mb:,.0f} MB file): "
            f"{peak:,.0f} MB  target < {TARGET_MEMORY_MB} MB: {verdict(peak < TARGET_MEMORY_MB)}"
        )
        if not PARSE_ONLY and APPLY_RUNS > 0:
            apply_figures(folder)


if __name__ == "__main__":
    main()

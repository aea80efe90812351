"""Machine instructions per PA submission and per baseline call, counted by valgrind.

Seconds on this kind of machine swing by half within minutes (noisy neighbours); the
count of instructions the process runs does not: callgrind gives the same total for the
same code, inputs and database, whatever else the machine does. So this is the figure
that tells whether a commit made a submission cheaper.

The benchmark process has loaded the database; this module runs a child process under
callgrind with counting off while Django starts and warms up, on for the measured calls
only (`callgrind_control`), and reads the total valgrind reports at exit. The child
speaks over its stdin/stdout: "ready" after warming up, then "done".
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WARM = 20
MEASURED = 30


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return found


def count(token: str, path: str, payloads: list[str]) -> int:
    """Instructions per call of `path` (the PA intake, or the baseline's) over the
    `MEASURED` payloads after the first `WARM`."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "valgrind.log"
        bodies = Path(scratch) / "payloads.json"
        bodies.write_text(json.dumps(payloads[: WARM + MEASURED]))
        command = [
            _tool("valgrind"), "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={Path(scratch) / 'callgrind.out'}", f"--log-file={log}",
            sys.executable, __file__, path, str(bodies),
        ]  # fmt: skip
        child = subprocess.Popen(  # noqa: S603 - valgrind running our own interpreter
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "BENCH_TOKEN": token},
        )
        assert child.stdin is not None and child.stdout is not None
        _expect(child, "ready")
        _callgrind(child.pid, "on")
        child.stdin.write("go\n")
        child.stdin.flush()
        _expect(child, "done")
        _callgrind(child.pid, "off")
        child.stdin.close()
        if child.wait(timeout=120) != 0:
            raise SystemExit(f"the counted process failed: {log.read_text()[-2000:]}")
        collected = re.search(r"Collected : (\d+)", log.read_text())
        if collected is None:
            raise SystemExit(f"valgrind reported no count: {log.read_text()[-2000:]}")
        return int(collected.group(1)) // MEASURED


def _expect(child: subprocess.Popen[str], word: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != word:
        child.kill()
        raise SystemExit(f"the counted process said {line!r}, not {word!r}")


def _callgrind(pid: int, state: str) -> None:
    subprocess.run(  # noqa: S603 - valgrind's own tool, fixed arguments
        [_tool("callgrind_control"), "-i", state, str(pid)],
        check=True,
        capture_output=True,
    )


def _child(path: str, bodies: str) -> None:
    """Under valgrind: warm up, then make the measured calls when told."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django
    from django.test import override_settings

    django.setup()
    from bench.wsgi_caller import WsgiCaller

    caller = WsgiCaller(os.environ["BENCH_TOKEN"])
    payloads = json.loads(Path(bodies).read_text())
    floor = override_settings(ROOT_URLCONF="bench.priorauth_floor")
    if path.startswith("/floor/"):
        floor.enable()

    def call(payload: str) -> None:
        answer = caller.post(path, payload)
        if answer.status != 201:
            raise SystemExit(f"{path} answered {answer.status}: {answer.body[:400]!r}")

    for payload in payloads[:WARM]:
        call(payload)
    print("ready", flush=True)
    sys.stdin.readline()
    for payload in payloads[WARM:]:
        call(payload)
    print("done", flush=True)
    sys.stdin.readline()  # counting stops before this process ends


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])

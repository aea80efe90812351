"""The PA submissions served as in production: one granian process (the WSGI server the
README deploys with) and clients over HTTP keep-alive, several at once.

One process serves; its threads overlap one request's database waits with another's
Python. The clients are threads of the benchmark process, each with its own connection.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PA_PORT", "8765"))
SERVER_THREADS = 3
CLIENTS = 3


@dataclass
class Served:
    rates: list[float]  # per round
    latencies: list[float]  # ms, every submission


def _wait_for_port(server: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"granian exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"granian did not listen on port {PORT} within {seconds:.0f} s")


def _start() -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("granian")),
        "--interface", "wsgi", "payerdesk.wsgi:application",
        "--host", "127.0.0.1", "--port", str(PORT),
        "--workers", "1", "--blocking-threads", str(SERVER_THREADS),
        "--no-ws", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our venv's server, fixed args
    _wait_for_port(server)
    return server


def _client(token: str, payloads: list[bytes], latencies: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Host": "testserver",
    }
    for payload in payloads:
        begin = time.perf_counter()
        connection.request("POST", "/api/priorauth/requests", payload, headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - begin) * 1000)
        if response.status != 201 or json.loads(body)["decision"] != "approved":
            raise SystemExit(f"served submission not approved at once: {body[:400]!r}")
    connection.close()


def _round(token: str, payloads: list[bytes]) -> tuple[float, list[float]]:
    shares = [payloads[n::CLIENTS] for n in range(CLIENTS)]
    latencies: list[list[float]] = [[] for _ in shares]
    clients = [
        threading.Thread(target=_client, args=(token, share, mine))
        for share, mine in zip(shares, latencies, strict=True)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    return len(payloads) / elapsed, [ms for mine in latencies for ms in mine]


def served(token: str, payloads: list[bytes], rounds: int) -> Served:
    """Rates of `rounds` rounds over `payloads` (after 100 to warm up) and every latency."""
    server = _start()
    try:
        _round(token, payloads[:100])
        rest = payloads[100:]
        per_round = len(rest) // rounds
        rates: list[float] = []
        latencies: list[float] = []
        for number in range(rounds):
            rate, measured = _round(token, rest[number * per_round : (number + 1) * per_round])
            rates.append(rate)
            latencies += measured
        return Served(rates, latencies)
    finally:
        server.terminate()
        server.wait(timeout=30)

"""Benchmark the HLR client against a bare HTTP loop on the same simulator.

    python manage.py hlr_bench --count 10000 --latency-ms 20 [--concurrency 16]

Starts its own simulator (free port, temporary data file, the given latency), then runs
two phases with the same concurrency and the same payload shape, each filing `count`
new leases with unique idempotency keys:

1. bare: N threads, one keep-alive `http.client` connection each, POST + status check;
2. client: N threads sharing one `HlrClient` (its retries, error mapping, receipts).

The phases run interleaved in rounds (bare, client, bare, client, ...; --rounds, default
4) after a warm-up, so load drift on a shared machine and the growing register hit both alike.

Prints both rates, the ratio client/bare, and checks in the simulator that exactly
2 × count filings were stored (no loss, no duplicates).
"""

from __future__ import annotations

import http.client
import itertools
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rentregister.hlr import HlrClient

API_KEY = "bench-hlr"


def bench_payload(lease_number: str, n: int) -> dict:
    """A valid filing body; rent varies so bodies differ like real changes."""
    return {
        "organisation_cvr": "12345674",
        "department_number": "001",
        "dwelling": {
            "bbr_unit_id": str(uuid.UUID(int=n + 1)),
            "address": f"Benchvej {n % 999 + 1}, 1. tv, 2900 Hellerup",
            "area_m2": "72.50",
            "rooms": 3,
        },
        "lease": {
            "lease_number": lease_number,
            "holder_type": "tenant",
            "tenants": [{"name": "Test Lejer", "birth_date": "1980-05-17", "cpr": None}],
            "start_date": "2020-01-01",
            "end_date": None,
            "rent": f"{5000 + n % 3000}.00",
            "special_payments": "0.00",
            "heating_form": "district",
            "electricity": "included",
            "water": "aconto_organisation",
            "drainage": "included",
            "heating": "aconto_utility",
            "tenant_maintains": False,
            "private_kitchen": True,
            "garage_carport": False,
            "accessible": False,
            "student_room": False,
        },
        "effective_date": "2026-11-26",
    }


def run_threads(count: int, concurrency: int, work: Callable[[int], None]) -> float:
    """Call work(i) for i in range(count) from `concurrency` threads; return seconds."""
    counter = itertools.count()
    failures: list[BaseException] = []

    def loop() -> None:
        while True:
            i = next(counter)
            if i >= count or failures:
                return
            try:
                work(i)
            except BaseException as exc:
                failures.append(exc)
                return

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise CommandError(f"benchmark failed: {failures[0]!r}")
    return elapsed


class Command(BaseCommand):
    help = "Compare HlrClient throughput with a bare HTTP loop against a fresh HLR simulator."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10000)
        parser.add_argument("--latency-ms", type=float, default=20.0)
        parser.add_argument("--concurrency", type=int, default=16)
        parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per phase")

    def handle(self, *args, count, latency_ms, concurrency, rounds, **options):
        if count < 1 or concurrency < 1 or rounds < 1:
            raise CommandError("--count, --concurrency and --rounds must be at least 1")
        with tempfile.TemporaryDirectory(prefix="hlr-bench-") as folder:
            port, process = self._start_simulator(Path(folder), latency_ms)
            try:
                self._run(port, count, latency_ms, concurrency, min(rounds, count))
            finally:
                process.terminate()
                process.wait(timeout=30)

    def _start_simulator(self, folder: Path, latency_ms: float):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        cmd = [
            sys.executable,
            "-m",
            "simulators.hlr",
            "--port",
            str(port),
            "--data",
            str(folder / "hlr-sim.json"),
            "--latency-ms",
            str(latency_ms),
            "--api-key",
            API_KEY,
        ]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            cmd, cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self._stats(port)
                return port, process
            except OSError:
                if process.poll() is not None:
                    raise CommandError("the HLR simulator exited at start-up") from None
                time.sleep(0.05)
        process.kill()
        raise CommandError("the HLR simulator did not answer within 15 s")

    @staticmethod
    def _stats(port: int) -> dict:
        url = f"http://127.0.0.1:{port}/_sim/stats"
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())

    def _run(self, port: int, count: int, latency_ms: float, concurrency: int, rounds: int) -> None:
        local = threading.local()

        def bare(i: int) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = json.dumps(bench_payload(f"B-{i:06d}", i)).encode()
            conn.request(
                "POST",
                "/api/v3/lejekontrakter",
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Api-Key": API_KEY,
                    "Idempotency-Key": f"bare-{i}",
                },
            )
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"bare POST answered {response.status}")

        client = HlrClient(
            base_url=f"http://127.0.0.1:{port}", api_key=API_KEY, timeout=30, attempts=3
        )

        def with_client(i: int) -> None:
            receipt = client.file(
                operation="create",
                payload=bench_payload(f"C-{i:06d}", i),
                idempotency_key=f"client-{i}",
            )
            if receipt.replayed or receipt.version != 1:
                raise RuntimeError("unexpected receipt")

        self.stdout.write(
            f"HLR benchmark: {count} filings per phase, {concurrency} threads, "
            f"simulator latency {latency_ms:g} ms"
        )
        # Warm-up (not counted): connections, server threads, first-call costs.
        warmup = min(500, count)
        run_threads(warmup, concurrency, lambda i: bare(count + i))
        run_threads(warmup, concurrency, lambda i: with_client(count + i))
        # Interleaved rounds (bare, client, bare, client, ...), so drift in machine load
        # or register size hits both phases alike.
        bounds = [count * r // rounds for r in range(rounds + 1)]
        bare_seconds = client_seconds = 0.0
        for start, end in itertools.pairwise(bounds):
            size = end - start
            bare_seconds += run_threads(size, concurrency, lambda i, s=start: bare(s + i))
            client_seconds += run_threads(size, concurrency, lambda i, s=start: with_client(s + i))
        bare_rate = count / bare_seconds
        client_rate = count / client_seconds
        self.stdout.write(f"  bare HTTP loop : {bare_seconds:7.2f} s  {bare_rate:8.1f} filings/s")
        self.stdout.write(
            f"  HlrClient      : {client_seconds:7.2f} s  {client_rate:8.1f} filings/s"
        )
        ratio = client_rate / bare_rate
        self.stdout.write(f"  ratio client/bare: {ratio:.2f} (goal >= 0.8)")
        stats = self._stats(port)
        expected = 2 * (count + warmup)
        ok = stats["filings_accepted"] == expected and stats["replays"] == 0
        self.stdout.write(
            f"  simulator: {stats['filings_accepted']} filings stored (expected {expected}), "
            f"{stats['replays']} replays, {stats['rejections']} rejections -> "
            + ("exactly once" if ok else "MISMATCH")
        )
        limit = 120.0
        self.stdout.write(
            f"  {count} client filings in {client_seconds:.1f} s "
            + ("(under 2 minutes)" if client_seconds < limit else "(OVER 2 minutes)")
        )
        if not ok:
            raise CommandError("the simulator did not store every filing exactly once")

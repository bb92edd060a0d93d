"""`manage.py gctp_bench [--searches 2000] [--threads 8] [--latency-ms 20]`: the GCTP client's
throughput against a bare HTTP loop, on the same simulator in the same run.

Starts its own simulator process (``python -m simulators.gctp``) on a free port with the
register built from the database (or ``--data FILE``) at the given latency, then runs the
same number of stairwell (DARHUS) searches twice with the same number of threads:

1. bare: one keep-alive ``http.client`` connection per thread (TCP_NODELAY), a token signed on once, the
   request bodies prepared in advance, the answer read but not parsed — the ceiling for
   this machine and simulator;
2. client: ``GctpClient.landlord_search`` (token file, validation, XML building and parsing,
   retries armed).

Prints both rates and their ratio; the simulator's counters confirm the work was done.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cprlookup.gctp import GctpClient, _search_xml, search_key

from .gctp_sim_build import build_register, write_register


class _Simulator:
    def __init__(self, *, data_path: Path, latency_ms: float) -> None:
        args = [sys.executable, "-m", "simulators.gctp", "--port", "0"]
        args += ["--data", str(data_path), "--latency-ms", str(latency_ms), "--seed", "1"]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            args, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        line = self.process.stdout.readline().decode()
        if "listening on" not in line:
            self.stop()
            raise CommandError("GCTP-simulatoren startede ikke")
        self.base_url = line.rsplit(" ", 1)[-1].strip()
        self.root = self.base_url.split("/cpr-online-gctp/")[0]

    def _json(self, method: str, path: str) -> dict:
        req = urllib.request.Request(  # noqa: S310 - our own local simulator
            self.root + path, data=b"{}" if method == "POST" else None, method=method
        )
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
            return json.loads(resp.read())

    def stats(self) -> dict:
        return self._json("GET", "/_sim/stats")

    def reset_stats(self) -> None:
        self._json("POST", "/_sim/reset-stats")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _run_threads(threads: int, work: list, fn) -> float:
    """Split `work` over `threads` threads; seconds taken."""
    chunks = [work[i::threads] for i in range(threads)]
    errors: list[BaseException] = []

    def run(chunk):
        try:
            fn(chunk)
        except BaseException as exc:  # report, do not hide, a failing thread
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise CommandError(f"{len(errors)} tråde fejlede: {errors[0]!r}")
    return elapsed


class Command(BaseCommand):
    help = "Mål GCTP-klientens gennemløb mod en rå HTTP-løkke mod samme simulator."

    def add_arguments(self, parser):
        parser.add_argument("--searches", type=int, default=2000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--latency-ms", type=float, default=20.0)
        parser.add_argument("--data", help="simulator data file (default: built from the DB)")

    def handle(self, *args, searches, threads, latency_ms, data, **options):
        with tempfile.TemporaryDirectory(prefix="gctp-bench-") as tmp:
            if data:
                data_path = Path(data)
                register = json.loads(data_path.read_text())
            else:
                register = build_register(seed=1, disagreements=True)
                data_path = Path(tmp) / "gctp-sim.json"
                write_register(register, data_path)
            registered = set(register["registered_cvrs"])
            stairwells = sorted(
                {
                    (a["owner_cvr"], a["house_id"])
                    for a in register["addresses"]
                    if a["owner_cvr"] in registered
                }
            )
            del register
            if not stairwells:
                raise CommandError("Ingen opgange ejet af en tilmeldt organisation i databasen.")
            work = [stairwells[i % len(stairwells)] for i in range(searches)]
            sim = _Simulator(data_path=data_path, latency_ms=latency_ms)
            try:
                self._bench(sim, work, threads, latency_ms, Path(tmp), len(stairwells))
            finally:
                sim.stop()

    def _bench(self, sim, work, threads, latency_ms, tmp: Path, n_stairwells: int) -> None:
        url = urlsplit(sim.base_url)
        client = GctpClient(base_url=sim.base_url, token_file=tmp / "token.json", timeout=30)
        client.landlord_search(cvr=work[0][0], dar_house_id=work[0][1])  # sign on, warm up
        token = client._current_token()
        bodies = [_body(cvr, house) for cvr, house in work]

        def bare(chunk):
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the client
            headers = {"Content-Type": "text/xml; charset=ISO-8859-1", "Cookie": f"Token={token}"}
            for body in chunk:
                conn.request("POST", url.path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise CommandError(f"HTTP {resp.status}")
            conn.close()

        rows = [0]
        lock = threading.Lock()

        def with_client(chunk):
            n = 0
            for cvr, house in chunk:
                n += len(client.landlord_search(cvr=cvr, dar_house_id=house).residents)
            with lock:
                rows[0] += n

        sim.reset_stats()
        bare_s = _run_threads(threads, bodies, bare)
        bare_stats = sim.stats()
        sim.reset_stats()
        client_s = _run_threads(threads, work, with_client)
        client_stats = sim.stats()

        n = len(work)
        bare_rate, client_rate = n / bare_s, n / client_s
        ceiling = threads / (latency_ms / 1000) if latency_ms else float("inf")
        self.stdout.write(
            f"GCTP-benchmark: {n} opgangssøgninger, {threads} tråde, {latency_ms:g} ms latens, "
            f"{n_stairwells} forskellige opgange (teoretisk loft {ceiling:,.0f}/s)"
        )
        self.stdout.write(
            f"  rå HTTP-løkke : {bare_rate:8.1f} søgninger/s  ({bare_s:.2f} s, "
            f"simulator besvarede {bare_stats['searches']})"
        )
        self.stdout.write(
            f"  GctpClient    : {client_rate:8.1f} søgninger/s  ({client_s:.2f} s, "
            f"simulator besvarede {client_stats['searches']}, {rows[0]} rækker, "
            f"{client_stats['signons']} nye log på)"
        )
        self.stdout.write(f"  forhold klient/rå: {client_rate / bare_rate:.2f}")
        if bare_stats["searches"] != n or client_stats["searches"] != n:
            raise CommandError("Simulatoren besvarede ikke alle søgninger: målingen er ugyldig.")


def _body(cvr: str, house_id: str) -> bytes:
    return _search_xml(search_key(cvr=cvr, dar_house_id=house_id)[1])

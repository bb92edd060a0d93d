"""Benchmark webhook handling: the payment simulator delivers `count` payment webhooks to the
product (gunicorn, the real view, signature check, the inbox, and a real Celery worker
applying the payments exactly once) and the same number to a bare HTTP receiver that only
answers 200, with the same delivery latency and threads.

    python manage.py payments_bench --count 10000 --latency-ms 20 [--threads 16]
        [--web-workers N] [--web-threads N] [--worker-concurrency 1] [--duplicate-rate 0]

Each phase: sessions are opened at the simulator and paid while deliveries are paused (the
product phase also stores the PaymentSession rows, like payment_session_start), then the
backlog is released and timed until the simulator has no webhook queued or in flight and,
for the product, until the inbox is empty (every payment applied: the figure the ratio
uses). Prints both rates, the ratio product/bare, the ratio of acknowledgements alone,
and checks in the database that every payment was applied exactly once (one Payment per
invoice, every invoice paid).

Uses the configured database (PostgreSQL for meaningful figures); bench data lives in the
cooperation "Lejehuset (betalingsbench)" and is replaced on every run.

Also printed, per phase: the CPU time per webhook of the simulator process, of the receiver
(the bare server's threads live in this process; the product is the gunicorn master and its
workers plus the Celery worker) and of the local PostgreSQL server, and the load average
before and after. On a machine with few cores both rates are CPU-bound, and the receiver's
CPU per webhook is what the ratio really compares.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from waitlist.models import (
    Applicant,
    Application,
    Cooperation,
    Invoice,
    Payment,
    PaymentSession,
    WebhookEvent,
)

NAME = "Lejehuset (betalingsbench)"
API_KEY = "bench-payments"
SECRET = "bench-webhook-secret"  # noqa: S105 - the local simulator's demo secret
AMOUNT = Decimal("200.00")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return "sqlite:///" + str(Path(s["NAME"]).resolve())
    auth = s.get("USER") or ""
    if s.get("PASSWORD"):
        auth += ":" + s["PASSWORD"]
    host, port = s.get("HOST") or "localhost", s.get("PORT") or "5432"
    return f"postgres://{auth}{'@' if auth else ''}{host}:{port}/{s['NAME']}"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc), 0 if gone."""
    pids = [pid]
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == pid:
                        pids.append(int(entry))
    total = 0.0
    for one in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _database_cpu_seconds() -> float:
    """CPU seconds of every local PostgreSQL server process (0 on SQLite or a remote server:
    then the figure is left out)."""
    if connection.vendor != "postgresql":
        return 0.0
    total = 0.0
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if stat.split("(", 1)[1].split(")", 1)[0] == "postgres":
                        fields = stat.rsplit(")", 1)[1].split()
                        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class _Counter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms per kept-alive request
    count = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Counter.lock:
            _Counter.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


class Sim:
    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-Api-Key": API_KEY}
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            raise


class Command(BaseCommand):
    help = "Webhook throughput of the product vs a bare HTTP receiver (payment simulator)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=10000)
        parser.add_argument("--latency-ms", type=float, default=20.0)
        parser.add_argument("--threads", type=int, default=16, help="simulator delivery threads")
        parser.add_argument(
            "--web-workers", type=int, help="gunicorn processes (default: config/gunicorn.conf.py)"
        )
        parser.add_argument(
            "--web-threads", type=int, help="threads per process (default: the same file)"
        )
        parser.add_argument("--worker-concurrency", type=int, default=1)
        parser.add_argument("--duplicate-rate", type=float, default=0.0)

    def handle(self, *args, **options) -> None:
        count = options["count"]
        procs: list[subprocess.Popen] = []
        try:
            sim = self._start_sim(options, procs)
            web_port = self._start_web(options, procs)
            self._start_worker(options, procs)
            bare = ThreadingHTTPServer(("127.0.0.1", _free_port()), _Counter)
            bare.daemon_threads = True
            threading.Thread(target=bare.serve_forever, daemon=True).start()
            invoices = self._make_invoices(count)
            bare_url = f"http://127.0.0.1:{bare.server_address[1]}/hook"
            web_url = f"http://127.0.0.1:{web_port}{reverse('waitlist:payment_webhook')}"

            self.stdout.write(f"load average {os.getloadavg()}")
            sim_pid, web_pid, worker_pid = procs[0].pid, procs[1].pid, procs[2].pid
            bare_s, _ack, bare_cpu = self._phase(
                sim, invoices, bare_url, store=False, pids=(sim_pid,)
            )
            bare_rate = count / bare_s
            self.stdout.write(
                f"bare receiver: {count} webhooks in {bare_s:.1f} s = {bare_rate:.0f}/s; "
                f"CPU per webhook: simulator {bare_cpu[0] * 1000 / count:.2f} ms, "
                f"receiver {bare_cpu[1] * 1000 / count:.2f} ms"
            )
            sim.call("POST", "/_sim/reset")
            prod_s, ack_s, prod_cpu = self._phase(
                sim, invoices, web_url, store=True, pids=(sim_pid, web_pid, worker_pid)
            )
            prod_rate = count / prod_s
            self.stdout.write(
                f"product:       {count} webhooks acknowledged in {ack_s:.1f} s, all applied "
                f"in {prod_s:.1f} s = {prod_rate:.0f}/s; CPU per webhook: simulator "
                f"{prod_cpu[0] * 1000 / count:.2f} ms, gunicorn {prod_cpu[1] * 1000 / count:.2f}"
                f" ms, worker {prod_cpu[2] * 1000 / count:.2f} ms, PostgreSQL server "
                f"{prod_cpu[3] * 1000 / count:.2f} ms"
            )
            self.stdout.write(
                f"ratio product/bare: {prod_rate / bare_rate:.2f} (until applied); "
                f"{count / ack_s / bare_rate:.2f} (acknowledgements alone)"
            )
            self.stdout.write(f"load average {os.getloadavg()}")
            self._check(invoices, sim)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

    # -- processes -------------------------------------------------------------------

    def _start_sim(self, options, procs) -> Sim:
        port = _free_port()
        cmd = [sys.executable, "-m", "simulators.payments", "--port", str(port), "--data", ""]
        cmd += ["--api-key", API_KEY, "--webhook-secret", SECRET, "--webhook-timeout", "30"]
        cmd += ["--webhook-threads", str(options["threads"])]
        procs.append(subprocess.Popen(cmd, cwd=settings.BASE_DIR))  # noqa: S603
        sim = Sim(port)
        self._wait(lambda: sim.call("GET", "/_sim/stats"), "simulator")
        sim.call(
            "POST",
            "/_sim/config",
            {
                "webhook_delay_ms": options["latency_ms"],
                "webhook_duplicate_rate": options["duplicate_rate"],
                "webhook_retry_base_ms": 200,
                "webhooks_paused": True,
            },
        )
        return sim

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "PAYMENT_WEBHOOK_SECRET": SECRET,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }

    def _start_worker(self, options, procs) -> None:
        """A Celery worker on the configured broker (it applies the inbox when asked)."""
        cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING"]
        cmd += ["-c", str(options["worker_concurrency"]), "-Q", "celery", "--without-heartbeat"]
        cmd += ["--without-gossip", "--without-mingle"]
        procs.append(subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=self._env()))  # noqa: S603

    def _start_web(self, options, procs) -> int:
        port = _free_port()
        env = self._env()
        # The production settings (config/gunicorn.conf.py), on a free port, without the
        # access log; --web-workers/--web-threads override the file's processes and threads.
        cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        cmd += ["--config", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        env["WEB_ACCESS_LOG"] = ""
        if options["web_workers"]:
            cmd += ["--workers", str(options["web_workers"])]
        if options["web_threads"]:
            cmd += ["--threads", str(options["web_threads"])]
        procs.append(subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env))  # noqa: S603

        def probe():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()

        self._wait(probe, "gunicorn")
        return port

    def _wait(self, probe, what: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                probe()
                return
            except OSError:
                time.sleep(0.1)
        raise CommandError(f"{what} did not start")

    # -- data ------------------------------------------------------------------------

    def _make_invoices(self, count: int) -> list[Invoice]:
        old = Cooperation.objects.filter(name=NAME).first()
        if old is not None:
            WebhookEvent.objects.filter(payload__data__session__reference__startswith="B-").delete()
            Payment.objects.filter(applicant__cooperation=old).delete()
            PaymentSession.objects.filter(applicant__cooperation=old).delete()
            Invoice.objects.filter(applicant__cooperation=old).delete()
            Application.objects.filter(applicant__cooperation=old).delete()
            old.applicants.all().delete()
            old.delete()
        if connection.vendor == "postgresql":
            # The previous run's rows are dead tuples now: vacuum them here, not by autovacuum
            # in the middle of the measurement (it doubled the server's CPU per webhook).
            tables = [WebhookEvent, Payment, PaymentSession, Invoice, Application, Applicant]
            with connection.cursor() as cursor:
                for model in tables:
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        cooperation = Cooperation.objects.create(name=NAME)
        applicants = Applicant.objects.bulk_create(
            Applicant(cooperation=cooperation, name=f"Bench {n}") for n in range(count)
        )
        applications = Application.objects.bulk_create(
            Application(applicant=a, list_type="family") for a in applicants
        )
        due = timezone.localdate() + timedelta(days=14)
        return Invoice.objects.bulk_create(
            Invoice(
                applicant=a.applicant, application=a, kind="signup", amount=AMOUNT, due_date=due
            )
            for a in applications
        )

    def _phase(
        self, sim: Sim, invoices: list[Invoice], url: str, *, store: bool, pids: tuple[int, ...]
    ) -> tuple[float, float, tuple[float, ...]]:
        """Seconds from releasing the backlog until it is drained (for the product: until
        the inbox is empty too), seconds until the simulator had every webhook acknowledged,
        and the CPU seconds spent meanwhile by pids[0] (the simulator), pids[1] (gunicorn) or,
        without it, by this process (the bare receiver's threads), pids[2] (the worker) and
        the local PostgreSQL server."""

        def open_and_pay(invoice: Invoice) -> tuple[Invoice, dict]:
            status, session = sim.call(
                "POST",
                "/v1/sessions",
                {
                    "amount": 20000,
                    "reference": f"B-{invoice.pk}",
                    "return_url": "http://127.0.0.1:1/r",
                    "webhook_url": url,
                    "metadata": {"invoice_id": invoice.pk},
                },
            )
            if status != 201:
                raise CommandError(f"session: {status}")
            return invoice, session

        with ThreadPoolExecutor(8) as pool:
            opened = list(pool.map(open_and_pay, invoices))
            if store:
                PaymentSession.objects.bulk_create(
                    PaymentSession(
                        applicant_id=i.applicant_id,
                        invoice=i,
                        amount=AMOUNT,
                        provider_session_id=s["id"],
                        checkout_url=s["payment_url"],
                    )
                    for i, s in opened
                )
            list(
                pool.map(
                    lambda pair: sim.call("POST", f"/_sim/sessions/{pair[1]['id']}/pay"), opened
                )
            )

        def cpu() -> tuple[float, float, float, float]:
            receiver = _cpu_seconds(pids[1]) if len(pids) > 1 else time.process_time()
            worker = _cpu_seconds(pids[2]) if len(pids) > 2 else 0.0
            return _cpu_seconds(pids[0]), receiver, worker, _database_cpu_seconds()

        pending = WebhookEvent.objects.filter(outcome=WebhookEvent.Outcome.PENDING)
        cpu0 = cpu()
        started = time.monotonic()
        sim.call("POST", "/_sim/config", {"webhooks_paused": False})
        while sim.call("GET", "/_sim/queue")[1]["webhooks_queued"]:
            time.sleep(0.02)
        acknowledged = time.monotonic() - started
        while store and pending.exists():
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        cpu1 = cpu()
        sim.call("POST", "/_sim/config", {"webhooks_paused": True})
        return elapsed, acknowledged, tuple(b - a for a, b in zip(cpu0, cpu1, strict=True))

    def _check(self, invoices: list[Invoice], sim: Sim) -> None:
        ids = [i.pk for i in invoices]
        payments = Payment.objects.filter(invoice_id__in=ids).count()
        paid = Invoice.objects.filter(pk__in=ids, status="paid").count()
        stats = sim.call("GET", "/_sim/stats")[1]
        self.stdout.write(
            f"exactly once: {payments} payments for {len(ids)} invoices, {paid} paid; "
            f"simulator: {stats['webhook_attempts']} attempts, "
            f"{stats['webhook_acknowledged']} acknowledged (duplicates included)"
        )
        if payments != len(ids) or paid != len(ids):
            raise CommandError("payments were lost or applied twice")

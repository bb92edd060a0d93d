"""`manage.py cpr_bench [--units 65000] [--latency-ms 20]`: a full scheduled scan of the scale
organisation through real Celery workers against the GCTP simulator, compared with a bare
concurrent HTTP loop against the same simulator in the same run.

Needs `manage.py seed_scale --units N` first (organisation "Landsdækkende Boligselskab
(skala)"). The command

1. builds the simulator's register from the database (gctp_sim_build) and starts its own
   simulator process at the given latency;
2. runs the bare loop: one stairwell search per entrance, prepared request bodies, one
   keep-alive connection per thread, answers read but not parsed, with as many threads as
   the scan may use at once (worker processes x CPR_SCAN_THREADS);
3. starts a Celery worker with the default settings (prefork, concurrency = CPU count;
   DEBUG off as in production), starts a scan with `services.scan_start` and waits until
   the job row says finished; the time is from scan_start to the job's finished_at (dispatch, HTTP, parsing, recording
   log, ledger, registrations, events and occupancy status all included).

Steps 2-3 repeat `--runs` times (default 3) with the same worker, vacuuming and analysing the
cprlookup tables before each run (PostgreSQL), prints both rates and their ratio per run
and the median ratio, and checks per run that the job, the ledger and the simulator's
counters agree (every entrance looked up, charged once).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from cprlookup import services
from cprlookup.models import CprCharge, CprLookup, LookupOutcome, ScanJob, ScanStatus
from tenancy.demo_data import SCALE_ORGANISATION_NAME
from tenancy.models import Entrance, Organisation, Unit

from .gctp_bench import _body, _run_threads, _Simulator
from .gctp_sim_build import build_register, write_register


class Command(BaseCommand):
    help = "Mål en planlagt CPR-scanning af skala-organisationen mod en rå HTTP-løkke."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=65000)
        parser.add_argument("--latency-ms", type=float, default=20.0)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes (default: Celery's default, the CPU count)",
        )
        parser.add_argument("--timeout", type=float, default=1800.0)
        parser.add_argument(
            "--runs", type=int, default=3, help="gennemløb; medianen af forholdet meldes"
        )

    def handle(self, *args, units, latency_ms, concurrency, timeout, runs, **options):
        org = Organisation.objects.filter(name=SCALE_ORGANISATION_NAME).first()
        if org is None:
            raise CommandError(f"Kør først: manage.py seed_scale --units {units}")
        n_units = Unit.objects.filter(organisation=org).count()
        if n_units < units:
            raise CommandError(
                f"{org.name} har {n_units} enheder; kør manage.py seed_scale --units {units}"
            )
        if n_units > units * 1.05:
            self.stderr.write(
                f"Bemærk: organisationen har {n_units} enheder; hele porteføljen scannes."
            )
        # A benchmark run must not be blocked by an earlier, interrupted one.
        ScanJob.objects.filter(
            organisation=org, status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]
        ).update(status=ScanStatus.FAILED)

        with tempfile.TemporaryDirectory(prefix="cpr-bench-") as tmp:
            tmp_path = Path(tmp)
            t0 = time.monotonic()
            register = build_register(seed=1)
            data_path = tmp_path / "gctp-sim.json"
            write_register(register, data_path)
            del register
            self.stdout.write(f"Simulatorregister bygget på {time.monotonic() - t0:.1f} s")
            sim = _Simulator(data_path=data_path, latency_ms=latency_ms)
            try:
                self._bench(
                    sim, org, n_units, latency_ms, concurrency, timeout, tmp_path, max(1, runs)
                )
            finally:
                sim.stop()

    def _bench(self, sim, org, n_units, latency_ms, concurrency, timeout, tmp: Path, runs: int):
        from urllib.parse import urlsplit

        from cprlookup.gctp import GctpClient

        entrances = list(Entrance.objects.filter(organisation=org).values_list("dar_id", flat=True))
        threads = concurrency * settings.CPR_SCAN_THREADS
        url = urlsplit(sim.base_url)
        token_file = tmp / "token.json"
        client = GctpClient(base_url=sim.base_url, token_file=token_file, timeout=30)
        client.landlord_search(cvr=org.cvr, dar_house_id=entrances[0])  # sign on
        token = client._current_token()
        bodies = [_body(org.cvr, str(e)) for e in entrances]

        def bare(chunk):
            import http.client

            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            headers = {"Content-Type": "text/xml; charset=ISO-8859-1", "Cookie": f"Token={token}"}
            for body in chunk:
                conn.request("POST", url.path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise CommandError(f"HTTP {resp.status}")
            conn.close()

        w = self.stdout.write
        ceiling = threads / (latency_ms / 1000) if latency_ms else float("inf")
        w(
            f"CPR-scanningsbenchmark: {n_units} enheder i {len(entrances)} opgange, "
            f"{latency_ms:g} ms latens, {concurrency} workerprocesser x {settings.CPR_SCAN_THREADS} "
            f"tråde = {threads} samtidige søgninger (teoretisk loft {ceiling:,.0f}/s), "
            f"{runs} gennemløb"
        )
        ratios = []
        worker, log_path = self._start_worker(sim, token_file, tmp, concurrency)
        try:
            for run in range(1, runs + 1):
                # Every run starts from the same state: earlier runs' dead rows vacuumed and
                # statistics fresh (this PostgreSQL has autovacuum off).
                self._vacuum()
                sim.reset_stats()
                cpu = _CpuMeter(bench=os.getpid(), sim=sim.process.pid, worker=worker.pid)
                bare_s = _run_threads(threads, bodies, bare)
                bare_cpu = cpu.per_search(len(bodies))
                bare_searches = sim.stats()["searches"]
                bare_rate = len(bodies) / bare_s
                sim.reset_stats()
                cpu = _CpuMeter(bench=os.getpid(), sim=sim.process.pid, worker=worker.pid)
                job, scan_s, wall_s = self._scan(org, worker, log_path, timeout)
                scan_cpu = cpu.per_search(job.total)
                scan_rate = job.total / scan_s
                ratios.append(scan_rate / bare_rate)
                w(f"Gennemløb {run}:")
                w(
                    f"  rå HTTP-løkke : {bare_rate:8.1f} søgninger/s ({bare_s:.1f} s, "
                    f"simulator besvarede {bare_searches})"
                )
                w(
                    f"  scanning      : {scan_rate:8.1f} søgninger/s ({scan_s:.1f} s fra start "
                    f"til færdig, {n_units / scan_s:.0f} enheder/s; ventet {wall_s:.1f} s)"
                )
                w(f"  forhold scanning/rå: {ratios[-1]:.2f}")
                if bare_cpu and scan_cpu:
                    w(f"  CPU pr. søgning, rå løkke: {bare_cpu}")
                    w(f"  CPU pr. søgning, scanning: {scan_cpu}")
                self._check(job, sim.stats())
        finally:
            worker.terminate()
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        ordered = sorted(ratios)
        w(
            f"Forhold scanning/rå, median af {runs}: {statistics.median(ratios):.2f} "
            f"(spænd {ordered[0]:.2f}-{ordered[-1]:.2f})"
        )
        w(
            f"  belastning (load average 1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )

    def _vacuum(self) -> None:
        if connection.vendor != "postgresql":
            return
        from cprlookup import models as cpr_models

        tables = [
            m._meta.db_table
            for m in (
                cpr_models.CprLookup,
                cpr_models.CprLookupResident,
                cpr_models.CprCharge,
                cpr_models.ScanJob,
                cpr_models.ScanItem,
                cpr_models.CprRegistration,
                cpr_models.OccupancyEvent,
                cpr_models.UnitOccupancy,
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM (ANALYZE) " + ", ".join(connection.ops.quote_name(t) for t in tables)
            )

    def _scan(self, org, worker, log_path: Path, timeout: float):
        started = time.monotonic()
        job = services.scan_start(organisation=org)
        while True:
            job.refresh_from_db()
            if job.is_finished:
                break
            if worker.poll() is not None:
                raise CommandError(
                    "Celery-workeren stoppede:\n" + log_path.read_text(errors="replace")[-3000:]
                )
            if time.monotonic() - started > timeout:
                raise CommandError(f"Scanningen blev ikke færdig på {timeout:.0f} s")
            time.sleep(0.2)
        wall_s = time.monotonic() - started
        return job, (job.finished_at - job.created_at).total_seconds(), wall_s

    def _check(self, job, stats: dict) -> None:
        """Every entrance looked up, charged exactly once: or the run does not count."""
        w = self.stdout.write
        charges = CprCharge.objects.filter(lookup__scan_job=job)
        duplicated = (
            charges.values("lookup__entrance").annotate(n=Count("pk")).filter(n__gt=1).count()
        )
        answered = CprLookup.objects.filter(scan_job=job, outcome=LookupOutcome.OK).count()
        looked_up = job.items.filter(status="done").values("entrance").distinct().count()
        n_charges = charges.count()
        w(
            f"  job: {job.get_status_display()}, {job.done} slået op, {job.failed} fejlet; "
            f"simulator: {stats['searches']} søgninger, {stats['signons']} log på"
        )
        w(
            f"  kontrol: alle opgange slået op: {'ja' if looked_up == job.total else 'NEJ'} "
            f"({looked_up}/{job.total}); omkostningsposter = besvarede søgninger: "
            f"{'ja' if n_charges == answered else 'NEJ'} ({n_charges}/{answered}); "
            f"ingen betalt to gange: {'ja' if not duplicated else 'NEJ'} ({duplicated} dobbelte)"
        )
        if job.done != job.total or n_charges != answered or looked_up != job.total or duplicated:
            raise CommandError("Scanningen slog ikke alle opgange op præcis én gang.")

    def _start_worker(self, sim, token_file: Path, tmp: Path, concurrency: int):
        env = os.environ.copy()
        env.update(
            {
                "GCTP_BASE_URL": sim.base_url,
                "GCTP_TOKEN_FILE": str(token_file),
                "PYTHONPATH": str(settings.BASE_DIR),
                # As in production: a development .env's DEBUG=true makes Django keep and
                # format every query the worker runs.
                "DEBUG": "false",
            }
        )
        cwd = settings.BASE_DIR
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            env["CELERY_FS_BROKER_DIR"] = str(settings.BROKER_DIR)
            cwd = settings.BROKER_DIR
        log_path = tmp / "worker.log"
        log = log_path.open("wb")
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and app
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                f"--concurrency={concurrency}",
                f"--hostname=cpr-bench-{os.getpid()}@%h",
            ],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(3)  # let the pool start before the clock runs
        return worker, log_path


class _CpuMeter:
    """CPU time (user + system, from /proc on Linux) used since creation by this command, the
    simulator, the worker with its pool processes, and PostgreSQL's processes: where a run's
    CPU goes on a machine all of them share."""

    def __init__(self, **roots: int) -> None:
        self.roots = roots
        self.start = self._sample()

    @staticmethod
    def _proc(pid: int) -> tuple[float, int, str] | None:
        """(CPU seconds, parent pid, command line) of a process, or None if it is gone."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (
            (int(fields[11]) + int(fields[12])) / ticks,
            int(fields[1]),
            cmd.decode(errors="replace"),
        )

    def _sample(self) -> dict[str, dict[int, float]] | None:
        if not Path("/proc/self/stat").exists():
            return None
        procs = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (info := self._proc(int(entry.name))) is not None:
                procs[int(entry.name)] = info
        out: dict[str, dict[int, float]] = {name: {} for name in (*self.roots, "postgres")}
        for pid, (cpu, ppid, cmd) in procs.items():
            for name, root in self.roots.items():
                if pid == root or (name == "worker" and ppid == root):
                    out[name][pid] = cpu
            if cmd.startswith("postgres"):
                out["postgres"][pid] = cpu
        return out

    def per_search(self, searches: int) -> str:
        end = self._sample()
        if self.start is None or end is None or not searches:
            return ""
        parts = []
        for name, label in (
            ("bench", "benchmark"),
            ("worker", "worker"),
            ("sim", "simulator"),
            ("postgres", "PostgreSQL"),
        ):
            used = sum(cpu - self.start[name].get(pid, 0.0) for pid, cpu in end[name].items())
            if 1000 * used / searches >= 0.005:
                parts.append(f"{label} {1000 * used / searches:.2f} ms")
        return ", ".join(parts)

"""`manage.py load_bench`: N concurrent caseworkers against gunicorn, measured by locust.

Starts gunicorn on the current database (seed_scale data; PostgreSQL for real figures) with
the current broker (Redis for real figures), not in debug, logs in --users caseworkers
(load01.., password "demo", created as members of the seed_scale organisation) and runs
locust headless for --duration seconds over devtools/load/locustfile.py: list pages,
details, the search box and small Excel downloads. Prints per-request-kind and overall
p50/p95/max, the error count and the load average before and after, and exits non-zero
when there were errors or the overall p95 is above --p95-goal milliseconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bk_seed \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DEVTOOLS=true \\
    .venv/bin/python manage.py load_bench --users 50 --duration 120
"""

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Entrance, Lease, Membership, Organisation, Person, Unit

LOCUSTFILE = Path(__file__).resolve().parents[2] / "load" / "locustfile.py"
SAMPLE = 2000


class Command(BaseCommand):
    help = "Load test: concurrent caseworkers on gunicorn, measured by locust (headless)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--duration", type=int, default=90, help="Seconds of load.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers.")
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker.")
        parser.add_argument("--port", type=int, default=8098)
        parser.add_argument("--p95-goal", type=float, default=300.0)

    def handle(self, *args, **o):
        organisation = self.organisation()
        self.make_users(organisation, o["users"])
        work = Path(tempfile.mkdtemp(prefix="load-bench-"))
        fixture = work / "fixture.json"
        fixture.write_text(json.dumps(self.fixture(organisation, o["users"])))
        self.stdout.write(
            f"Organisation: {organisation.name} ({self.units(organisation):,} enheder)"
        )
        self.stdout.write("Load average før: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        server = self.start_gunicorn(o, work)
        try:
            self.wait_ready(o["port"], server)
            stats = self.run_locust(o, work, fixture)
            after = os.getloadavg()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        self.report(stats)
        self.stdout.write("Load average under/efter: {:.2f} {:.2f} {:.2f}".format(*after))
        total = stats["Aggregated"]
        if int(total["Failure Count"]) or float(total["95%"]) > o["p95_goal"]:
            raise CommandError(
                f"Mål ikke nået: {total['Failure Count']} fejl, p95 {total['95%']} ms "
                f"(mål: 0 fejl, p95 < {o['p95_goal']:.0f} ms)"
            )

    def organisation(self) -> Organisation:
        bench = get_user_model().objects.filter(username="bench").first()
        membership = Membership.objects.filter(user=bench).select_related("organisation").first()
        if membership is None:
            raise CommandError("Ingen seed_scale-data: kør først manage.py seed_scale --units N.")
        return membership.organisation

    @staticmethod
    def units(organisation) -> int:
        return Unit.objects.filter(organisation=organisation).count()

    def make_users(self, organisation, count: int) -> None:
        users = get_user_model()
        for number in range(1, count + 1):
            user, created = users.objects.get_or_create(username=f"load{number:02d}")
            if created or not user.check_password("demo"):
                user.set_password("demo")
                user.save()
            Membership.objects.get_or_create(
                user=user, organisation=organisation, defaults={"role": "caseworker"}
            )

    def fixture(self, organisation, users: int) -> dict:
        def ids(model):
            qs = model.objects.filter(organisation=organisation).order_by("?")
            return list(qs.values_list("pk", flat=True)[:SAMPLE])

        entrances = Entrance.objects.filter(organisation=organisation)
        streets = list(entrances.order_by("?").values_list("street_name", flat=True)[:50])
        postcodes = sorted(set(entrances.values_list("postcode", flat=True)[:5000]))[:30]
        names = list(
            Person.objects.filter(organisation=organisation).values_list("name", flat=True)[:50]
        )
        numbers = list(
            Lease.objects.filter(organisation=organisation).values_list("number", flat=True)[:50]
        )
        return {
            "users": users,
            "units": ids(Unit),
            "people": ids(Person),
            "leases": ids(Lease),
            "entrances": ids(Entrance),
            "postcodes": postcodes,
            "terms": [s[:5] for s in streets] + [n.split()[0] for n in names] + numbers,
        }

    def start_gunicorn(self, o, work: Path) -> subprocess.Popen:
        env = {
            **os.environ,
            "DEBUG": "false",
            "DEVTOOLS": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        }
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{o['port']}",
            "--workers", str(o["workers"]), "--threads", str(o["threads"]),
            "--access-logfile", "/dev/null", "--log-level", "warning", "--timeout", "120",
            "--keep-alive", "75",  # longer than a user's pause: no reset on a reused connection
        ]  # fmt: skip
        log = (work / "gunicorn.log").open("w")
        return subprocess.Popen(  # noqa: S603 - our own interpreter and app
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, port: int, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("gunicorn stoppede under opstart.")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        raise CommandError("gunicorn svarede ikke inden for 60 s.")

    def run_locust(self, o, work: Path, fixture: Path) -> dict:
        prefix = work / "locust"
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "-u", str(o["users"]), "-r", str(max(1, o["users"] // 5)),
            "-t", f"{o['duration']}s", "--host", f"http://127.0.0.1:{o['port']}",
            "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
            "--reset-stats",  # the logins while the users start are not timed
        ]  # fmt: skip
        env = {**os.environ, "LOAD_FIXTURE": str(fixture)}
        subprocess.run(command, env=env, check=False, timeout=o["duration"] + 120)  # noqa: S603
        with open(f"{prefix}_stats.csv", newline="") as handle:
            return {row["Name"]: row for row in csv.DictReader(handle)}

    def report(self, stats: dict) -> None:
        self.stdout.write(
            f"{'forespørgsel':<22} {'antal':>7} {'fejl':>5} {'p50':>6} {'p95':>6} {'maks':>7}"
        )
        for name, row in sorted(stats.items(), key=lambda item: item[0] == "Aggregated"):
            self.stdout.write(
                f"{name[:22]:<22} {int(row['Request Count']):>7} {int(row['Failure Count']):>5} "
                f"{row['50%']:>6} {row['95%']:>6} {float(row['Max Response Time']):>7.0f}"
            )

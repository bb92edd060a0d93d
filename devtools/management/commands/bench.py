"""`manage.py bench`: performance figures measured in this run (see docs/benchmarks.md).

Against data made by `seed_scale --units N` (organisation of the user `bench`):

1. List pages and search: server time (the full Django request through
   `django.test.Client`, logged in as `bench`) over `--requests` requests each, p50/p95/max,
   and the number of SQL queries of one request.
2. Excel export of the organisation's units (or `--rows N` of them): our export path
   (scoped selector + FilterSet + `values_list` iterator + `core.excel.write_xlsx`)
   against bare openpyxl write-only appending the same values, already fetched once, as
   plain tuples. Each runs in its own child process (interleaved rounds, best round kept) so
   peak memory (ru_maxrss) belongs to that one export.

The database is only read (the export writes to a temporary file).
"""

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from core import crypto
from core.excel import Column, write_xlsx
from tenancy import exports
from tenancy.models import Entrance, Lease, Person, Unit
from tenancy.selectors import organisation_list

BENCH_USER = "bench"
# Pages timed beside the lists but not held to the list goal (see _cases).
_NO_LIST_GOAL = ("dashboard", "CPR ")
BENCH_PASSWORD = "demo"  # noqa: S105 - the seed_scale demo user's documented password


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _database_url() -> str:
    """This process's database as a DATABASE_URL, so the child processes use the same one
    (also when it is a test database)."""
    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return "sqlite:///" + str(Path(s["NAME"]).resolve())
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host, port = s.get("HOST") or "localhost", s.get("PORT") or "5432"
    return f"postgres://{auth}{'@' if auth else ''}{host}:{port}/{s['NAME']}"


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class Command(BaseCommand):
    help = "Print list/search server times and Excel export speed and memory for seed_scale data."

    def add_arguments(self, parser):
        parser.add_argument("--user", default=BENCH_USER)
        parser.add_argument("--requests", type=int, default=30, help="requests per page")
        parser.add_argument(
            "--page-budget", type=float, default=60.0, help="seconds per page (min 5 requests)"
        )
        parser.add_argument("--rows", type=int, default=0, help="export rows (0 = all units)")
        parser.add_argument("--kind", default="units", choices=exports.EXPORT_KINDS)
        parser.add_argument("--rounds", type=int, default=2, help="export rounds (best kept)")
        parser.add_argument("--skip-pages", action="store_true")
        parser.add_argument("--skip-export", action="store_true")
        # Internal: one export measurement in a child process, printed as JSON.
        parser.add_argument("--child", choices=["ours", "bare"], help=None)

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(
                f"No user {options['user']!r}: run `manage.py seed_scale --units N` first."
            )
        organisation = organisation_list(user=user).first()
        if organisation is None:
            raise CommandError(f"{options['user']!r} is not a member of any organisation.")
        if options["child"]:
            self._child(options["child"], user, organisation, options)
            return

        db = connection.settings_dict
        self.stdout.write("Boligkontor benchmark")
        self.stdout.write(
            f"  machine: {_cpu_model()}, {os.cpu_count()} cores, "
            f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        self.stdout.write(
            f"  python {platform.python_version()}, database {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}"
        )
        counts = {
            "units": Unit.objects.filter(organisation=organisation).count(),
            "entrances": Entrance.objects.filter(organisation=organisation).count(),
            "people": Person.objects.filter(organisation=organisation).count(),
            "leases": Lease.objects.filter(organisation=organisation).count(),
        }
        self.stdout.write(
            f"  organisation: {organisation.name}: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        )
        if not options["skip_pages"]:
            self._pages(user, organisation, counts, options["requests"], options["page_budget"])
        if not options["skip_export"]:
            self._export(options, counts)

    # --- pages -------------------------------------------------------------------------

    def _cases(self, organisation, counts) -> list[tuple[str, str, dict]]:
        unit = (
            Unit.objects.filter(organisation=organisation)
            .exclude(floor="")
            .select_related("entrance")
            .order_by("pk")[counts["units"] // 2 :]
            .first()
        )
        person = (
            Person.objects.filter(organisation=organisation, protected=False)
            .exclude(cpr_encrypted="")[counts["people"] // 3 :]
            .first()
        )
        lease = Lease.objects.filter(organisation=organisation)[counts["leases"] // 4 :].first()
        if unit is None or person is None or lease is None:
            raise CommandError("Too little data: run `manage.py seed_scale --units N` first.")
        e = unit.entrance
        # A full CPR number to search for: decrypted here in memory, never printed.
        cpr = crypto.decrypt(person.cpr_encrypted)
        last = {k: max(1, -(-v // 50)) for k, v in counts.items()}
        cases = []
        for kind, url_name in (
            ("units", "tenancy:unit_list"),
            ("people", "tenancy:person_list"),
            ("leases", "tenancy:lease_list"),
            ("entrances", "tenancy:entrance_list"),
        ):
            url = reverse(url_name)
            cases.append((f"{kind}: page 1", url, {}))
            cases.append((f"{kind}: last page ({last[kind]:,})", url, {"page": last[kind]}))
        cases += [
            ("units: filter rooms=3", reverse("tenancy:unit_list"), {"rooms": 3}),
            ("units: filter postcode", reverse("tenancy:unit_list"), {"postcode": e.postcode}),
            ("people: filter protected", reverse("tenancy:person_list"), {"protected": "true"}),
            ("leases: filter ended", reverse("tenancy:lease_list"), {"status": "ended"}),
            (
                "entrances: filter postcode",
                reverse("tenancy:entrance_list"),
                {"postcode": e.postcode},
            ),
        ]
        search = reverse("tenancy:search")
        fd = unit.floor_door
        cases += [
            ("search: address prefix", search, {"q": e.street_name[:6]}),
            ("search: full address", search, {"q": f"{e.street_address}, {fd}"}),
            ("search: stairwell", search, {"q": e.street_address}),
            ("search: postcode", search, {"q": e.postcode}),
            ("search: name", search, {"q": person.name}),
            ("search: full CPR", search, {"q": f"{cpr[:6]}-{cpr[6:]}"}),
            ("search: lease number", search, {"q": lease.number}),
        ]
        # The dashboard and the CPR reconciliation (meaningful after a scan: cpr_bench).
        cases += [("dashboard", reverse("tenancy:dashboard"), {})]
        try:
            reconciliation = reverse("cprlookup:reconciliation")
        except NoReverseMatch:
            return cases
        return [
            *cases,
            ("CPR reconciliation: all", reconciliation, {}),
            ("CPR reconciliation: moved out", reconciliation, {"kategori": "holder_moved_out"}),
        ]

    def _pages(self, user, organisation, counts, n: int, budget: float) -> None:
        """Up to `n` timed requests per page; a page slower than `budget` seconds in total
        stops after 5 (the n column says how many were timed)."""
        if "testserver" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = Client()
        if not client.login(username=user.username, password=BENCH_PASSWORD):
            client.force_login(user)  # a --user without the demo password
        self.stdout.write("")
        self.stdout.write(
            f"List pages and search: server time over {n} requests each (ms), SQL queries per request"
        )
        self.stdout.write(
            f"  {'page':<34} {'p50':>7} {'p95':>7} {'max':>7} {'queries':>8} {'n':>4}"
        )
        worst = 0.0
        for name, url, params in self._cases(organisation, counts):
            response = client.get(url, params, secure=True)  # warm-up (and status check)
            if response.status_code != 200:
                self.stdout.write(f"  {name:<34} HTTP {response.status_code}")
                continue
            # Counted with a wrapper: the request signals reset connection.queries.
            counter = _QueryCounter()
            with connection.execute_wrapper(counter):
                client.get(url, params, secure=True)
            times = []
            budget_end = time.perf_counter() + budget
            while len(times) < n and (len(times) < 5 or time.perf_counter() < budget_end):
                start = time.perf_counter()
                client.get(url, params, secure=True)
                times.append((time.perf_counter() - start) * 1000)
            p95 = _percentile(times, 95)
            if not name.startswith(_NO_LIST_GOAL):
                worst = max(worst, p95)
            self.stdout.write(
                f"  {name:<34} {statistics.median(times):7.1f} {p95:7.1f} {max(times):7.1f} "
                f"{counter.count:8d} {len(times):4d}"
            )
        self.stdout.write(
            f"  worst p95 of the list pages and search: {worst:.1f} ms (goal < 150 ms; the "
            "dashboard and the CPR reconciliation are computed over the whole organisation)"
        )

    # --- export ------------------------------------------------------------------------

    def _export(self, options, counts) -> None:
        kind = options["kind"]
        rows = options["rows"] or counts.get(kind, 0)
        self.stdout.write("")
        self.stdout.write(
            f"Excel export of {rows:,} {kind}: our export path vs bare openpyxl write-only "
            f"({options['rounds']} interleaved rounds, child processes, best round)"
        )
        results: dict[str, list[dict]] = {"bare": [], "ours": []}
        for _ in range(options["rounds"]):
            for mode in ("bare", "ours"):
                results[mode].append(self._run_child(mode, options, rows))
        bare = min(results["bare"], key=lambda r: r["seconds"])
        ours = min(results["ours"], key=lambda r: r["seconds"])
        ours_rss = max(r["maxrss_mb"] for r in results["ours"])
        for label, r in (("bare openpyxl (values in memory)", bare), ("our export path", ours)):
            self.stdout.write(
                f"  {label:<34} {r['seconds']:7.1f} s  {r['rows'] / r['seconds']:8,.0f} rows/s  "
                f"cpu {r['cpu']:6.1f} s  peak RSS {r['maxrss_mb']:6.0f} MB"
            )
        if "prefetched_seconds" in bare:
            self.stdout.write(
                f"  {'our writer on the same values':<34} {bare['prefetched_seconds']:7.1f} s  "
                f"{bare['rows'] / bare['prefetched_seconds']:8,.0f} rows/s  "
                f"cpu {bare['prefetched_cpu']:6.1f} s  (no database read)"
            )
        if bare["rows"] != ours["rows"]:
            self.stdout.write(f"  WARNING: row counts differ ({bare['rows']} vs {ours['rows']})")
        ratio = bare["seconds"] / ours["seconds"]
        cpu_ratio = bare["cpu"] / ours["cpu"]
        self.stdout.write(
            f"  speed ratio ours/bare: {ratio:.2f} wall, {cpu_ratio:.2f} cpu (goal >= 0.9; "
            "ours includes the database read, bare does not)"
        )
        if "prefetched_seconds" in bare:
            self.stdout.write(
                f"  writer-only ratio (same values in memory): "
                f"{bare['seconds'] / bare['prefetched_seconds']:.2f} wall, "
                f"{bare['cpu'] / bare['prefetched_cpu']:.2f} cpu"
            )
        self.stdout.write(f"  peak memory of our export: {ours_rss:.0f} MB RSS (goal < 300 MB)")

    def _run_child(self, mode: str, options, rows: int) -> dict:
        cmd = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "bench",
            "--child",
            mode,
            "--user",
            options["user"],
            "--kind",
            options["kind"],
            "--rows",
            str(rows),
        ]
        # The child runs this command too: devtools stays installed whatever DEBUG says.
        env = {**os.environ, "DATABASE_URL": _database_url(), "DEVTOOLS": "true"}
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)  # noqa: S603
        if done.returncode != 0:
            raise CommandError(f"bench child {mode} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _child(self, mode: str, user, organisation, options) -> None:
        spec = exports.export_spec(options["kind"])
        queryset = exports.export_queryset(
            spec=spec, user=user, organisation=organisation, query=""
        )
        if options["rows"]:
            queryset = queryset[: options["rows"]]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "bench.xlsx"
            if mode == "ours":
                result = self._child_ours(spec, queryset, target)
            else:
                result = self._child_bare(spec, queryset, target)
        result["maxrss_mb"] = _maxrss_mb()
        self.stdout.write(json.dumps(result))

    @staticmethod
    def _child_ours(spec, queryset, target: Path) -> dict:
        """The whole export path as the background job runs it (minus the progress rows)."""
        wall, cpu = time.perf_counter(), time.process_time()
        with target.open("wb") as fileobj:
            count = write_xlsx(
                fileobj,
                title=spec.title,
                columns=spec.columns,
                rows=exports.export_rows(spec, queryset),
            )
        return {
            "rows": count,
            "seconds": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "bytes": target.stat().st_size,
        }

    @staticmethod
    def _child_bare(spec, queryset, target: Path) -> dict:
        """Bare openpyxl: the same cell values, fetched once before the clock starts,
        appended as plain tuples (no formats, no guard). Then our writer on those same
        in-memory values, to separate writer cost from database cost."""
        from openpyxl import Workbook

        getters = [c.value for c in spec.columns]
        values = [tuple(g(row) for g in getters) for row in exports.export_rows(spec, queryset)]
        wall, cpu = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=spec.title)
        ws.append([c.header for c in spec.columns])
        for row in values:
            ws.append(row)
        wb.save(target)
        result = {
            "rows": len(values),
            "seconds": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "bytes": target.stat().st_size,
        }
        columns = [
            Column(c.header, value=_item(i), kind=c.kind, width=c.width)
            for i, c in enumerate(spec.columns)
        ]
        wall, cpu = time.perf_counter(), time.process_time()
        with target.open("wb") as fileobj:
            write_xlsx(fileobj, title=spec.title, columns=columns, rows=values)
        result["prefetched_seconds"] = time.perf_counter() - wall
        result["prefetched_cpu"] = time.process_time() - cpu
        return result


def _item(i: int):
    from operator import itemgetter

    return itemgetter(i)


class _QueryCounter:
    """A database execute wrapper that counts the queries it sees."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

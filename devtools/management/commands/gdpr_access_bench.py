"""`manage.py gdpr_access_bench [--units 20000] [--nights 365] [--per-night 1000]`: the time
and query count of one person's access bundle (issue 15) on a large portfolio with a year of
nightly CPR scan answers, against a baseline measured in the same run.

Needs `manage.py seed_scale --units N` first (the scale organisation with its people and
leases). The command then adds, once (kept for later runs), `--nights` scan lookups each
with `--per-night` residents drawn from the portfolio plus the target tenant in every one
(a year of nightly scans that found them), and measures `gdpr.subject.bundle.access_bundle`

1. for a baseline tenant of the same portfolio with no scan answers, and
2. for the target tenant with `--nights` answers,

`--runs` times each (median), printing wall time, CPU time (process), queries, bundle size,
the ratio target/baseline, and the load average (the machine is shared: read the times
with it). Goal: < 3 s and a query count that does not grow with the rows.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cprlookup.models import CprLookup, CprLookupResident, LookupOutcome, LookupSource
from gdpr.subject import bundle, requests
from tenancy.choices import LeaseStatus
from tenancy.models import Organisation, Person

SCALE_NAME = "Landsdækkende Boligselskab (skala)"
BENCH_PURPOSE = "gdpr_access_bench: natlig scanning"


class Command(BaseCommand):
    help = "Benchmark af indsigtspakken for én person på en stor portefølje."

    def add_arguments(self, parser):
        parser.add_argument("--nights", type=int, default=365)
        parser.add_argument("--per-night", type=int, default=1000)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(name=SCALE_NAME).first()
        if organisation is None:
            raise CommandError("Kør først: manage.py seed_scale --units N")
        tenants = list(
            Person.objects.filter(
                organisation=organisation,
                leases__status=LeaseStatus.ACTIVE,
                anonymised_at__isnull=True,
            )
            .exclude(cpr_hash="")
            .order_by("pk")
            .distinct()[:2]
        )
        if len(tenants) < 2:
            raise CommandError("Skala-organisationen har for få lejere med CPR-nummer.")
        baseline, target = tenants
        self._seed_scans(organisation, target, options["nights"], options["per_night"])
        self.stdout.write(
            f"Portefølje: {organisation.name}: "
            f"{Person.objects.filter(organisation=organisation).count():,} personer, "
            f"{CprLookupResident.objects.filter(lookup__organisation=organisation).count():,} "
            f"CPR-svarrækker; målpersonen i "
            f"{CprLookupResident.objects.filter(cpr_hash=target.cpr_hash).count():,} svar"
        )
        results = {}
        for label, person in (("baseline", baseline), ("target", target)):
            results[label] = self._measure(person, options["runs"])
            wall, cpu, queries, size = results[label]
            self.stdout.write(
                f"{label:9} median {wall:.3f} s (CPU {cpu:.3f} s), {queries} forespørgsler, "
                f"ZIP {size / 1024:.1f} KiB"
            )
        ratio = results["target"][0] / max(results["baseline"][0], 1e-6)
        load = os.getloadavg()
        self.stdout.write(
            f"forhold mål/baseline: {ratio:.2f}; forespørgsler {results['target'][2]} mod "
            f"{results['baseline'][2]} (må ikke vokse med rækkerne); mål < 3 s: "
            f"{'OK' if results['target'][0] < 3 else 'OVERSKREDET'}"
        )
        self.stdout.write(
            f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
            f"({os.cpu_count()} kerner, database: {connection.vendor})"
        )

    def _measure(self, person: Person, runs: int) -> tuple[float, float, int, int]:
        walls, cpus, queries, size = [], [], 0, 0
        for _run in range(runs):
            with transaction.atomic():
                request = requests.request_create(person=person, kind="access")
                with CaptureQueriesContext(connection) as captured:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    result = bundle.access_bundle(request=request)
                    walls.append(time.perf_counter() - start)
                    cpus.append(time.process_time() - start_cpu)
                queries, size = len(captured), len(result.content)
                transaction.set_rollback(True)  # leave no request or log rows behind
        return statistics.median(walls), statistics.median(cpus), queries, size

    def _seed_scans(self, organisation, target: Person, nights: int, per_night: int) -> None:
        """A year of nightly scan answers (once; kept for the next run)."""
        if CprLookup.objects.filter(organisation=organisation, purpose=BENCH_PURPOSE).exists():
            return
        started = time.perf_counter()
        people = list(
            Person.objects.filter(organisation=organisation)
            .exclude(cpr_hash="")
            .exclude(pk=target.pk)
            .values("pk", "cpr_hash", "cpr_encrypted", "cpr_masked", "name")[:per_night]
        )
        target_row = {
            "pk": target.pk,
            "cpr_hash": target.cpr_hash,
            "cpr_encrypted": target.cpr_encrypted,
            "cpr_masked": target.cpr_masked,
            "name": target.name,
        }
        now = timezone.now()
        for night in range(nights):
            with transaction.atomic():
                lookup = CprLookup.objects.create(
                    id=uuid.uuid4(),
                    organisation=organisation,
                    source=LookupSource.SCAN,
                    target_kind="entrance",
                    target_label="Bench-opgang",
                    owner_cvr=organisation.cvr,
                    purpose=BENCH_PURPOSE,
                    outcome=LookupOutcome.OK,
                    result_count=len(people) + 1,
                    reached_service=True,
                )
                CprLookup._base_manager.filter(pk=lookup.pk).update(
                    at=now - timedelta(days=nights - night)
                )
                CprLookupResident.objects.bulk_create(
                    [
                        CprLookupResident(
                            lookup=lookup,
                            cpr_encrypted=row["cpr_encrypted"],
                            cpr_hash=row["cpr_hash"],
                            cpr_masked=row["cpr_masked"],
                            name=row["name"],
                            person_id=row["pk"],
                        )
                        for row in [target_row, *people]
                    ],
                    batch_size=2000,
                )
        self.stdout.write(
            f"Tilføjede {nights} natlige scanninger med {len(people) + 1} beboere hver "
            f"på {time.perf_counter() - started:.1f} s"
        )

"""Benchmark the outbox: `python manage.py rent_bench --count 10000 --latency-ms 20`.

1. Starts an HLR simulator process (own port, throw-away data file) with the latency.
2. Set-up (timed, not part of the ratio): `--count` lease changes in a throw-away
   organisation, `--changes-per-lease` per lease (a creation, then rent changes), written
   as real pending outbox rows. `--setup bulk` (default) bulk-creates units, tenants and
   leases and writes each filing with the outbox's own payload builder and local
   validation (`build_payload` + `validate_payload`), in the order the changes were made;
   `--setup services` makes every change through the tenancy services (the outbox hook
   writes the filing; realistic but about 15 changes/s).
3. Bare HTTP loop (timed): the same filings straight to the simulator with the HLR client
   over the same number of threads, no database.
4. Outbox push (timed): `filings_push` for the benchmark organisation only: claiming,
   per-lease ordering, sending, recording each answer.
5. Checks every filing is accepted, the simulator holds each outbox filing exactly once
   (by idempotency key) and in our order per lease, prints the figures with the load
   average, and deletes the throw-away organisation (unless --keep).
"""

import cProfile
import os
import pstats
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from rentregister import services
from rentregister.hlr import HlrClient
from rentregister.models import Filing, FilingKind, FilingOperation, FilingState, UdkTask
from rentregister.payload import build_payload, validate_payload
from tenancy import services as tenancy_services
from tenancy.choices import LeaseStatus
from tenancy.models import (
    Building,
    ChangeRecord,
    Department,
    Entrance,
    Lease,
    Organisation,
    Person,
    Property,
    Unit,
)

UNITS_PER_ENTRANCE = 90  # floors 1-9, doors 1-10
RENT = Decimal(6000)
RENT_FROM = date(2026, 1, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cvr() -> str:
    weights = (2, 7, 6, 5, 4, 3, 2)
    while True:
        digits = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(6)]  # noqa: S311
        rest = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        check = (11 - rest) % 11
        cvr = "".join(map(str, digits)) + str(check)
        if check != 10 and not Organisation.objects.filter(cvr=cvr).exists():
            return cvr


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} kerner)"


class Command(BaseCommand):
    help = "Mål outboxens gennemløb mod HLR-simulatoren (sammenlignet med en ren HTTP-løkke)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--latency-ms", type=int, default=20)
        parser.add_argument("--changes-per-lease", type=int, default=10)
        parser.add_argument("--workers", type=int, default=settings.RENT_PUSH_WORKERS)
        parser.add_argument("--setup", choices=("bulk", "services"), default="bulk")
        parser.add_argument(
            "--profile", default="", help="Skriv cProfile-data for outbox-kørslen til filen."
        )
        parser.add_argument("--keep", action="store_true", help="Behold testdata bagefter.")

    def handle(self, *args, count, latency_ms, changes_per_lease, workers, setup, **options):
        if count < 1 or changes_per_lease < 1:
            raise CommandError("--count og --changes-per-lease skal være mindst 1.")
        folder = Path(tempfile.mkdtemp(prefix="rent-bench-"))
        port = _free_port()
        sim = subprocess.Popen(  # noqa: S603 - our own simulator module
            [
                sys.executable,
                "-m",
                "simulators.hlr",
                "--port",
                str(port),
                "--data",
                str(folder / "hlr.json"),
                "--api-key",
                "bench",
                "--latency-ms",
                str(latency_ms),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        settings.HLR_BASE_URL = f"http://127.0.0.1:{port}"
        settings.HLR_API_KEY = "bench"
        organisation = None
        try:
            self._wait_for(port)
            self.stdout.write(
                f"Database: {connection.vendor}; {workers} tråde; {latency_ms} ms latens; "
                f"belastning før: {_load()}"
            )
            t0 = time.monotonic()
            if setup == "bulk":
                organisation = self._make_changes_bulk(count, changes_per_lease)
            else:
                organisation = self._make_changes_services(count, changes_per_lease)
            setup_seconds = time.monotonic() - t0
            payloads = list(
                Filing.objects.filter(organisation=organisation)
                .order_by("pk")
                .values_list("payload", flat=True)
            )
            self.stdout.write(
                f"Opsætning ({setup}): {len(payloads)} lejemålsændringer som ventende "
                f"indberetninger på {setup_seconds:.1f} s"
            )

            bare = self._bare_loop(payloads, workers)
            bare_rate = len(payloads) / bare
            self.stdout.write(
                f"Ren HTTP-løkke: {len(payloads)} indberetninger på {bare:.2f} s "
                f"({bare_rate:.0f}/s)"
            )

            profiler = cProfile.Profile() if options["profile"] else None
            if profiler:
                profiler.enable()
            stats = services.filings_push(
                workers=workers, organisation_ids=[organisation.pk], max_seconds=1800
            )
            if profiler:
                profiler.disable()
                profiler.dump_stats(options["profile"])
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            outbox = stats.seconds
            outbox_rate = stats.claimed / outbox if outbox else 0.0
            accepted = Filing.objects.filter(
                organisation=organisation, state=FilingState.ACCEPTED
            ).count()
            self.stdout.write(
                f"Outbox: {stats.claimed} sendt, {accepted} modtaget på {outbox:.2f} s "
                f"({outbox_rate:.0f}/s)"
            )
            problems = self._check(organisation, len(payloads))
            ratio = outbox_rate / bare_rate
            self.stdout.write(
                self.style.SUCCESS(
                    f"Resultat: {len(payloads)} ændringer på {outbox:.1f} s (mål < 120 s); "
                    f"outbox {outbox_rate:.0f}/s mod ren HTTP {bare_rate:.0f}/s = "
                    f"{ratio:.2f} (mål ≥ 0,8); belastning efter: {_load()}"
                )
            )
            if accepted != len(payloads) or problems:
                raise CommandError("; ".join(problems) or "Ikke alle ændringer blev modtaget.")
        finally:
            sim.terminate()
            sim.wait(timeout=10)
            if organisation is not None and not options["keep"]:
                self._cleanup(organisation)

    def _wait_for(self, port: int) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise CommandError("HLR-simulatoren startede ikke.")

    # -- set-up ----------------------------------------------------------------------------

    def _organisation(self, n_leases: int) -> tuple[Organisation, Building]:
        organisation = Organisation.objects.create(
            name="Benchmark (rent_bench)", cvr=_cvr(), kind="almen", dwellings_owned=n_leases
        )
        department = Department.objects.create(
            organisation=organisation, number="001", name="Benchmark"
        )
        prop = Property.objects.create(
            organisation=organisation,
            department=department,
            name="Benchmark",
            municipality_code="0101",
        )
        return organisation, Building.objects.create(organisation=organisation, property=prop)

    def _entrance(self, building: Building, number: int) -> Entrance:
        return tenancy_services.entrance_create(
            building=building,
            street_name="Benchmarkvej",
            house_number=str(number),
            postcode="2900",
            city="Hellerup",
            municipality_code="0101",
            road_code=f"{random.randint(1000, 9999)}",  # noqa: S311
        )

    def _make_changes_bulk(self, count: int, per_lease: int) -> Organisation:
        """Leases in bulk; one filing per change, built by the outbox's payload builder and
        checked by its local validation, written in the order the changes were made (all
        creations, then each round of rent changes), as the hook would have written them."""
        n_leases = -(-count // per_lease)
        with transaction.atomic():
            organisation, building = self._organisation(n_leases)
            entrances = [
                self._entrance(building, n + 1) for n in range(-(-n_leases // UNITS_PER_ENTRANCE))
            ]
            units = []
            for i in range(n_leases):
                slot = i % UNITS_PER_ENTRANCE
                unit = Unit(
                    organisation=organisation,
                    entrance=entrances[i // UNITS_PER_ENTRANCE],
                    floor=str(slot // 10 + 1),
                    door=str(slot % 10 + 1),
                    bbr_unit_id=uuid.uuid4(),
                    area_m2=Decimal("72.50"),
                    rooms=3,
                )
                unit.search_text = unit.build_search_text()
                units.append(unit)
            Unit.objects.bulk_create(units, batch_size=500)
            people = Person.objects.bulk_create(
                [
                    Person(
                        organisation=organisation, name=f"Lejer {i}", birth_date=date(1980, 5, 17)
                    )
                    for i in range(n_leases)
                ],
                batch_size=500,
            )
            leases = Lease.objects.bulk_create(
                [
                    Lease(
                        organisation=organisation,
                        unit=unit,
                        number=f"{unit.pk:07d}-01",
                        start_date=date(2020, 1, 1),
                        rent=RENT,
                        status=LeaseStatus.ACTIVE,
                    )
                    for unit in units
                ],
                batch_size=500,
            )
            Lease.parties.through.objects.bulk_create(
                [
                    Lease.parties.through(lease_id=lease.pk, person_id=person.pk)
                    for lease, person in zip(leases, people, strict=True)
                ],
                batch_size=500,
            )
            leases = list(
                Lease.objects.filter(organisation=organisation)
                .select_related("organisation", "unit__entrance__building__property__department")
                .prefetch_related("parties")
                .order_by("pk")
            )
            filings = []
            made = 0
            step = 0
            while made < count:
                for lease in leases:
                    if made >= count:
                        break
                    if step == 0:
                        kind, operation, effective = (
                            FilingKind.CREATE,
                            FilingOperation.CREATE,
                            lease.start_date,
                        )
                    else:
                        lease.rent = RENT + step
                        kind, operation, effective = (
                            FilingKind.RENT_CHANGE,
                            FilingOperation.UPDATE,
                            RENT_FROM + timedelta(days=step),
                        )
                    payload, refs = build_payload(
                        lease=lease, effective_date=effective, consented_person_ids=set()
                    )
                    errors, warnings = validate_payload(payload)
                    if errors:
                        raise CommandError(f"Ugyldig indberetning i opsætningen: {errors}")
                    filings.append(
                        Filing(
                            organisation=organisation,
                            lease=lease,
                            kind=kind,
                            operation=operation,
                            payload=payload,
                            cpr_person_ids=refs,
                            effective_date=effective,
                            warnings=warnings,
                        )
                    )
                    made += 1
                step += 1
            Filing.objects.bulk_create(filings, batch_size=500)
            Lease.objects.bulk_update(leases, ["rent"], batch_size=500)
        return organisation

    def _make_changes_services(self, count: int, per_lease: int) -> Organisation:
        """Every change through the tenancy services (the outbox hook writes the filing)."""
        n_leases = -(-count // per_lease)
        with transaction.atomic(), services.push_enqueue_suppressed():
            organisation, building = self._organisation(n_leases)
            entrance = None
            made = 0
            leases = []
            for i in range(n_leases):
                slot = i % UNITS_PER_ENTRANCE
                if slot == 0:
                    entrance = self._entrance(building, i // UNITS_PER_ENTRANCE + 1)
                unit = tenancy_services.unit_create(
                    entrance=entrance,
                    floor=str(slot // 10 + 1),
                    door=str(slot % 10 + 1),
                    bbr_unit_id=uuid.uuid4(),
                    area_m2=Decimal("72.50"),
                    rooms=3,
                )
                person = tenancy_services.person_create(
                    organisation=organisation, name=f"Lejer {i}", birth_date=date(1980, 5, 17)
                )
                leases.append(
                    tenancy_services.lease_create(
                        unit=unit, parties=[person], start_date=date(2020, 1, 1), rent=RENT
                    )
                )
                made += 1
            step = 0
            while made < count:
                step += 1
                for lease in leases:
                    if made >= count:
                        break
                    tenancy_services.lease_change_rent(
                        lease=lease,
                        rent=RENT + step,
                        effective_date=RENT_FROM + timedelta(days=step),
                    )
                    made += 1
        return organisation

    # -- timed parts and checks ------------------------------------------------------------

    def _bare_loop(self, payloads: list[dict], workers: int) -> float:
        client = HlrClient()
        run = uuid.uuid4().hex[:8]

        def send(item):
            index, payload = item
            body = {**payload, "lease": {**payload["lease"], "lease_number": f"B{run}-{index}"}}
            client.file(operation="create", payload=body, idempotency_key=str(uuid.uuid4()))

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(send, enumerate(payloads)))
        return time.monotonic() - started

    def _check(self, organisation: Organisation, expected: int) -> list[str]:
        """Exactly once (each idempotency key once in the simulator) and in our order per
        lease (the simulator's order of a lease's filings equals ours, versions 1, 2, …)."""
        ours = list(
            Filing.objects.filter(organisation=organisation)
            .order_by("pk")
            .values_list("idempotency_key", "lease__number", "receipt_version")
        )
        keys = {str(key) for key, _n, _v in ours}
        filed = HlrClient()._request("GET", "/_sim/filings")[1]["filings"]
        stats = HlrClient()._request("GET", "/_sim/stats")[1]
        seen = Counter(f["idempotency_key"] for f in filed if f["idempotency_key"] in keys)
        twice = sum(1 for n in seen.values() if n > 1)
        missing = len(keys) - len(seen)
        sim_order = defaultdict(list)
        for f in filed:
            if f["idempotency_key"] in keys:
                sim_order[f["lease_number"]].append(f["idempotency_key"])
        our_order = defaultdict(list)
        versions_ok = True
        for key, number, version in ours:
            our_order[number].append(str(key))
            versions_ok = versions_ok and version == len(our_order[number])
        order_ok = versions_ok and sim_order == our_order
        self.stdout.write(
            f"Simulatoren: {stats['filings_accepted']} indberetninger i alt (forventet "
            f"{2 * expected}: ren løkke + outbox); outboxens {len(keys)} nøgler: "
            f"{len(seen)} modtaget, {twice} to gange, {missing} mangler; "
            f"{stats.get('replays', 0)} gentagelser besvaret; rækkefølge pr. lejemål: "
            f"{'OK' if order_ok else 'FEJL'}"
        )
        problems = []
        if twice or missing or stats["filings_accepted"] != 2 * expected:
            problems.append("Ikke alle ændringer blev indberettet præcis én gang.")
        if not order_ok:
            problems.append("Rækkefølgen pr. lejemål blev ikke holdt.")
        return problems

    def _cleanup(self, organisation: Organisation) -> None:
        with transaction.atomic():
            Filing.objects.filter(organisation=organisation).delete()
            UdkTask.objects.filter(organisation=organisation).delete()
            ChangeRecord.objects.filter(organisation=organisation).delete()
            Lease.parties.through.objects.filter(lease__organisation=organisation).delete()
            Lease.objects.filter(organisation=organisation).delete()
            Person.objects.filter(organisation=organisation).delete()
            Unit.objects.filter(organisation=organisation).delete()
            Entrance.objects.filter(organisation=organisation).delete()
            Building.objects.filter(organisation=organisation).delete()
            Property.objects.filter(organisation=organisation).delete()
            Department.objects.filter(organisation=organisation).delete()
            organisation.delete()

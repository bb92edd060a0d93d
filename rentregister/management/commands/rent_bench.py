"""Benchmark the outbox: `python manage.py rent_bench --count 10000 --latency-ms 20`.

1. Starts an HLR simulator process (own port, throw-away data file) with the latency.
2. Makes `--count` lease changes through the tenancy services in a throw-away
   organisation (lease creations plus rent changes, `--changes-per-lease` per lease), so
   every change writes its filing through the outbox hook (not timed).
3. Bare HTTP loop: the same number of filings straight to the simulator with the HLR
   client over the same number of threads, no database (timed).
4. Outbox push: `filings_push` for the benchmark organisation only (timed): claiming,
   per-lease ordering, sending, recording each answer.
5. Checks every filing is accepted and the simulator holds exactly one filing per row,
   prints the figures, and deletes the throw-away organisation (unless --keep).
"""

import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from rentregister import conf, services
from rentregister.hlr import HlrClient
from rentregister.models import Filing, FilingState, UdkTask
from tenancy import services as tenancy_services
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


class Command(BaseCommand):
    help = "Mål outboxens gennemløb mod HLR-simulatoren (sammenlignet med en ren HTTP-løkke)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--latency-ms", type=int, default=20)
        parser.add_argument("--changes-per-lease", type=int, default=10)
        parser.add_argument("--workers", type=int, default=conf.RENT_PUSH_WORKERS)
        parser.add_argument("--keep", action="store_true", help="Behold testdata bagefter.")

    def handle(self, *args, count, latency_ms, changes_per_lease, workers, keep, **options):
        if count < 1 or changes_per_lease < 1:
            raise CommandError("--count og --changes-per-lease skal være mindst 1.")
        folder = Path(tempfile.mkdtemp(prefix="rent-bench-"))
        port = _free_port()
        sim = subprocess.Popen(  # noqa: S603 - our own simulator module
            [
                sys.executable,
                "-m",
                "rentregister.simulator",
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
            t0 = time.monotonic()
            organisation = self._make_changes(count, changes_per_lease)
            setup = time.monotonic() - t0
            payloads = list(
                Filing.objects.filter(organisation=organisation)
                .order_by("pk")
                .values_list("payload", flat=True)
            )
            self.stdout.write(
                f"Opsætning: {len(payloads)} lejemålsændringer via services på {setup:.1f} s"
            )

            bare = self._bare_loop(payloads, workers)
            self.stdout.write(
                f"Ren HTTP-løkke: {len(payloads)} indberetninger på {bare:.2f} s "
                f"({len(payloads) / bare:.0f}/s, {workers} tråde, {latency_ms} ms latens)"
            )

            stats = services.filings_push(
                workers=workers, organisation_ids=[organisation.pk], max_seconds=1800
            )
            outbox = stats.seconds
            accepted = Filing.objects.filter(
                organisation=organisation, state=FilingState.ACCEPTED
            ).count()
            self.stdout.write(
                f"Outbox: {stats.claimed} sendt, {accepted} modtaget på {outbox:.2f} s "
                f"({stats.claimed / outbox:.0f}/s)"
            )
            filed = HlrClient()._request("GET", "/_sim/stats")[1]
            expected = len(payloads) * 2  # bare loop + outbox
            self.stdout.write(
                f"Simulatoren: {filed['filings_accepted']} indberetninger (forventet "
                f"{expected}), {filed.get('replays', 0)} gentagelser"
            )
            ratio = (stats.claimed / outbox) / (len(payloads) / bare) if stats.claimed else 0.0
            self.stdout.write(
                self.style.SUCCESS(
                    f"Resultat: outbox {outbox:.1f} s for {stats.claimed} ændringer "
                    f"(mål < 120 s); gennemløb i forhold til ren HTTP: {ratio:.2f} (mål ≥ 0,8)"
                )
            )
            if accepted != len(payloads) or filed["filings_accepted"] != expected:
                raise CommandError("Ikke alle ændringer blev indberettet præcis én gang.")
        finally:
            sim.terminate()
            sim.wait(timeout=10)
            if organisation is not None and not keep:
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

    def _make_changes(self, count: int, per_lease: int) -> Organisation:
        n_leases = max(1, count // per_lease)
        with transaction.atomic(), services.push_enqueue_suppressed():
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
            building = Building.objects.create(organisation=organisation, property=prop)
            entrance = tenancy_services.entrance_create(
                building=building,
                street_name="Benchmarkvej",
                house_number=str(random.randint(1, 999)),  # noqa: S311
                postcode="2900",
                city="Hellerup",
                municipality_code="0101",
                road_code=f"{random.randint(1000, 9999)}",  # noqa: S311
            )
            made = 0
            leases = []
            for i in range(n_leases):
                unit = tenancy_services.unit_create(
                    entrance=entrance,
                    floor="1",
                    door=str(i + 1),
                    bbr_unit_id=uuid.uuid4(),
                    area_m2=Decimal("72.50"),
                    rooms=3,
                )
                person = tenancy_services.person_create(
                    organisation=organisation, name=f"Lejer {i}", birth_date=date(1980, 5, 17)
                )
                leases.append(
                    tenancy_services.lease_create(
                        unit=unit, parties=[person], start_date=date(2020, 1, 1), rent=Decimal(6000)
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
                        rent=Decimal(6000 + step),
                        effective_date=date(2026, 1, 1) + timedelta(days=step),
                    )
                    made += 1
        return organisation

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

    def _cleanup(self, organisation: Organisation) -> None:
        with transaction.atomic():
            Filing.objects.filter(organisation=organisation).delete()
            UdkTask.objects.filter(organisation=organisation).delete()
            ChangeRecord.objects.filter(organisation=organisation).delete()
            Lease.objects.filter(organisation=organisation).delete()
            Person.objects.filter(organisation=organisation).delete()
            Unit.objects.filter(organisation=organisation).delete()
            Entrance.objects.filter(organisation=organisation).delete()
            Building.objects.filter(organisation=organisation).delete()
            Property.objects.filter(organisation=organisation).delete()
            Department.objects.filter(organisation=organisation).delete()
            organisation.delete()

"""`manage.py retention_bench --people 50000`: the retention run anonymising N former tenants
on the scale portfolio (issue 15; docs/privacy.md has the figures).

1. The scale organisation (`seed_scale --units U`, made here when missing).
2. N former tenants added in bulk: a person with CPR (encrypted, hashed, masked), birth date,
   e-mail and phone, one lease on a unit of their own that ended in 1989 (before every
   seeded lease), and a change record naming them (so the history scrub is measured).
3. The baseline, measured in the same run: one UPDATE touching those N person rows (rolled
   back): the floor for any anonymisation of N people.
4. The run for the organisation: preview count, run creation (counting), processing, with
   wall time, CPU per person, throughput and the ratio to the baseline.
5. The same run again: it must find nothing and do nothing.

The load average is printed before and after (the machine is shared).
"""

import os
import random
import time
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from core import crypto
from gdpr.retention import services
from tenancy.choices import LeaseStatus
from tenancy.demo_data import EMAIL_DOMAINS, SCALE_CVR, email_for, random_name, random_phone
from tenancy.models import ChangeRecord, Lease, Organisation, Person, Unit

BATCH = 5000
MARK = "-89"  # lease-number suffix of the bench's former leases


class Command(BaseCommand):
    help = "Benchmark: retention run anonymising N former tenants on the scale portfolio."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=50_000)
        parser.add_argument("--units", type=int, default=100_000, help="seed_scale size if none")
        parser.add_argument("--batch", type=int, default=services.BATCH)

    def handle(self, *args, people: int, units: int, batch: int, **options):
        out = self.stdout.write
        out(f"load average before {os.getloadavg()}")
        org = Organisation.objects.filter(cvr=SCALE_CVR).first()
        if org is None:
            call_command("seed_scale", units=units, stdout=self.stdout)
            org = Organisation.objects.get(cvr=SCALE_CVR)
        free = Unit.objects.filter(organisation=org).exclude(leases__number__endswith=MARK)
        if free.count() < people:
            raise CommandError(f"Only {free.count()} units without a bench lease; use --units.")
        t0 = time.perf_counter()
        ids = self.add_former_tenants(org, list(free.values_list("pk", flat=True)[:people]))
        out(f"added {len(ids)} former tenants in {time.perf_counter() - t0:.1f} s")

        with transaction.atomic():
            t0 = time.perf_counter()
            for start in range(0, len(ids), BATCH):
                Person.objects.filter(pk__in=ids[start : start + BATCH]).update(name="x")
            baseline = time.perf_counter() - t0
            transaction.set_rollback(True)
        out(f"baseline: UPDATE of {len(ids)} person rows {baseline:.2f} s (rolled back)")

        t0 = time.perf_counter()
        rows = {r.rule.key: r.count for r in services.preview(organisation=org, sample=0)}
        out(f"preview: {rows} in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        run = services.run_create(organisation=org)
        out(f"run created (total {run.total}) in {time.perf_counter() - t0:.2f} s")
        wall0, cpu0 = time.perf_counter(), time.process_time()
        run = services.run_process(run_id=run.pk, batch=batch)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        done = run.counts.get("tenants", 0)
        out(
            f"run: {run.get_status_display()}, {done} people anonymised, kept {run.failed}, "
            f"counts {run.counts}"
        )
        out(
            f"  {wall:.1f} s wall ({wall / 60:.2f} min), {done / wall:.0f} people/s, "
            f"CPU {cpu * 1000 / max(done, 1):.2f} ms/person (this process), "
            f"ratio to baseline {wall / baseline:.0f}x"
        )
        left = Person.objects.filter(pk__in=ids, anonymised_at__isnull=True).count()
        out(f"  not anonymised afterwards: {left}")
        t0 = time.perf_counter()
        again = services.run_process(run_id=services.run_create(organisation=org).pk)
        out(
            f"second run: total {again.total}, done {again.done} in "
            f"{time.perf_counter() - t0:.2f} s"
        )
        out(f"load average after {os.getloadavg()}")
        if left or again.done or wall > 300:
            raise CommandError("retention run missed people, redid work or took over 5 minutes")

    def add_former_tenants(self, org: Organisation, unit_ids: list[int]) -> list[int]:
        """One person per unit with a lease 1985-1989, written in bulk (no services: they
        are far too slow for this many), with a change record naming the person."""
        rng = random.Random(15)  # noqa: S311 - test data
        now = timezone.now()
        person_type = ContentType.objects.get_for_model(Person)
        ids: list[int] = []
        for start in range(0, len(unit_ids), BATCH):
            chunk = unit_ids[start : start + BATCH]
            people = []
            for n in range(start, start + len(chunk)):
                birth = (
                    f"{rng.randrange(1, 29):02d}{rng.randrange(1, 13):02d}{rng.randrange(40, 66)}"
                )
                cpr = f"{birth}{(n * 7 + 1) % 10000:04d}"
                male = n % 2 == 1
                name = random_name(rng, male=male)
                person = Person(
                    organisation=org,
                    name=name,
                    email=email_for(name, n, EMAIL_DOMAINS[n % len(EMAIL_DOMAINS)]),
                    phone=random_phone(rng),
                    created_at=now,
                )
                person.cpr_encrypted = crypto.encrypt(cpr)
                person.cpr_hash = crypto.search_hash(cpr)
                person.cpr_masked = f"{cpr[:6]}-xxxx"
                people.append(person)
            with transaction.atomic():
                Person.objects.bulk_create(people, batch_size=1000)
                leases = [
                    Lease(
                        organisation=org,
                        unit_id=unit_id,
                        number=f"{unit_id:07d}{MARK}",
                        holder_type="tenant",
                        start_date=date(1985, 1, 1),
                        end_date=date(1989, 12, 31),
                        end_reason="Fraflytning",
                        status=LeaseStatus.ENDED,
                        rent=Decimal("5000.00"),
                    )
                    for unit_id in chunk
                ]
                Lease.objects.bulk_create(leases, batch_size=1000)
                Lease.parties.through.objects.bulk_create(
                    [
                        Lease.parties.through(lease_id=lease.pk, person_id=person.pk)
                        for lease, person in zip(leases, people, strict=True)
                    ],
                    batch_size=1000,
                )
                records = ChangeRecord.objects.bulk_create(
                    [
                        ChangeRecord(
                            organisation=org,
                            content_type=person_type,
                            object_id=p.pk,
                            object_repr=p.name,
                            action="create",
                            after={
                                "name": p.name,
                                "email": p.email,
                                "phone": p.phone,
                                "cpr_masked": p.cpr_masked,
                            },
                        )
                        for p in people
                    ],
                    batch_size=1000,
                )
                ChangeRecord.people.through.objects.bulk_create(
                    [
                        ChangeRecord.people.through(changerecord_id=r.pk, person_id=p.pk)
                        for r, p in zip(records, people, strict=True)
                    ],
                    batch_size=1000,
                )
            ids += [p.pk for p in people]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tenancy_person, tenancy_lease, tenancy_changerecord")
        return ids

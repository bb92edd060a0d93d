"""`manage.py seed_scale --units N`: a sector-sized portfolio for benchmarks.

One organisation, "Landsdækkende Boligselskab (skala)" (almen, registered for CPR), with N
units (up to 600,000 and beyond), ~8 units per entrance, ~1.2 people per unit, an active
lease on ~95% of units and an earlier, ended lease on ~10%. A caseworker `bench`
(password "demo") is a member.

The services are far too slow for this (history rows, one transaction per call), so rows are
written in bulk with every field the services would fill: denormalised organisation,
search_text (normalise_search exactly as build_search_text), encrypted CPR + keyed hash +
masked form (Person.set_cpr), birth date from the CPR, lease numbers as the services number
them, status consistent with end_date. No change history is written for these rows.

PostgreSQL: ids are reserved from the tables' sequences, so related rows are written without
round trips, and units, entrances, people, leases and lease parties go in with COPY. SQLite:
bulk_create in batches. Everything runs in one transaction: a failure leaves nothing behind.
"""

import random
import time
import types
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import HeatingForm, LeaseStatus, LettingCode, OrganisationKind, Role
from tenancy.demo_data import (
    DEMO_PASSWORD,
    EMAIL_DOMAINS,
    SCALE_CVR,
    SCALE_MUNICIPALITIES,
    SCALE_ORGANISATION_NAME,
    SCALE_STREET_STEMS,
    SCALE_STREET_SUFFIXES,
    email_for,
    random_name,
    random_phone,
    seeded_uuid,
)
from tenancy.models import (
    Building,
    ChangeRecord,
    Department,
    Entrance,
    Lease,
    Membership,
    Organisation,
    Person,
    Property,
    Unit,
    normalise_search,
)

BENCH_USERNAME = "bench"

# Portfolio shape: units per entrance cycle through these (mean 8); every 20th entrance is
# student housing with numbered doors. 4 entrances per building, 5 buildings per property,
# 10 properties per department.
ENTRANCE_SIZES = (8, 10, 6, 8, 8, 8, 6, 10)
FLOOR_DOORS = {
    n: [(f, d) for f in ("st", "1", "2", "3", "4")[: n // 2] for d in ("tv", "th")]
    for n in (6, 8, 10)
}
STUDENT_FLOOR_DOORS = [(f, str(d)) for f in ("1", "2") for d in range(1, 5)]
ENTRANCES_PER_BUILDING = 4
BUILDINGS_PER_PROPERTY = 5
PROPERTIES_PER_DEPARTMENT = 10
ENTRANCES_PER_PROPERTY = ENTRANCES_PER_BUILDING * BUILDINGS_PER_PROPERTY
ENTRANCES_PER_DEPARTMENT = ENTRANCES_PER_PROPERTY * PROPERTIES_PER_DEPARTMENT
HOUSES_PER_STREET = 40  # a multiple of ENTRANCES_PER_PROPERTY: a property is on one street
FIRST_SCALE_ROAD_CODE = 9000  # road codes below this are left to the demo and real data

VACANT_SHARE = 0.05
PREVIOUS_LEASE_SHARE = 0.10
TWO_PARTIES_SHARE = 0.15
PROTECTED_SHARE = 0.03

STREET_NAMES = [stem + suffix for suffix in SCALE_STREET_SUFFIXES for stem in SCALE_STREET_STEMS]
AREAS = [Decimal(f"{half / 2:.2f}") for half in range(0, 300)]


class PhaseTimer:
    """Wall-clock seconds per phase, summed over batches."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, phase: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - t0

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started


# --- writers ----------------------------------------------------------------------------


class _Columns:
    """Column order and per-field defaults of a model, so rows give only what varies and
    a field another app adds later still gets its model default."""

    def __init__(self, model, rows_have_pk: bool):
        self.model = model
        fields = [f for f in model._meta.concrete_fields if rows_have_pk or not f.primary_key]
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        # Plain str, not TextChoices members, for the COPY adapters.
        self.defaults = {
            f.attname: str(d) if isinstance(d := f.get_default(), str) else d for f in fields
        }
        self.nullable = {f.attname for f in fields if f.null or f.primary_key}

    def tuples(self, rows: list[dict]):
        attnames, defaults = self.attnames, self.defaults
        if rows:
            missing = [
                a
                for a in attnames
                if a not in rows[0] and defaults[a] is None and a not in self.nullable
            ]
            if missing:
                raise CommandError(f"{self.model.__name__}: mangler værdi for {missing}")
        for row in rows:
            yield tuple([row[a] if a in row else defaults[a] for a in attnames])


class CopyWriter:
    """PostgreSQL: COPY ... FROM STDIN (psycopg 3) and ids reserved from the sequences."""

    def __init__(self):
        self._columns: dict = {}
        self._sequences: dict = {}

    def reserve_ids(self, model, count: int) -> list[int]:
        if not count:
            return []
        with connection.cursor() as cursor:
            if model not in self._sequences:
                # Looked up once: pg_get_serial_sequence per row costs 8x the nextval.
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
                self._sequences[model] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [self._sequences[model], count],
            )
            return [row[0] for row in cursor.fetchall()]

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        key = (model, "id" in rows[0])
        cols = self._columns.get(key) or self._columns.setdefault(key, _Columns(model, key[1]))
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in cols.columns),
        )
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for values in cols.tuples(rows):
                copy.write_row(values)

    def finish(self, models) -> None:
        """Nothing to do: ids came from the sequences."""

    def analyze(self, models) -> None:
        # VACUUM (not only ANALYZE): it sets the visibility map, so counts and index-only
        # scans don't visit every freshly loaded heap page (what autovacuum would do later).
        with connection.cursor() as cursor:
            for model in models:
                table = connection.ops.quote_name(model._meta.db_table)
                if connection.in_atomic_block:
                    cursor.execute(f"ANALYZE {table}")
                else:
                    cursor.execute(f"VACUUM (ANALYZE) {table}")


class BulkWriter:
    """Other databases (SQLite): bulk_create in batches with explicit ids. The transaction
    holds the write lock, so max(id) + 1 onwards is ours."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.next_id: dict = {}

    def reserve_ids(self, model, count: int) -> list[int]:
        if model not in self.next_id:
            top = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_id[model] = (top or 0) + 1
        start = self.next_id[model]
        self.next_id[model] = start + count
        return list(range(start, start + count))

    def write(self, model, rows: list[dict]) -> None:
        model.objects.bulk_create([model(**row) for row in rows], batch_size=self.batch_size)

    def finish(self, models) -> None:
        pass

    def analyze(self, models) -> None:
        """SQLite plans well enough without statistics; skipped to keep tests quick."""


# --- the command ------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Indlæs en landsdækkende skala-portefølje til benchmarks (op til 600.000 enheder)."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True, help="Antal enheder.")
        parser.add_argument(
            "--batch", type=int, default=20_000, help="Enheder pr. skrivebatch (hukommelse)."
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Slet skala-organisationens data først, hvis den findes.",
        )
        parser.add_argument("--seed", type=int, default=600, help="Seed for tilfældige data.")

    def handle(self, *args, units: int, batch: int, replace: bool, seed: int, **options):
        if units < 1:
            raise CommandError("--units skal være mindst 1.")
        if batch < 100:
            raise CommandError("--batch skal være mindst 100.")
        existing = Organisation.objects.filter(cvr=SCALE_CVR).first()
        if existing and not replace:
            count = Unit.objects.filter(organisation=existing).count()
            raise CommandError(
                f"Skala-organisationen findes allerede ({count} enheder). "
                "Brug --replace for at slette dens data og indlæse igen."
            )
        timer = PhaseTimer()
        postgres = connection.vendor == "postgresql"
        writer = CopyWriter() if postgres else BulkWriter(batch_size=min(batch, 5000))
        with transaction.atomic():
            if existing:
                with timer("sletning"):
                    deleted = delete_organisation_data(existing)
                self.stdout.write(f"Slettede {deleted} rækker fra den gamle skala-portefølje.")
            with timer("organisation"):
                organisation = ensure_organisation(existing, units=units)
            loader = ScaleLoader(
                organisation=organisation,
                writer=writer,
                timer=timer,
                rng=random.Random(seed),
            )
            loader.load(units=units, batch=batch, progress=self.progress)
            commit_started = time.perf_counter()
        timer.seconds["commit"] += time.perf_counter() - commit_started
        with timer("analyze"):
            writer.analyze(LOADED_MODELS)
        self.report(timer, loader, postgres)

    def progress(self, done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed else 0
        self.stdout.write(f"  {done:>9,} / {total:,} enheder  ({rate:,.0f} enheder/s)")

    def report(self, timer: PhaseTimer, loader: "ScaleLoader", postgres: bool) -> None:
        total = timer.total
        c = loader.counts
        self.stdout.write(
            f"Skala-portefølje indlæst ({'PostgreSQL COPY' if postgres else 'bulk_create'}): "
            f"{c['departments']} afdelinger, {c['properties']} ejendomme, "
            f"{c['buildings']} bygninger, {c['entrances']} opgange, {c['units']} enheder, "
            f"{c['people']} personer, {c['leases']} lejemål ({c['ended']} ophørte), "
            f"{c['parties']} lejer-tilknytninger."
        )
        for phase, seconds in sorted(timer.seconds.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {phase:<14} {seconds:8.1f} s")
        self.stdout.write(
            f"I alt {total:.1f} s – {c['units'] / total:,.0f} enheder/s. "
            f"Bruger '{BENCH_USERNAME}' (adgangskode: {DEMO_PASSWORD}) er sagsbehandler."
        )


LOADED_MODELS = [
    Department,
    Property,
    Building,
    Entrance,
    Unit,
    Person,
    Lease,
    Lease.parties.through,
]


def ensure_organisation(existing: Organisation | None, *, units: int) -> Organisation:
    """The scale organisation and its bench caseworker."""
    if existing:
        organisation = existing
        organisation.dwellings_owned = units
        organisation.save(update_fields=["dwellings_owned"])
    else:
        organisation = Organisation.objects.create(
            name=SCALE_ORGANISATION_NAME,
            cvr=SCALE_CVR,
            kind=OrganisationKind.NONPROFIT,
            dwellings_owned=units,
            cpr_service_registered=True,
            cpr_service_registered_since=date(2020, 1, 1),
        )
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "Benchmark", "last_name": "Bruger"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": Role.CASEWORKER}
    )
    return organisation


# Deleted with plain SQL, children first. Everything else that points at these rows (other
# apps' lookups, filings, ...) is deleted through the ORM first, so its own cascades apply.
CORE_MODELS = [
    ChangeRecord,
    Lease,
    Person,
    Unit,
    Entrance,
    Building,
    Property,
    Department,
]


def delete_organisation_data(organisation: Organisation) -> int:
    """Delete the organisation's portfolio, people, leases and history (not the organisation,
    its memberships, or rows that only point at the organisation itself). Returns rows
    deleted from the core tables."""
    _delete_dependants(organisation)
    t = _table
    in_org = "WHERE organisation_id = %s"
    # Table names come from model metadata, values are parameters: no injection vector.
    statements = [
        f"DELETE FROM {t(Lease.parties.through)} WHERE lease_id IN "  # noqa: S608
        f"(SELECT id FROM {t(Lease)} {in_org})",
        f"DELETE FROM {t(ChangeRecord.people.through)} WHERE changerecord_id IN "  # noqa: S608
        f"(SELECT id FROM {t(ChangeRecord)} {in_org})",
        f"UPDATE {t(Unit)} SET letting_reference_id = NULL {in_org}",  # noqa: S608
        f"UPDATE {t(Building)} SET letting_reference_id = NULL {in_org}",  # noqa: S608
    ]
    statements += [f"DELETE FROM {t(m)} {in_org}" for m in CORE_MODELS]  # noqa: S608
    deleted = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, [organisation.pk])
            if sql.startswith("DELETE") and cursor.rowcount > 0:
                deleted += cursor.rowcount
    return deleted


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _delete_dependants(organisation: Organisation) -> None:
    """Rows of other models that point at the organisation's core rows, deleted with the
    ORM. Passes repeat because one may PROTECT another that a later pass removes."""
    core = set(CORE_MODELS)
    internal = {Lease.parties.through, ChangeRecord.people.through}
    querysets = []
    for model in apps.get_models(include_auto_created=True):
        if model in core or model in internal:
            continue
        condition = Q()
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in core:
                condition |= Q(**{f"{field.name}__organisation": organisation})
        if condition:
            querysets.append(model._base_manager.filter(condition))
    from django.db.models import ProtectedError, RestrictedError

    for _ in range(len(querysets) + 1):
        remaining = []
        for qs in querysets:
            try:
                with transaction.atomic():
                    qs.delete()
            except (ProtectedError, RestrictedError):
                remaining.append(qs)
        if not remaining:
            return
        querysets = remaining
    raise CommandError("Kunne ikke slette data, der henviser til skala-porteføljen.")


# --- the loader -------------------------------------------------------------------------


class ScaleLoader:
    """Generates and writes the portfolio batch by batch, so memory stays flat."""

    def __init__(self, *, organisation: Organisation, writer, timer: PhaseTimer, rng):
        self.org_id = organisation.pk
        self.writer = writer
        self.timer = timer
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.counts: dict[str, int] = defaultdict(int)
        self.entrance_index = 0
        self.department_ids: dict[int, int] = {}
        self.property_ids: dict[int, int] = {}
        self.building_ids: dict[int, int] = {}
        self.cpr_counter: dict[int, int] = defaultdict(int)
        self.holder = types.SimpleNamespace()
        self.email_n = 0
        self.birth_first = date(1935, 1, 1).toordinal()
        self.birth_last = date(2004, 12, 31).toordinal()
        self.lease_first = date(1995, 1, 1).toordinal()

    def load(self, *, units: int, batch: int, progress) -> None:
        done = 0
        started = time.perf_counter()
        while done < units:
            plan = self.plan_entrances(min(batch, units - done))
            self.write_batch(plan)
            done += sum(size for _e, size in plan)
            progress(done, units, time.perf_counter() - started)

    # -- planning ------------------------------------------------------------------------

    def plan_entrances(self, units: int) -> list[tuple[int, int]]:
        """(entrance index, unit count) for the next batch, the last one trimmed to fit."""
        plan = []
        while units > 0:
            e = self.entrance_index
            size = 8 if self.is_student(e) else ENTRANCE_SIZES[e % len(ENTRANCE_SIZES)]
            size = min(size, units)
            plan.append((e, size))
            units -= size
            self.entrance_index += 1
        return plan

    @staticmethod
    def is_student(e: int) -> bool:
        return e % 20 == 19

    def ensure_hierarchy(self, plan: list[tuple[int, int]]) -> None:
        """Departments, properties and buildings needed by the batch (plain bulk_create:
        at most a few thousand rows per run)."""
        rng = self.rng
        buildings = sorted({e // ENTRANCES_PER_BUILDING for e, _s in plan} - set(self.building_ids))
        properties = sorted(
            {b // BUILDINGS_PER_PROPERTY for b in buildings} - set(self.property_ids)
        )
        departments = sorted(
            {p // PROPERTIES_PER_DEPARTMENT for p in properties} - set(self.department_ids)
        )
        created = Department.objects.bulk_create(
            [
                Department(
                    organisation_id=self.org_id,
                    number=f"{d + 1:04d}",
                    name=f"{self.street(d * ENTRANCES_PER_DEPARTMENT)[0]} {d + 1}",
                )
                for d in departments
            ]
        )
        self.department_ids.update(zip(departments, (x.pk for x in created), strict=True))
        created = Property.objects.bulk_create(
            [
                Property(
                    organisation_id=self.org_id,
                    department_id=self.department_ids[p // PROPERTIES_PER_DEPARTMENT],
                    name=f"Ejendom {p + 1}",
                    bfe_number=1_000_000 + p,
                    municipality_code=self.street(p * ENTRANCES_PER_PROPERTY)[2],
                )
                for p in properties
            ]
        )
        self.property_ids.update(zip(properties, (x.pk for x in created), strict=True))
        created = Building.objects.bulk_create(
            [
                Building(
                    organisation_id=self.org_id,
                    property_id=self.property_ids[b // BUILDINGS_PER_PROPERTY],
                    bbr_id=seeded_uuid(rng),
                    number=b % BUILDINGS_PER_PROPERTY + 1,
                )
                for b in buildings
            ]
        )
        self.building_ids.update(zip(buildings, (x.pk for x in created), strict=True))
        self.counts["departments"] += len(departments)
        self.counts["properties"] += len(properties)
        self.counts["buildings"] += len(buildings)

    @staticmethod
    def street(e: int) -> tuple[str, str, str, str, str]:
        """(street name, road code, municipality code, postcode, city) of entrance e.
        Streets of HOUSES_PER_STREET entrances, dealt round the municipalities."""
        road = e // HOUSES_PER_STREET
        municipality, postcode, city = SCALE_MUNICIPALITIES[road % len(SCALE_MUNICIPALITIES)]
        n = road // len(SCALE_MUNICIPALITIES)
        name = STREET_NAMES[n % len(STREET_NAMES)]
        if n >= len(STREET_NAMES):
            name = f"{name} {n // len(STREET_NAMES) + 1}"
        return name, f"{FIRST_SCALE_ROAD_CODE + n:04d}", municipality, postcode, city

    # -- one batch -----------------------------------------------------------------------

    def write_batch(self, plan: list[tuple[int, int]]) -> None:
        rng, timer, writer, org_id = self.rng, self.timer, self.writer, self.org_id
        with timer("hierarki"):
            self.ensure_hierarchy(plan)
        n_units = sum(size for _e, size in plan)
        with timer("id-reservation"):
            entrance_ids = writer.reserve_ids(Entrance, len(plan))
            unit_ids = writer.reserve_ids(Unit, n_units)

        with timer("generering"):
            entrances, units, unit_meta = [], [], []
            u = 0
            for (e, size), entrance_id in zip(plan, entrance_ids, strict=True):
                street, road_code, municipality, postcode, city = self.street(e)
                house_number = str(2 * (e % HOUSES_PER_STREET) + 1)
                entrance_search = normalise_search(f"{street} {house_number}")
                entrances.append(
                    {
                        "id": entrance_id,
                        "organisation_id": org_id,
                        "building_id": self.building_ids[e // ENTRANCES_PER_BUILDING],
                        "dar_id": seeded_uuid(rng),
                        "street_name": street,
                        "house_number": house_number,
                        "postcode": postcode,
                        "city": city,
                        "municipality_code": municipality,
                        "road_code": road_code,
                        "search_text": entrance_search,
                    }
                )
                student = self.is_student(e)
                floor_doors = (
                    STUDENT_FLOOR_DOORS
                    if student
                    else FLOOR_DOORS[ENTRANCE_SIZES[e % len(ENTRANCE_SIZES)]]
                )
                for floor, door in floor_doors[:size]:
                    unit_id = unit_ids[u]
                    u += 1
                    if student:
                        area, rooms = AREAS[rng.randrange(36, 64)], 1
                    else:
                        rooms = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
                        area = AREAS[rng.randrange(2 * (30 + rooms * 14), 2 * (50 + rooms * 18))]
                    vacant = rng.random() < VACANT_SHARE
                    units.append(
                        {
                            "id": unit_id,
                            "organisation_id": org_id,
                            "entrance_id": entrance_id,
                            "dar_id": seeded_uuid(rng),
                            "floor": floor,
                            "door": door,
                            "bbr_unit_id": seeded_uuid(rng),
                            "use_code": 150 if student else 140,
                            "area_m2": area,
                            "rooms": rooms,
                            "letting_code": LettingCode.VACANT.value if vacant else "",
                            "letting_reference_id": None,
                            # Same text as Unit.build_search_text().
                            "search_text": normalise_search(
                                f"{street} {house_number} {floor} {door}"
                            ),
                        }
                    )
                    unit_meta.append((unit_id, area, student, vacant, floor))

            # Leases and their parties, people created alongside (ids assigned below).
            leases, party_counts = [], []
            for unit_id, area, student, vacant, floor in unit_meta:
                previous = rng.random() < PREVIOUS_LEASE_SHARE
                if not previous and vacant:
                    continue
                if previous:
                    old_start = self.month_start(self.lease_first, date(2014, 12, 1).toordinal())
                    if vacant:  # moved out within the last year, not re-let yet
                        end = self.month_start(
                            (self.today - timedelta(days=330)).toordinal(),
                            self.today.toordinal(),
                        ) - timedelta(days=1)
                        new_start = None
                    else:
                        new_start = self.month_start(
                            old_start.toordinal() + 400,
                            (self.today - timedelta(days=60)).toordinal(),
                        )
                        end = new_start - timedelta(days=1)
                    leases.append(self.lease_row(unit_id, 1, area, student, floor, old_start, end))
                    party_counts.append(1 + (rng.random() < TWO_PARTIES_SHARE and not student))
                    if new_start is None:
                        continue
                    number, start = 2, new_start
                else:
                    number = 1
                    start = self.month_start(
                        date(2018, 1, 1).toordinal() if student else self.lease_first,
                        (self.today - timedelta(days=30)).toordinal(),
                    )
                leases.append(self.lease_row(unit_id, number, area, student, floor, start, None))
                party_counts.append(1 + (rng.random() < TWO_PARTIES_SHARE and not student))

        n_people = sum(party_counts)
        with timer("id-reservation"):
            lease_ids = writer.reserve_ids(Lease, len(leases))
            person_ids = writer.reserve_ids(Person, n_people)
        with timer("generering"):
            people, parties = [], []
            p = 0
            for lease, lease_id, count in zip(leases, lease_ids, party_counts, strict=True):
                lease["id"] = lease_id
                for _ in range(count):
                    person = self.person_row(person_ids[p], lease["start_date"])
                    people.append(person)
                    parties.append({"lease_id": lease_id, "person_id": person_ids[p]})
                    p += 1
        with timer("kryptering"):
            for person in people:
                Person.set_cpr(self.holder, person.pop("cpr"))
                person["cpr_encrypted"] = self.holder.cpr_encrypted
                person["cpr_hash"] = self.holder.cpr_hash
                person["cpr_masked"] = self.holder.cpr_masked

        for phase, model, rows in (
            ("opgange", Entrance, entrances),
            ("enheder", Unit, units),
            ("personer", Person, people),
            ("lejemål", Lease, leases),
            ("lejere", Lease.parties.through, parties),
        ):
            with timer(phase):
                writer.write(model, rows)
        self.counts["entrances"] += len(entrances)
        self.counts["units"] += len(units)
        self.counts["people"] += len(people)
        self.counts["leases"] += len(leases)
        self.counts["ended"] += sum(1 for x in leases if x["end_date"] is not None)
        self.counts["parties"] += len(parties)

    def month_start(self, first: int, last: int) -> date:
        return date.fromordinal(self.rng.randrange(first, last + 1)).replace(day=1)

    def lease_row(self, unit_id, number, area, student, floor, start, end) -> dict:
        rng = self.rng
        rate = 1300 if student else rng.randrange(850, 1150)
        return {
            "organisation_id": self.org_id,
            "unit_id": unit_id,
            # Same format as tenancy.services._next_lease_number.
            "number": f"{unit_id:07d}-{number:02d}",
            "holder_type": "tenant",
            "start_date": start,
            "end_date": end,
            "end_reason": "Fraflytning" if end else "",
            "status": LeaseStatus.ENDED.value if end else LeaseStatus.ACTIVE.value,
            "rent": Decimal(round(area * rate / 12)),
            "heating_aconto": Decimal(int(area) * rng.randrange(8, 14) // 5 * 5),
            "water_aconto": Decimal(rng.randrange(30, 70) * 5),
            "heating_form": HeatingForm.DISTRICT.value
            if rng.random() < 0.85
            else HeatingForm.GAS.value,
            "private_kitchen": not student or rng.random() < 0.5,
            "garage_carport": rng.random() < 0.05,
            "accessible": floor == "st" and rng.random() < 0.3,
            "student_room": student,
            "created_at": self.now,
        }

    def person_row(self, person_id: int, lease_start: date) -> dict:
        rng = self.rng
        last = min(self.birth_last, lease_start.toordinal() - 18 * 366)
        day = rng.randrange(self.birth_first, max(last, self.birth_first + 1))
        birth = date.fromordinal(day)
        cpr = self.unique_cpr(birth)
        male = int(cpr[-1]) % 2 == 1
        name = random_name(rng, male=male)
        email = ""
        if rng.random() < 0.4:
            self.email_n += 1
            email = email_for(name, self.email_n, EMAIL_DOMAINS[self.email_n % 3])
        return {
            "id": person_id,
            "organisation_id": self.org_id,
            "name": name,
            "birth_date": birth,
            "cpr": cpr,
            "email": email,
            "phone": random_phone(rng) if rng.random() < 0.6 else "",
            "protected": rng.random() < PROTECTED_SHARE,
            "created_at": self.now,
        }

    def unique_cpr(self, birth: date) -> str:
        """Unique per birth date: the n-th person born that day gets a serial from a
        permutation of the century's serial block (0000-3999 for 1900s, 4000-4999 for
        2000-2036), so numbers never repeat within a run."""
        ordinal = birth.toordinal()
        n = self.cpr_counter[ordinal]
        self.cpr_counter[ordinal] = n + 1
        if n >= (4000 if birth.year < 2000 else 1000):
            raise CommandError("For mange personer med samme fødselsdato til unikke CPR-numre.")
        if birth.year < 2000:
            serial = (n * 7919 + ordinal) % 4000
        else:
            serial = 4000 + (n * 7919 + ordinal) % 1000
        return f"{birth:%d%m%y}{serial:04d}"

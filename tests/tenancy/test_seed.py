"""seed_demo and seed_scale build what they promise, consistently with the services.

The seed_scale tests run on whatever database the suite runs on: SQLite (bulk_create) by
default, PostgreSQL (COPY with reserved ids) when DATABASE_URL points there, as in CI.
"""

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from stdnum.dk import cvr as stdnum_cvr

from core import crypto
from core.cpr import cpr_birth_date, validate_cpr
from tenancy import services
from tenancy.choices import LeaseStatus, LettingCode, Role
from tenancy.demo_data import (
    DEMO_ORGANISATIONS,
    SCALE_CVR,
    cpr_passes_modulus11,
    make_cpr,
)
from tenancy.hooks import CprBasis
from tenancy.models import (
    ChangeRecord,
    Entrance,
    Lease,
    Membership,
    Organisation,
    Person,
    Unit,
)

DEMO_CVRS = [o.cvr for o in DEMO_ORGANISATIONS]


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def _digits(person: Person) -> str:
    return person.reveal_cpr().replace("-", "")


def assert_people_consistent(people) -> None:
    seen = set()
    for person in people:
        cpr = _digits(person)
        validate_cpr(cpr)
        assert crypto.search_hash(cpr) == person.cpr_hash
        assert person.cpr_masked == f"{cpr[:6]}-xxxx"
        assert person.birth_date == cpr_birth_date(cpr)
        assert cpr not in seen, "CPR numbers must be unique"
        seen.add(cpr)


def assert_leases_consistent(leases) -> None:
    by_unit = defaultdict(list)
    for lease in leases:
        by_unit[lease.unit_id].append(lease)
        # Ended once the end date has passed; a lease given notice stays active until then
        # ("Aktiv til 31.12.2026": the demo's vacancies come from such leases).
        today = timezone.localdate()
        assert (lease.status == LeaseStatus.ENDED) == (
            lease.end_date is not None and lease.end_date < today
        )
        assert lease.organisation_id == lease.unit.organisation_id
        parties = list(lease.parties.all())  # prefetched by the callers
        assert parties
        assert all(p.organisation_id == lease.organisation_id for p in parties)
    numbers = [lease.number for lease in leases]
    assert len(numbers) == len(set(numbers))
    for unit_id, unit_leases in by_unit.items():
        unit_leases.sort(key=lambda x: x.start_date)
        for n, lease in enumerate(unit_leases, start=1):
            # The numbering of tenancy.services.leases._next_lease_number.
            assert lease.number == f"{unit_id:07d}-{n:02d}"
        for earlier, later in itertools.pairwise(unit_leases):
            assert earlier.end_date is not None
            assert earlier.end_date < later.start_date, f"overlapping leases on unit {unit_id}"


def assert_portfolio_consistent(organisation) -> None:
    units = Unit.objects.filter(organisation=organisation).select_related(
        "entrance__building__property"
    )
    for unit in units:
        entrance = unit.entrance
        assert unit.organisation_id == entrance.organisation_id
        assert entrance.organisation_id == entrance.building.organisation_id
        assert entrance.building.organisation_id == entrance.building.property.organisation_id
        assert unit.search_text == unit.build_search_text()
        assert entrance.search_text == entrance.build_search_text()
        unit.clean_fields()  # DAR floor/door and house-number formats
        entrance.clean_fields()


# --- helpers ----------------------------------------------------------------------------


def test_make_cpr_is_date_valid_with_and_without_modulus11():
    import random

    rng = random.Random(1)
    for birth in (date(1937, 2, 28), date(1999, 12, 31), date(2004, 6, 1)):
        good = make_cpr(rng, birth, male=True, modulus11=True)
        bad = make_cpr(rng, birth, male=False, modulus11=False)
        for cpr in (good, bad):
            validate_cpr(cpr)
            assert cpr_birth_date(cpr) == birth
        assert cpr_passes_modulus11(good)
        assert not cpr_passes_modulus11(bad)
        assert int(good[-1]) % 2 == 1
        assert int(bad[-1]) % 2 == 0


# --- seed_demo --------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_builds_a_consistent_danish_demo_and_is_idempotent(client):
    out = run("seed_demo")
    assert "Demodata oprettet" in out

    orgs = {o.cvr: o for o in Organisation.objects.filter(cvr__in=DEMO_CVRS)}
    assert len(orgs) == 3
    almene = [o for o in orgs.values() if o.kind == "almen"]
    private = [o for o in orgs.values() if o.kind == "private"]
    assert len(almene) == 2
    assert len(private) == 1
    for org in orgs.values():
        stdnum_cvr.validate(org.cvr)
        assert org.dwellings_owned == Unit.objects.filter(organisation=org).count()
    for org in almene:
        assert org.cpr_service_registered
        assert org.cpr_service_registered_since is not None
    assert not private[0].cpr_service_registered
    assert private[0].dwellings_owned == 8  # not eligible for CPR lookups (≤ 10)

    demo = list(orgs.values())
    entrances = Entrance.objects.filter(organisation__in=demo)
    assert 40 <= entrances.count() <= 60
    assert {"0101", "0751", "0461"} <= set(entrances.values_list("municipality_code", flat=True))
    units = Unit.objects.filter(organisation__in=demo)
    assert 350 <= units.count() <= 450
    assert units.filter(use_code=150).exists()
    assert units.filter(floor="st", door="tv").exists()
    assert units.filter(floor="kl").exists()
    assert units.filter(door="mf").exists()
    for org in demo:
        assert_portfolio_consistent(org)

    vacant = units.filter(letting_code=LettingCode.VACANT)
    assert vacant.exists()
    assert not Lease.objects.filter(unit__in=vacant, status=LeaseStatus.ACTIVE).exists()
    assert units.filter(letting_code=LettingCode.OWNER).exists()
    h_units = units.filter(letting_code=LettingCode.ELSEWHERE)
    assert h_units.exists()
    for unit in h_units:
        assert unit.letting_reference.organisation_id == unit.organisation_id

    people = Person.objects.filter(organisation__in=demo)
    assert 420 <= people.count() <= 560
    protected = people.filter(protected=True).count()
    assert 0.01 * people.count() <= protected <= 0.06 * people.count()
    assert_people_consistent(people)
    assert any(not cpr_passes_modulus11(_digits(p)) for p in people)
    assert people.exclude(email="").exists()
    assert people.exclude(phone="").exists()

    leases = (
        Lease.objects.filter(organisation__in=demo)
        .select_related("unit")
        .prefetch_related("parties")
    )
    assert_leases_consistent(leases)
    active = leases.filter(status=LeaseStatus.ACTIVE).count()
    assert active >= 0.9 * (units.count() - vacant.count() - h_units.count() - 3)
    assert leases.filter(status=LeaseStatus.ENDED).count() >= 30
    assert leases.filter(holder_type="member").exists()
    assert leases.annotate(n=Count("parties")).filter(n=2).exists()
    # Tenant changes: an ended lease followed by a new one the day after.
    starts = {(lease.unit_id, lease.start_date) for lease in leases}
    changes = [
        lease
        for lease in leases
        if lease.end_date and (lease.unit_id, lease.end_date + timedelta(days=1)) in starts
    ]
    assert len(changes) >= 10
    # Through the services: the history shows them.
    # (every end recorded, including the notices given for a future date)
    assert ChangeRecord.objects.filter(organisation__in=demo, action="end").count() == (
        leases.filter(end_date__isnull=False).count()
    )
    assert ChangeRecord.objects.filter(organisation__in=demo, action="create").count() > 1000

    User = get_user_model()
    for username in ("sagsbehandler", "cpr", "admin"):
        assert client.login(username=username, password="demo"), username
        client.logout()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert Membership.objects.filter(user=admin, role=Role.ORG_ADMIN).count() == 3
    caseworker = Membership.objects.filter(user__username="sagsbehandler")
    assert caseworker.count() == 2
    assert {m.organisation.kind for m in caseworker} == {"almen"}
    assert Membership.objects.get(user__username="cpr").role == Role.CPR_OFFICER

    counts = (units.count(), people.count(), leases.count(), ChangeRecord.objects.count())
    again = run("seed_demo")
    assert "findes allerede" in again
    assert counts == (
        units.count(),
        people.count(),
        leases.count(),
        ChangeRecord.objects.count(),
    )
    assert Organisation.objects.count() == 3


# --- seed_scale -------------------------------------------------------------------------


def _scale_organisation() -> Organisation:
    return Organisation.objects.get(cvr=SCALE_CVR)


@pytest.mark.django_db
def test_seed_scale_writes_consistent_data(client):
    out = run("seed_scale", units=200, batch=100)
    expected_path = "PostgreSQL COPY" if connection.vendor == "postgresql" else "bulk_create"
    assert expected_path in out
    assert "enheder/s" in out

    org = _scale_organisation()
    stdnum_cvr.validate(org.cvr)
    assert org.kind == "almen"
    assert org.cpr_service_registered
    assert org.dwellings_owned == 200

    units = Unit.objects.filter(organisation=org)
    assert units.count() == 200
    entrances = Entrance.objects.filter(organisation=org).count()
    assert 20 <= entrances <= 30  # ~8 units per entrance
    assert_portfolio_consistent(org)

    people = Person.objects.filter(organisation=org)
    assert 1.05 <= people.count() / 200 <= 1.35
    assert_people_consistent(people)

    leases = (
        Lease.objects.filter(organisation=org).select_related("unit").prefetch_related("parties")
    )
    assert_leases_consistent(leases)
    let_units = leases.filter(status=LeaseStatus.ACTIVE).values("unit").distinct().count()
    assert let_units >= 0.85 * 200
    ended = leases.filter(status=LeaseStatus.ENDED).count()
    assert 5 <= ended <= 40
    assert not leases.filter(
        unit__letting_code=LettingCode.VACANT, status=LeaseStatus.ACTIVE
    ).exists()

    assert client.login(username="bench", password="demo")
    assert Membership.objects.get(user__username="bench", organisation=org).role == (
        Role.CASEWORKER
    )


@pytest.mark.django_db
def test_seed_scale_data_works_with_the_services():
    run("seed_scale", units=120, batch=100)
    org = _scale_organisation()
    lease = Lease.objects.filter(organisation=org, status=LeaseStatus.ACTIVE).first()
    unit = lease.unit
    previous = Lease.objects.filter(unit=unit).count()
    services.lease_end(lease=lease, end_date=lease.start_date + timedelta(days=400))
    person = services.person_create(
        organisation=org,
        name="Ny Lejer",
        cpr="0101901234",
        cpr_basis=CprBasis(kind="consent", evidence="Samtykke"),
    )
    new = services.lease_create(
        unit=unit,
        parties=[person],
        start_date=lease.start_date + timedelta(days=401),
        rent=Decimal("5000"),
    )
    assert new.number == f"{unit.pk:07d}-{previous + 1:02d}"
    # New rows get ids after the reserved ones.
    assert new.pk > lease.pk
    assert person.pk > Person.objects.filter(organisation=org).exclude(pk=person.pk).latest("pk").pk


@pytest.mark.django_db
def test_seed_scale_refuses_existing_and_replace_reloads(unit):
    run("seed_scale", units=150, batch=100)
    org = _scale_organisation()
    # History and parties that point into the old portfolio must not block the replace.
    lease = Lease.objects.filter(organisation=org, status=LeaseStatus.ACTIVE).first()
    services.lease_end(lease=lease, end_date=lease.start_date + timedelta(days=30))

    with pytest.raises(CommandError, match="--replace"):
        run("seed_scale", units=100)
    assert Unit.objects.filter(organisation=org).count() == 150

    out = run("seed_scale", units=100, batch=100, replace=True)
    assert "Slettede" in out
    assert _scale_organisation().pk == org.pk
    assert Unit.objects.filter(organisation=org).count() == 100
    assert Organisation.objects.filter(cvr=SCALE_CVR).count() == 1
    assert not ChangeRecord.objects.filter(organisation=org).exists()
    assert_leases_consistent(
        Lease.objects.filter(organisation=org).select_related("unit").prefetch_related("parties")
    )
    assert_people_consistent(Person.objects.filter(organisation=org))
    assert Membership.objects.filter(user__username="bench", organisation=org).count() == 1
    # Other organisations are untouched.
    assert Unit.objects.filter(pk=unit.pk).exists()


@pytest.mark.django_db
def test_seed_scale_rejects_bad_arguments():
    with pytest.raises(CommandError, match="mindst 1"):
        run("seed_scale", units=0)
    assert not Organisation.objects.filter(cvr=SCALE_CVR).exists()

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core import crypto
from core.errors import DomainError
from tenancy import services
from tenancy.errors import TenantChangeError
from tenancy.history import history_for, history_scrub_person
from tenancy.models import Lease, Person
from tests.factories import BuildingFactory, UnitFactory, make_lease, make_person

pytestmark = pytest.mark.django_db


def test_person_cpr_is_encrypted_hashed_and_masked(organisation):
    person = make_person(organisation, cpr="170580-1234")
    raw = Person.objects.filter(pk=person.pk).values("cpr_encrypted", "cpr_hash", "cpr_masked")[0]
    assert "1705801234" not in raw["cpr_encrypted"]
    assert raw["cpr_hash"] == crypto.search_hash("1705801234")
    assert raw["cpr_masked"] == "170580-xxxx"
    assert person.reveal_cpr() == "170580-1234"
    assert person.birth_date == date(1980, 5, 17)


def test_cpr_failing_modulus_11_is_accepted(organisation):
    # 010190-1235 fails modulus 11 but is a valid CPR number since 2007.
    weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1]
    assert sum(w * int(d) for w, d in zip(weights, "0101901235", strict=True)) % 11 != 0
    person = make_person(organisation, cpr="010190-1235")
    assert person.birth_date == date(1990, 1, 1)


@pytest.mark.parametrize("bad", ["123", "3213901234", "abcdefghij", "010190-12345"])
def test_invalid_cpr_is_refused_with_field_message(organisation, bad):
    with pytest.raises(DomainError) as exc:
        make_person(organisation, cpr=bad)
    assert "cpr" in exc.value.message_dict
    assert Person.objects.count() == 0


def test_history_never_holds_cpr_in_clear(organisation):
    person = make_person(organisation, cpr="170580-1234")
    record = history_for(person).get()
    assert "1705801234" not in str(record.before) + str(record.after)
    assert record.after["cpr_masked"] == "170580-xxxx"
    assert "cpr_encrypted" not in record.after


def test_lease_lifecycle_end_and_reinstate(unit):
    lease = make_lease(unit)
    services.lease_end(lease=lease, end_date=date(2024, 6, 30), reason="Opsagt")
    lease.refresh_from_db()
    assert lease.status == "ended"
    assert lease.end_date == date(2024, 6, 30)
    services.lease_reinstate(lease=lease)
    lease.refresh_from_db()
    assert lease.status == "active"
    assert lease.end_date is None
    actions = list(history_for(lease).values_list("action", flat=True))
    assert actions == ["reinstate", "end", "create"]


def test_end_before_start_refused(unit):
    lease = make_lease(unit, start_date=date(2022, 1, 1))
    with pytest.raises(DomainError):
        services.lease_end(lease=lease, end_date=date(2021, 12, 31))
    lease.refresh_from_db()
    assert lease.status == "active"


def test_tenant_change_by_editing_is_refused(unit):
    lease = make_lease(unit)
    newcomer = make_person(unit.organisation, name="Ny Lejer")
    with pytest.raises(TenantChangeError) as exc:
        services.lease_update(lease=lease, parties=[newcomer])
    assert "afslut det gamle lejemål og opret et nyt" in str(exc.value)
    with pytest.raises(TenantChangeError):
        services.lease_update(lease=lease, start_date=date(2023, 1, 1))
    assert list(lease.parties.all()) != [newcomer]


def test_tenant_change_is_end_plus_new_lease(unit):
    old = make_lease(unit, start_date=date(2020, 1, 1))
    services.lease_end(lease=old, end_date=date(2024, 1, 31))
    new = make_lease(unit, start_date=date(2024, 2, 1))
    assert new.number != old.number
    assert Lease.objects.filter(unit=unit).count() == 2


def test_overlapping_lease_refused_by_service(unit):
    make_lease(unit, start_date=date(2020, 1, 1))
    with pytest.raises(DomainError) as exc:
        make_lease(unit, start_date=date(2024, 1, 1))
    assert "overlappe" in str(exc.value)


def test_overlap_refused_by_database_constraint(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    clash = Lease(
        organisation=unit.organisation,
        unit=unit,
        number="X-1",
        start_date=date(2021, 1, 1),
        rent=Decimal(1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save()
    assert Lease.objects.filter(unit=unit).get() == lease


def test_end_date_before_start_refused_by_database(unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Lease.objects.filter(pk=lease.pk).update(end_date=date(2019, 1, 1), status="ended")


def test_reinstate_refused_when_unit_relet(unit):
    old = make_lease(unit, start_date=date(2020, 1, 1))
    services.lease_end(lease=old, end_date=date(2024, 1, 31))
    make_lease(unit, start_date=date(2024, 2, 1))
    with pytest.raises(DomainError):
        services.lease_reinstate(lease=old)
    old.refresh_from_db()
    assert old.status == "ended"


def test_change_rent_records_before_and_after(unit):
    lease = make_lease(unit, rent=Decimal("6000.00"))
    services.lease_change_rent(
        lease=lease, rent=Decimal("6150.50"), effective_date=date(2025, 1, 1)
    )
    record = history_for(lease).first()
    assert record.action == "rent_change"
    assert record.before["rent"] == "6000.00"
    assert record.after["rent"] == "6150.50"


def test_parties_must_be_same_organisation(unit, other_organisation):
    stranger = make_person(other_organisation)
    with pytest.raises(DomainError):
        make_lease(unit, parties=[stranger])


def test_h_reference_rules(organisation):
    unit_a = UnitFactory(entrance__building__property__organisation=organisation)
    entrance = unit_a.entrance
    with pytest.raises(DomainError):
        services.unit_update(unit=unit_a, letting_code="H")  # H needs a reference
    building = BuildingFactory(property=entrance.building.property)
    with pytest.raises(DomainError) as exc:
        services.unit_update(unit=unit_a, letting_code="H", letting_reference=building)
    assert "aldrig mellem bygning og enhed" in str(exc.value)
    unit_b = services.unit_create(
        entrance=entrance,
        floor="st",
        door="th",
        area_m2=Decimal(50),
        rooms=2,
    )
    services.unit_update(unit=unit_a, letting_code="H", letting_reference=unit_b)
    unit_a.refresh_from_db()
    assert unit_a.letting_reference == unit_b
    with pytest.raises(DomainError):
        services.unit_update(unit=unit_b, letting_code="L", letting_reference=unit_a)


def test_h_reference_constraint_in_database(unit):
    from tenancy.models import Unit

    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(letting_code="H")


@pytest.mark.parametrize(
    ("field", "value"), [("floor", "100"), ("floor", "x"), ("door", "venstre")]
)
def test_dar_formats_validated(unit, field, value):
    with pytest.raises(DomainError):
        services.unit_update(unit=unit, **{field: value})


def test_history_scrub_removes_person_data(unit):
    person = make_person(unit.organisation, name="Karen Jensen", cpr="170580-1234")
    make_lease(unit, parties=[person])
    scrubbed = history_scrub_person(person=person)
    assert scrubbed == 2
    from tenancy.models import ChangeRecord

    dump = str(list(ChangeRecord.objects.values_list("before", "after", "object_repr")))
    assert "Karen Jensen" not in dump
    assert "170580" not in dump

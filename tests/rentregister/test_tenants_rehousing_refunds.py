"""Tenant identification (consent → CPR), rehousing, refunds (whole months), payout CPR."""

from datetime import date
from decimal import Decimal

import pytest

from core.errors import DomainError
from rentregister import selectors, services
from rentregister.models import Filing, FilingKind, Rehousing, RehousingStatus
from tenancy import services as tenancy_services
from tests.factories import make_lease, make_person
from tests.rentregister.fixtures_rent import make_rent_unit, push, rent_lease, rent_unit

pytestmark = pytest.mark.django_db
__all__ = ["push", "rent_lease", "rent_unit"]


# --- tenant identification --------------------------------------------------------------


def _sent_tenants(hlr_simulator, lease):
    status, body = hlr_simulator.api("GET", f"/api/v3/lejekontrakter/{lease.number}")
    assert status == 200
    return body["current"]["lease"]["tenants"]


def test_consent_sends_cpr_and_never_stores_it(organisation, rent_unit, push, hlr_simulator):
    person = make_person(organisation, cpr="170580-1234")
    services.filing_consent_give(person=person)
    lease = make_lease(rent_unit, parties=[person])
    filing = Filing.objects.get(lease=lease)
    assert "1705801234" not in str(filing.payload)
    assert filing.cpr_person_ids == [person.pk]
    assert filing.warnings == []
    push()
    assert _sent_tenants(hlr_simulator, lease) == [
        {"name": "Jens Hansen", "birth_date": "1980-05-17", "cpr": "1705801234"}
    ]


def test_without_consent_name_and_birth_date(organisation, rent_unit, push, hlr_simulator):
    person = make_person(organisation, cpr="170580-1234")
    lease = make_lease(rent_unit, parties=[person])
    push()
    assert _sent_tenants(hlr_simulator, lease) == [
        {"name": "Jens Hansen", "birth_date": "1980-05-17", "cpr": None}
    ]
    assert Filing.objects.get(lease=lease).warnings == []


def test_withdrawn_consent_stops_cpr(organisation, rent_unit, push, hlr_simulator):
    person = make_person(organisation, cpr="170580-1234")
    services.filing_consent_give(person=person)
    services.filing_consent_withdraw(person=person)
    lease = make_lease(rent_unit, parties=[person])
    push()
    assert _sent_tenants(hlr_simulator, lease)[0]["cpr"] is None
    with pytest.raises(DomainError):
        services.filing_consent_withdraw(person=person)


def test_name_only_gives_visible_warning(organisation, rent_unit, push, hlr_simulator):
    person = make_person(organisation, name="Ole Olsen", cpr="")
    lease = make_lease(rent_unit, parties=[person])
    filing = Filing.objects.get(lease=lease)
    assert [w["code"] for w in filing.warnings] == ["name_only"]
    assert filing.warnings[0]["field"] == "lease.tenants[0]"
    push()
    filing.refresh_from_db()
    assert filing.state == "accepted"
    assert [w["code"] for w in filing.warnings] == ["name_only"]


def test_protected_person_filed_by_real_name(organisation, rent_unit):
    # The register is a public authority paying housing benefit, not a private party
    # (seed 000; issue 12): it gets the tenant's real identity, not "Beskyttet person".
    person = make_person(organisation, name="Hemmelig Person", protected=True)
    lease = make_lease(rent_unit, parties=[person])
    payload = Filing.objects.get(lease=lease).payload
    assert "Hemmelig Person" in str(payload)
    assert "Beskyttet person" not in str(payload)


def test_consent_needs_cpr(organisation):
    with pytest.raises(DomainError):
        services.filing_consent_give(person=make_person(organisation, cpr=""))


# --- rehousing --------------------------------------------------------------------------


def _last(lease):
    return Filing.objects.filter(lease=lease).latest("pk")


def test_temporary_rehousing_lower_rent_is_filed_and_restored(organisation, rent_lease):
    temp_unit = make_rent_unit(organisation)
    rehousing = services.rehousing_start_temporary(
        lease=rent_lease,
        start_date=date(2026, 2, 1),
        placement="inside",
        temporary_unit=temp_unit,
        temporary_rent=Decimal("5000"),
    )
    filing = _last(rent_lease)
    assert filing.kind == FilingKind.REHOUSING
    assert filing.payload["lease"]["rent"] == "5000.00"
    assert filing.effective_date == date(2026, 2, 1)
    # A change during the rehousing still files the lower rent.
    tenancy_services.lease_update(lease=rent_lease, water="included")
    assert _last(rent_lease).payload["lease"]["rent"] == "5000.00"
    services.rehousing_end(rehousing=rehousing, end_date=date(2026, 5, 31))
    restore = _last(rent_lease)
    assert restore.kind == FilingKind.REHOUSING_END
    assert restore.payload["lease"]["rent"] == "6500.00"
    assert restore.effective_date == date(2026, 6, 1)
    rehousing.refresh_from_db()
    assert rehousing.status == RehousingStatus.ENDED


def test_temporary_rehousing_higher_rent_files_nothing(rent_lease):
    before = Filing.objects.count()
    rehousing = services.rehousing_start_temporary(
        lease=rent_lease, start_date=date(2026, 2, 1), placement="inside", temporary_rent="8000"
    )
    assert rehousing.filed_rent is None
    assert Filing.objects.count() == before
    services.rehousing_end(rehousing=rehousing, end_date=date(2026, 3, 1))
    assert Filing.objects.count() == before


def test_rehousing_outside_paid_by_insurer_files_zero(rent_lease):
    services.rehousing_start_temporary(
        lease=rent_lease, start_date=date(2026, 2, 1), placement="outside_insured"
    )
    assert _last(rent_lease).payload["lease"]["rent"] == "0.00"


def test_rehousing_bad_input_is_refused(rent_lease):
    with pytest.raises(DomainError) as exc:
        services.rehousing_start_temporary(
            lease=rent_lease, start_date=date(2026, 2, 1), placement="inside"
        )
    assert "temporary_rent" in exc.value.message_dict
    with pytest.raises(DomainError):
        services.rehousing_start_temporary(
            lease=rent_lease, start_date=date(2026, 2, 1), placement="inside", temporary_rent="x"
        )
    services.rehousing_start_temporary(
        lease=rent_lease, start_date=date(2026, 2, 1), placement="outside_insured"
    )
    with pytest.raises(DomainError):
        services.rehousing_start_temporary(
            lease=rent_lease, start_date=date(2026, 3, 1), placement="outside_insured"
        )
    assert Rehousing.objects.count() == 1


def test_permanent_rehousing_ends_old_and_creates_new_lease(organisation, rent_lease):
    new_unit = make_rent_unit(organisation)
    rehousing = services.rehousing_permanent(
        lease=rent_lease, new_unit=new_unit, move_date=date(2026, 4, 1), rent=Decimal("7100")
    )
    rent_lease.refresh_from_db()
    assert rent_lease.end_date == date(2026, 3, 31)
    new = rehousing.new_lease
    assert new.unit == new_unit
    assert new.start_date == date(2026, 4, 1)
    assert set(new.parties.all()) == set(rent_lease.parties.all())
    assert _last(rent_lease).kind == FilingKind.END
    assert Filing.objects.get(lease=new).operation == "create"


# --- refunds and payout lists -----------------------------------------------------------


@pytest.mark.parametrize(
    ("liable_until", "first_refund"),
    [
        (date(2026, 3, 31), date(2026, 4, 1)),  # liable all of March
        (date(2026, 3, 15), date(2026, 4, 1)),  # first half of March: March is kept
        (date(2026, 3, 1), date(2026, 4, 1)),  # one day of March: still kept
        (date(2026, 2, 28), date(2026, 3, 1)),
    ],
)
def test_refund_whole_months_only(liable_until, first_refund):
    months = selectors.refund_months(
        liable_until=liable_until, paid_from=date(2026, 1, 1), paid_to=date(2026, 5, 1)
    )
    assert months[0] == first_refund
    assert months[-1] == date(2026, 5, 1)


def test_refund_nothing_when_paid_months_were_liable():
    assert (
        selectors.refund_months(
            liable_until=date(2026, 5, 20), paid_from=date(2026, 1, 1), paid_to=date(2026, 5, 1)
        )
        == []
    )


def test_refund_lines_have_payout_cpr_with_zeros(organisation, rent_unit):
    person = make_person(organisation, cpr="170580-1234")
    lease = make_lease(rent_unit, parties=[person])
    lines = selectors.refund_lines(
        lease=lease,
        liable_until=date(2026, 3, 15),
        paid_from=date(2026, 3, 1),
        paid_to=date(2026, 4, 1),
        monthly_amount=Decimal("1850.00"),
    )
    assert [line.month for line in lines] == [date(2026, 4, 1)]
    assert lines[0].cpr_numbers == "170580-0000"
    assert lines[0].amount == Decimal("1850.00")

"""Rent-register filings write the disclosure log (issue 16): once per filing the register
answered, naming the lease's tenants, the CPR number only when the filing carried one."""

import pytest

from gdpr.disclosure import log
from gdpr.models import Disclosure
from rentregister import services
from rentregister.models import Filing, FilingState
from tenancy import hooks
from tenancy import services as tenancy_services
from tests.factories import make_cpr, make_lease, make_person
from tests.rentregister.fixtures_rent import push, rent_lease, rent_unit

pytestmark = pytest.mark.django_db
__all__ = ["push", "rent_lease", "rent_unit"]


def test_accepted_filing_is_logged_as_disclosure_of_its_tenants(rent_unit, push, hlr_simulator):
    jens = make_person(rent_unit.organisation, name="Jens Lejer")
    lease = make_lease(rent_unit, parties=[jens])
    assert not Disclosure.objects.exists()  # written when sent, not when queued
    assert push().accepted == 1
    disclosure = Disclosure.objects.get()
    filing = Filing.objects.get(lease=lease)
    assert disclosure.recipient == "Huslejeregisteret (Landsbyggefonden)"
    assert disclosure.recipient_kind == "authority"
    assert disclosure.reference == f"Indberetning {filing.pk}"
    assert disclosure.organisation_id == lease.organisation_id
    assert {"name", "rent"} <= set(disclosure.categories)
    assert "cpr" not in disclosure.categories  # no consent, no CPR number sent
    assert list(log.person_disclosures(person=jens)) == [disclosure]
    assert log.person_recipients(person=jens) == [disclosure.recipient]
    # Pushing again sends nothing and logs nothing.
    push()
    assert Disclosure.objects.count() == 1


def test_consenting_tenant_cpr_is_a_category(rent_unit, push, hlr_simulator):
    person = make_person(rent_unit.organisation, name="Sanne Samtykke", cpr=make_cpr())
    make_lease(rent_unit, parties=[person])
    services.filing_consent_give(person=person, actor=None, note="Underskrevet blanket")
    push()
    first, second = Disclosure.objects.order_by("pk")
    assert "cpr" not in first.categories  # filed before the consent
    assert "cpr" in second.categories
    assert "samtykke" in second.legal_basis


def test_rejected_filing_is_logged_too(rent_lease, push, hlr_simulator):
    push()
    hlr_simulator.reset()
    tenancy_services.lease_update(lease=rent_lease, water="included")
    push()
    assert Filing.objects.filter(lease=rent_lease, state=FilingState.REJECTED).exists()
    assert Disclosure.objects.count() == 2


def test_without_listener_filings_still_go(rent_lease, push, hlr_simulator):
    hooks.personal_data_disclosed.unregister(log.disclosures_record)
    try:
        assert push().accepted == 1
    finally:
        hooks.personal_data_disclosed.register(log.disclosures_record)
    assert not Disclosure.objects.exists()

"""Restriction (GDPR art. 18, issue 15) is enforced in the services, not only hidden: a
CPR lookup where a restricted tenant lives is refused before CPR is asked or anything is
charged, and allowed again when the restriction is lifted."""

import pytest

from core.errors import DomainError
from cprlookup import services
from cprlookup.models import CprCharge, CprLookup
from gdpr.subject import rights
from tenancy.models import Person
from tests.cprlookup.fixtures_cpr import SINCE, lease_with_person, make_portfolio, register

pytestmark = pytest.mark.django_db


def test_lookup_at_a_restricted_tenants_home_is_refused_in_the_service(gctp_settings):
    p = make_portfolio()
    unit = p.units[0]
    _lease, person = lease_with_person(unit, "0101801234", "Søren Ærø")
    gctp_settings.load(
        register(p.organisation, people=[("0101801234", "Søren Ærø", [(unit, SINCE, None)])])
    )
    restriction = rights.restriction_start(person=person, reason="Bestrider oplysningerne")
    assert Person.objects.get(pk=person.pk).restricted  # flagged through the registry

    for target in ({"unit_id": unit.pk}, {"entrance_id": unit.entrance_id}):
        with pytest.raises(DomainError) as exc:
            services.cpr_lookup_perform(
                user=p.caseworker, organisation=p.organisation, purpose="Sag 1", **target
            )
        assert "begrænset" in exc.value.messages[0]
    assert not CprLookup.objects.exists()
    assert not CprCharge.objects.exists()
    assert gctp_settings.stats()["searches"] == 0

    rights.restriction_lift(restriction=restriction, reason="Oplysningerne er rettet")
    assert not Person.objects.get(pk=person.pk).restricted
    lookup = services.cpr_lookup_perform(
        user=p.caseworker, organisation=p.organisation, purpose="Sag 1", unit_id=unit.pk
    )
    assert lookup.outcome == "ok"


def test_a_scan_leaves_out_the_stairwell_of_a_restricted_tenant(db):
    from cprlookup.models import ScanItem

    p = make_portfolio()
    unit = p.units[0]
    _lease, person = lease_with_person(unit, "0101801234", "Søren Ærø")
    rights.restriction_start(person=person, reason="Bestrider oplysningerne")
    job = services.scan_start(organisation=p.organisation, user=p.admin)
    scanned = set(ScanItem.objects.filter(job=job).values_list("entrance_id", flat=True))
    assert unit.entrance_id not in scanned
    assert scanned  # the other stairwells are scanned
    assert job.total == len(scanned)

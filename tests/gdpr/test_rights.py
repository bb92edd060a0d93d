"""Consents and other recorded bases, the CPR-storage rule, objections and restriction
(issue 15)."""

import pytest

from core import consents as core_consents
from core.errors import DomainError
from gdpr import selectors
from gdpr.models import Consent, ConsentPurpose, Objection, Restriction
from gdpr.subject import rights
from tenancy import hooks, services
from tenancy.history import history_for
from tenancy.models import Person
from tests.factories import make_cpr, make_lease, make_person

pytestmark = pytest.mark.django_db


def _basis(evidence="Underskrevet samtykke 01.12.2026"):
    return hooks.CprBasis(kind="consent", evidence=evidence)


def test_cpr_number_is_refused_without_a_recorded_basis(organisation, caseworker):
    with pytest.raises(DomainError) as exc:
        services.person_create(
            organisation=organisation, name="Uden Grundlag", cpr=make_cpr(), actor=caseworker
        )
    assert "samtykke" in exc.value.message_dict["cpr"][0]
    assert not Person.objects.filter(name="Uden Grundlag").exists()


def test_cpr_number_with_a_basis_records_it_with_who_and_evidence(organisation, caseworker):
    person = services.person_create(
        organisation=organisation,
        name="Med Samtykke",
        cpr=make_cpr(),
        actor=caseworker,
        cpr_basis=_basis(),
    )
    consent = Consent.objects.get(person=person)
    assert consent.purpose == ConsentPurpose.CPR_STORAGE
    assert (consent.basis, consent.given_by, consent.evidence) == (
        "consent",
        caseworker,
        "Underskrevet samtykke 01.12.2026",
    )
    assert history_for(consent).get().action == "consent_given"


def test_person_without_cpr_needs_no_basis(organisation):
    person = services.person_create(organisation=organisation, name="Kun Navn")
    assert not Consent.objects.filter(person=person).exists()


def test_adding_a_cpr_number_later_needs_a_basis_too(organisation):
    person = make_person(organisation, cpr="")
    with pytest.raises(DomainError):
        services.person_update(person=person, cpr=make_cpr())
    person.refresh_from_db()
    assert person.cpr_hash == ""
    services.person_update(
        person=person,
        cpr=make_cpr(),
        cpr_basis=hooks.CprBasis(kind="contract", evidence="Lejekontrakt § 11"),
    )
    assert Consent.objects.get(person=person).basis == "contract"


def test_no_guard_registered_means_no_cpr_stored(organisation):
    hooks.cpr_storage_guards.unregister(rights.cpr_storage_guard)
    try:
        with pytest.raises(DomainError):
            services.person_create(
                organisation=organisation, name="X", cpr=make_cpr(), cpr_basis=_basis()
            )
    finally:
        hooks.cpr_storage_guards.register(rights.cpr_storage_guard)


def test_withdrawing_the_cpr_consent_removes_the_number(organisation, caseworker, unit):
    person = make_person(organisation)
    make_lease(unit, parties=[person])
    consent = Consent.objects.get(person=person)
    rights.consent_withdraw(consent=consent, evidence="Mail af 01.12.2026", actor=caseworker)
    person.refresh_from_db()
    assert (person.cpr_hash, person.cpr_encrypted, person.cpr_masked) == ("", "", "")
    consent.refresh_from_db()
    assert consent.withdrawn_by == caseworker
    assert consent.withdrawal_evidence
    with pytest.raises(DomainError):
        rights.consent_withdraw(consent=consent, evidence="igen")


def test_consent_rules(organisation, caseworker):
    person = make_person(organisation, cpr="")
    with pytest.raises(DomainError):
        rights.consent_give(person=person, purpose="nonsense", evidence="x")
    with pytest.raises(DomainError):
        rights.consent_give(person=person, purpose="health", evidence="  ")
    with pytest.raises(DomainError):  # health data only with consent
        rights.consent_give(person=person, purpose="health", evidence="x", basis="contract")
    rights.consent_give(person=person, purpose="health", evidence="Ansøgning om rampe")
    with pytest.raises(DomainError):
        rights.consent_give(person=person, purpose="health", evidence="igen")


def test_rent_register_consent_is_listed_in_the_register(organisation, caseworker):
    from rentregister.services import filing_consent_give

    person = make_person(organisation)
    filing_consent_give(person=person, actor=caseworker, note="Blanket")
    entries = core_consents.entries_for(organisation_id=organisation.pk, person_ids=[person.pk])
    assert [(e.purpose, e.active, e.evidence) for e in entries] == [
        ("rent_register_cpr", True, "Blanket")
    ]


def test_objection_selector_lists_active_objections_only(organisation, other_organisation):
    anna, bo = make_person(organisation), make_person(organisation)
    other = make_person(other_organisation)
    objection = rights.objection_record(person=anna, purpose="market_statistics")
    rights.objection_record(person=other, purpose="market_statistics")
    rights.objection_record(person=bo, purpose="marketing")
    assert selectors.objecting_person_ids("market_statistics") == {anna.pk, other.pk}
    assert selectors.objecting_person_ids("market_statistics", organisation_id=organisation.pk) == {
        anna.pk
    }
    with pytest.raises(DomainError):
        rights.objection_record(person=anna, purpose="market_statistics")
    rights.objection_withdraw(objection=objection)
    assert selectors.objecting_person_ids("market_statistics") == {other.pk}
    assert Objection.objects.count() == 3
    with pytest.raises(DomainError):
        rights.objection_withdraw(objection=objection)
    with pytest.raises(DomainError):
        rights.objection_record(person=anna, purpose="nonsense")


def test_restriction_start_and_lift(organisation, caseworker):
    person = make_person(organisation)
    with pytest.raises(DomainError):
        rights.restriction_start(person=person, reason=" ")
    restriction = rights.restriction_start(person=person, reason="Bestrider rigtigheden")
    assert selectors.restricted_person_ids(organisation_id=organisation.pk) == {person.pk}
    with pytest.raises(DomainError):
        rights.restriction_start(person=person, reason="igen")
    rights.restriction_lift(restriction=restriction, reason="Rettet", actor=caseworker)
    assert selectors.restricted_person_ids() == set()
    assert Restriction.objects.get().lifted_by == caseworker
    with pytest.raises(DomainError):
        rights.restriction_lift(restriction=restriction, reason="igen")


def test_basis_choices_match_gdpr(db):
    from gdpr.models import BasisKind

    assert [code for code, _ in hooks.CPR_BASIS_CHOICES] == list(BasisKind.values)
    assert hooks.cpr_basis_from("contract", "  ") is None
    assert hooks.cpr_basis_from(None, "x") == hooks.CprBasis(kind="consent", evidence="x")


def test_market_statistics_reads_the_objection_register(organisation):
    from gdpr.disclosure.objections import market_statistics_objector_ids

    person = make_person(organisation)
    assert market_statistics_objector_ids(organisation=organisation) == set()
    rights.objection_record(person=person, purpose="market_statistics")
    assert market_statistics_objector_ids(organisation=organisation) == {person.pk}


def test_market_statistics_leave_out_a_restricted_tenant(unit):
    from gdpr.disclosure.outbound import market_statistics_leases

    lease = make_lease(unit)
    tenant = lease.parties.get()
    assert list(market_statistics_leases(organisation=unit.organisation)) == [lease]
    restriction = rights.restriction_start(person=tenant, reason="Bestrider oplysninger")
    assert list(market_statistics_leases(organisation=unit.organisation)) == []
    rights.restriction_lift(restriction=restriction, reason="Afklaret")
    assert list(market_statistics_leases(organisation=unit.organisation)) == [lease]

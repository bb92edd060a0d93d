"""The personal-data registry (core.personal_data) with every app's provider."""

from datetime import date

import pytest

from core import personal_data
from core.errors import DomainError
from core.personal_data import Subject, scrub_text, scrub_value
from tenancy import services
from tenancy.models import ChangeRecord, Person
from tests.factories import make_lease, make_person
from tests.waitlist.conftest import cooperation, data  # noqa: F401 - fixture
from waitlist.services.applicants import applicant_signup

CPR = "170580-1234"


@pytest.fixture
def tenant(unit):
    person = make_person(unit.organisation, name="Karen Jensen", cpr=CPR, email="karen@x.dk")
    lease = make_lease(unit, parties=[person], start_date=date(2015, 1, 1))
    return person, lease


def subject_of(person) -> Subject:
    return personal_data.resolve(
        Subject.of(organisation_ids=[person.organisation_id], person_ids=[person.pk])
    )


def test_every_app_is_registered():
    apps = [p.app for p in personal_data.registry]
    assert apps == ["core", "tenancy", "cprlookup", "rentregister", "waitlist", "gdpr"]


def test_resolve_links_tenant_and_applicant_by_cpr_within_scope(tenant, cooperation, other_unit):  # noqa: F811
    person, _lease = tenant
    applicant = applicant_signup(
        cooperation=cooperation, data=data(name="Karen Jensen", cpr=CPR, email="k@y.dk")
    )
    stranger = make_person(other_unit.organisation, name="Karen J", cpr=CPR)
    subject = subject_of(person)
    assert subject.applicant_ids == {applicant.pk}
    assert stranger.pk not in subject.person_ids
    assert {"1705801234", "170580-1234", "karen@x.dk", "k@y.dk"} <= subject.identifiers
    # the retention run's view: the given ids only
    narrow = personal_data.resolve(
        Subject.of(organisation_ids=[person.organisation_id], person_ids=[person.pk]), link=False
    )
    assert narrow.applicant_ids == frozenset()
    keys = {s.key for s in personal_data.collect(subject)}
    assert {"tenancy.person", "tenancy.leases", "waitlist.applicant", "gdpr.cpr_reveals"} <= keys
    provided = {s.key for s in personal_data.collect(subject) if s.provided_by_subject}
    assert "tenancy.person" in provided
    assert "tenancy.leases" not in provided


def test_active_lease_blocks_and_restriction_flags_rows(tenant):
    person, lease = tenant
    subject = subject_of(person)
    blocking = {k.app for k in personal_data.must_keep(subject) if k.blocks}
    assert blocking == {"tenancy", "rentregister"}  # the lease, its filing not yet sent
    assert personal_data.restrict(subject, on=True)["tenancy"] == 1
    assert Person.objects.get(pk=person.pk).restricted
    assert personal_data.restrict(subject, on=True)["tenancy"] == 0
    services.lease_end(lease=lease, end_date=date(2019, 12, 31), reason="Opsagt")
    assert "tenancy" not in {k.app for k in personal_data.must_keep(subject) if k.blocks}


def test_anonymise_clears_person_and_history_and_is_idempotent(tenant):
    person, _lease = tenant
    subject = subject_of(person)
    counts = personal_data.anonymise(subject)
    assert counts["tenancy"] >= 3
    person.refresh_from_db()
    assert (person.name, person.cpr_hash, person.email) == ("Anonymiseret person", "", "")
    assert person.anonymised_at is not None
    dump = str(list(ChangeRecord.objects.values_list("before", "after", "object_repr")))
    assert "Karen" not in dump
    assert "170580" not in dump
    assert sum(personal_data.anonymise(subject).values()) == 0
    with pytest.raises(DomainError, match="anonymiseret"):
        services.person_update(person=person, name="Karen Jensen")


def test_scrub_helpers():
    assert scrub_text("Ring til KAREN jensen", ["Karen Jensen"]) == "Ring til [slettet]"
    assert scrub_value({"a": ["x karen@x.dk"], "n": 1}, ["karen@x.dk"]) == {
        "a": ["x [slettet]"],
        "n": 1,
    }
    assert scrub_text("ab", ["ab"]) == "ab"  # too short to be an identifier

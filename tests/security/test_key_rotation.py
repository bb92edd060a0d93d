"""Key rotation: `rotate_cpr_keys` re-encrypts every CPR ciphertext under the new first
FIELD_ENCRYPTION_KEY and recomputes every search hash when CPR_HASH_KEY changes, so CPR
search keeps working; it is resumable and idempotent. Runs on SQLite and PostgreSQL alike
(the suite's DATABASE_URL decides)."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from core import crypto
from core.management.commands import rotate_cpr_keys
from cprlookup.models import CprLookup, CprLookupResident, CprRegistration, OccupancyEvent
from tenancy.models import Person
from tests.factories import make_person

CPR = "1203851234"
CPR2 = "0101701234"


@pytest.fixture(autouse=True)
def hash_key(settings):
    """Every test starts from an installation with its own CPR_HASH_KEY."""
    settings.CPR_HASH_KEY = "testens-egen-hash-noegle"
    settings.CPR_HASH_KEY_PREVIOUS = []


@pytest.fixture
def cpr_rows(organisation, unit):
    """A person, a CPR answer row, a registration and a move event (hash only)."""
    person = make_person(organisation, name="Anna Sørensen", cpr=CPR)
    lookup = CprLookup.objects.create(
        organisation=organisation,
        source="adhoc",
        target_kind="unit",
        target_label="Testvej 1",
        owner_cvr="12345678",
        purpose="Sag 1",
        outcome="ok",
    )
    resident = CprLookupResident.objects.create(
        lookup=lookup,
        cpr_encrypted=crypto.encrypt(CPR2),
        cpr_hash=crypto.search_hash(CPR2),
        cpr_masked="010170-xxxx",
    )
    now = timezone.now()
    registration = CprRegistration.objects.create(
        organisation=organisation,
        unit=unit,
        cpr_encrypted=crypto.encrypt(CPR),
        cpr_hash=crypto.search_hash(CPR),
        cpr_masked="120385-xxxx",
        first_seen_at=now,
        changed_at=now,
    )
    event = OccupancyEvent.objects.create(
        organisation=organisation,
        unit=unit,
        cpr_hash=crypto.search_hash(CPR2),
        cpr_masked="010170-xxxx",
        kind="moved_in",
        lookup=lookup,
    )
    return person, resident, registration, event


def run(**kwargs) -> str:
    out = StringIO()
    call_command("rotate_cpr_keys", stdout=out, **kwargs)
    return out.getvalue()


def test_discovers_every_cpr_field_by_name():
    found = {t.label: t for t in rotate_cpr_keys.discover()}
    assert found["tenancy.Person"].paired == {"cpr_hash": "cpr_encrypted"}
    assert found["cprlookup.CprLookupResident"].encrypted == ["cpr_encrypted"]
    assert found["cprlookup.CprRegistration"].paired == {"cpr_hash": "cpr_encrypted"}
    assert found["cprlookup.OccupancyEvent"].hash_only == ["cpr_hash"]


def test_rotating_the_encryption_key_keeps_search_working(cpr_rows, organisation):
    person, resident, registration, _event = cpr_rows
    old_key = settings.FIELD_ENCRYPTION_KEY.split(",")[0]
    new_key = Fernet.generate_key().decode()
    before = crypto.search_hash(CPR)
    with override_settings(
        FIELD_ENCRYPTION_KEY=f"{new_key},{old_key}", CPR_HASH_KEY=settings.CPR_HASH_KEY
    ):
        assert crypto.search_hash(CPR) == before  # the hash key is its own setting now
        out = run()
        assert "3 krypteret igen" in out
        # Everything now decrypts with the new key alone.
        only_new = Fernet(new_key.encode())
        person.refresh_from_db()
        registration.refresh_from_db()
        resident = CprLookupResident.objects.get(pk=resident.pk)
        for token in (person.cpr_encrypted, registration.cpr_encrypted, resident.cpr_encrypted):
            only_new.decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(person.cpr_encrypted.encode())
        assert Person.objects.get(cpr_hash=crypto.search_hash(CPR)) == person
        # Resumable and idempotent: a second run changes nothing.
        assert "I alt: 4 rækker, 0 krypteret igen, 0 nye søgenøgler" in run()
    with override_settings(FIELD_ENCRYPTION_KEY=new_key, CPR_HASH_KEY=settings.CPR_HASH_KEY):
        assert person.reveal_cpr() == "120385-1234"


def test_changing_the_hash_key_recomputes_every_hash(cpr_rows):
    person, resident, registration, event = cpr_rows
    old_secret = settings.CPR_HASH_KEY
    with override_settings(
        CPR_HASH_KEY="en-helt-ny-hemmelighed", CPR_HASH_KEY_PREVIOUS=[old_secret]
    ):
        new_hash, new_hash2 = crypto.search_hash(CPR), crypto.search_hash(CPR2)
        assert not Person.objects.filter(cpr_hash=new_hash).exists()  # search broken until run
        out = run(batch_size=1)
        assert "0 krypteret igen" in out
        assert "0 søgenøgler uden kendt CPR-nummer" in out
        assert Person.objects.get(cpr_hash=new_hash) == person
        assert CprRegistration.objects.get(pk=registration.pk).cpr_hash == new_hash
        assert CprLookupResident.objects.get(pk=resident.pk).cpr_hash == new_hash2
        assert OccupancyEvent.objects.get(pk=event.pk).cpr_hash == new_hash2  # mapped
        assert "0 nye søgenøgler" in run()


def test_legacy_hashes_from_the_first_encryption_key_are_found(cpr_rows):
    """An installation without CPR_HASH_KEY hashed with a key derived from its first
    encryption key: it keeps working, and moving to its own CPR_HASH_KEY is one run."""
    person, _resident, _registration, event = cpr_rows
    first = settings.FIELD_ENCRYPTION_KEY.split(",")[0]
    with override_settings(CPR_HASH_KEY="", CPR_HASH_KEY_PREVIOUS=[settings.CPR_HASH_KEY]):
        legacy = crypto.search_hash(CPR)
        assert legacy == crypto.search_hash_with(CPR, crypto.legacy_hash_key(first))
        run()  # moves every hash to the legacy key (the "before" state of such a site)
        assert Person.objects.get(cpr_hash=legacy) == person
    with override_settings(CPR_HASH_KEY="egen-noegle"):
        run()
        assert Person.objects.get(cpr_hash=crypto.search_hash(CPR)) == person
        assert OccupancyEvent.objects.get(pk=event.pk).cpr_hash == crypto.search_hash(CPR2)


def test_dry_run_changes_nothing(cpr_rows):
    person = cpr_rows[0]
    with override_settings(
        CPR_HASH_KEY="noget-andet", CPR_HASH_KEY_PREVIOUS=[settings.CPR_HASH_KEY]
    ):
        assert "4 nye søgenøgler" in run(dry_run=True)
    assert Person.objects.get(pk=person.pk).cpr_hash == person.cpr_hash

"""The issue-16 API (/api/gdpr/): scoped reads, redact and dismiss with Danish errors."""

import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gdpr.disclosure import breaches, log, records
from gdpr.models import DiscoveryFinding
from rentregister import services as rent_services
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _finding(organisation, **kw):
    args = {
        "organisation": organisation,
        "kind": "cpr",
        "source": "field",
        "model": "rentregister.filingconsent",
        "object_id": "0",
        "field": "note",
        "masked": "170580-xxxx",
        "value_hash": "0" * 64,
        "fingerprint": hashlib.sha256(repr(kw).encode()).hexdigest(),
        "last_seen": timezone.now(),
    }
    args.update(kw)
    return DiscoveryFinding.objects.create(**args)


def test_reads_are_scoped(organisation, other_organisation, caseworker):
    person = make_person(organisation)
    mine = log.disclosure_record(
        organisation=organisation,
        recipient="Revisor",
        recipient_kind="private",
        categories=["name"],
        people=[person],
        legal_basis="Bogføringsloven",
        purpose="Revision",
        source="test",
    )
    log.disclosure_record(
        organisation=other_organisation,
        recipient="Skjult",
        recipient_kind="private",
        categories=["name"],
        people=[make_person(other_organisation)],
        legal_basis="X",
        purpose="Y",
        source="test",
    )
    breaches.breach_create(
        organisation=organisation,
        title="Brud",
        description="Noget skete",
        discovered_at=timezone.now(),
        risk="risk",
    )
    records.processor_save(
        organisation=organisation, name="Leverandør", role="other", service="Drift"
    )
    api = APIClient()
    api.force_authenticate(caseworker)
    data = api.get("/api/gdpr/disclosures/").json()
    assert [d["recipient"] for d in data["results"]] == ["Revisor"]
    detail = api.get(f"/api/gdpr/disclosures/{mine.pk}/").json()
    assert detail["person_ids"] == [person.pk]
    assert (
        api.get(f"/api/gdpr/disclosures/?organisation={other_organisation.pk}").json()["results"]
        == []
    )
    assert api.get("/api/gdpr/breaches/").json()["results"][0]["deadline"]
    assert api.get("/api/gdpr/processors/").json()["results"][0]["name"] == "Leverandør"
    assert api.get("/api/gdpr/outbound-exports/").status_code == 200


def test_redact_and_dismiss(organisation, caseworker):
    person = make_person(organisation, cpr="1705801234")
    consent = rent_services.filing_consent_give(person=person, note="CPR 1705801234 oplyst")
    from gdpr.disclosure import discovery

    discovery.discovery_run()
    finding = DiscoveryFinding.objects.get(model="rentregister.filingconsent")
    other = _finding(organisation, object_id=str(consent.pk + 1000))
    api = APIClient()
    api.force_authenticate(caseworker)
    listed = api.get("/api/gdpr/findings/").json()["results"]
    assert {f["masked"] for f in listed} == {"170580-xxxx"}
    assert "1705801234" not in repr(listed)
    response = api.post(f"/api/gdpr/findings/{finding.pk}/redact/")
    assert response.status_code == 200
    assert response.json()["status"] == "redacted"
    again = api.post(f"/api/gdpr/findings/{finding.pk}/redact/")
    assert again.status_code == 400
    assert "allerede behandlet" in repr(again.json())
    bad = api.post(f"/api/gdpr/findings/{other.pk}/dismiss/", {"why": "x"}, format="json")
    assert bad.status_code == 400
    ok = api.post(f"/api/gdpr/findings/{other.pk}/dismiss/", {"reason": "Testdata"}, format="json")
    assert ok.json()["status"] == "dismissed"
    gone = _finding(organisation, object_id="999999")
    missing = api.post(f"/api/gdpr/findings/{gone.pk}/redact/")
    assert missing.status_code == 400
    assert "findes ikke længere" in repr(missing.json())

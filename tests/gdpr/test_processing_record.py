"""Controller and processors, and the Art. 30 record generated from the configuration
(issue 16)."""

from datetime import date

import pytest
from django.urls import reverse

from core.errors import DomainError
from gdpr.disclosure import log, outbound, records
from gdpr.models import Processor
from tests.factories import MembershipFactory, make_person

pytestmark = pytest.mark.django_db


def _vendor(organisation, **kw):
    args = {
        "organisation": organisation,
        "name": "Systemhuset A/S",
        "role": "system_vendor",
        "service": "Drift af Boligkontor",
        "cvr": "12345674",
        "categories": ["name", "cpr"],
        "agreement_date": date(2025, 1, 1),
    }
    args.update(kw)
    return records.processor_save(**args)


def test_processor_rules(organisation, other_organisation):
    vendor = _vendor(organisation)
    mail = _vendor(organisation, name="Mailfirma", role="mail_sms", sub_processor_of=vendor, cvr="")
    assert list(vendor.sub_processors.all()) == [mail]
    with pytest.raises(DomainError, match="navn"):
        _vendor(organisation, name=" ")
    with pytest.raises(DomainError, match="rolle"):
        _vendor(organisation, role="friend")
    with pytest.raises(DomainError, match="8 cifre"):
        _vendor(organisation, cvr="12")
    with pytest.raises(DomainError, match="hører ikke"):
        _vendor(other_organisation, sub_processor_of=vendor)
    with pytest.raises(DomainError, match="udløbe"):
        _vendor(organisation, agreement_ends=date(2024, 1, 1))
    with pytest.raises(DomainError, match="EU/EØS"):
        _vendor(organisation, country="USA")
    with pytest.raises(DomainError, match="kategori"):
        _vendor(organisation, categories=["shoe"])
    _vendor(organisation, country="USA", third_country_basis="EU's standardkontraktbestemmelser")
    with pytest.raises(DomainError, match="underdatabehandlere"):
        records.processor_end(processor=vendor)
    records.processor_end(processor=mail)
    records.processor_end(processor=vendor)
    with pytest.raises(DomainError, match="allerede"):
        records.processor_end(processor=vendor)
    assert Processor.objects.count() == 3  # ended, not deleted


def test_record_follows_configuration(organisation):
    organisation.cpr_service_registered = False
    organisation.cpr_service_registered_since = None
    organisation.save()
    names = [a.name for a in records.processing_record(organisation=organisation).activities]
    assert "Udlejning og lejeadministration" in names
    assert "CPR-opslag i udlejerservicen" not in names
    assert "Markedsstatistik (EjendomDanmark)" not in names
    outbound.market_statistics_opt_in_set(organisation=organisation, opted_in=True)
    organisation.cpr_service_registered = True
    organisation.cpr_service_registered_since = date(2024, 1, 1)
    organisation.save()
    person = make_person(organisation)
    log.disclosure_record(
        organisation=organisation,
        recipient="Revisor ApS",
        recipient_kind="private",
        categories=["name", "rent"],
        people=[person],
        legal_basis="Bogføringsloven",
        purpose="Revision",
        source="test",
    )
    _vendor(organisation, country="Norge")
    _vendor(organisation, name="Cloud Inc", country="USA", third_country_basis="SCC")
    record = records.processing_record(organisation=organisation)
    names = [a.name for a in record.activities]
    assert "CPR-opslag i udlejerservicen" in names
    assert "Markedsstatistik (EjendomDanmark)" in names
    assert [r.recipient for r in record.recipients] == ["Revisor ApS"]
    assert record.recipients[0].categories == ["Navn", "Husleje og aconto"]
    assert [p.name for p in record.third_countries] == ["Cloud Inc"]
    # retention from the schedule (issue 15's defaults)
    keys = [r["key"] for r in record.retention]
    assert "tenants" in keys
    lease_admin = record.activities[0]
    assert lease_admin.retention_rules[0]["title"] == "Lejere efter fraflytning"
    assert lease_admin.retention_rules[0]["period"] == "5 år"


def test_screens(client, organisation, caseworker):
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    client.force_login(caseworker)
    url = reverse("gdpr:processor_list")
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "X"}).status_code == 403
    vendor = _vendor(organisation)
    assert client.post(reverse("gdpr:processor_end", args=[vendor.pk])).status_code == 403
    assert client.get(url + "?format=xlsx").status_code == 200
    record = client.get(reverse("gdpr:processing_record")).content.decode()
    assert "Fortegnelse over behandlingsaktiviteter" in record
    assert "Systemhuset A/S" in record
    assert organisation.cvr in record
    client.force_login(admin)
    response = client.post(
        url, {"name": "Måler ApS", "role": "meter", "service": "Aflæsning", "country": "Danmark"}
    )
    assert response.status_code == 302
    bad = client.post(
        url, {"name": "Far away", "role": "hosting", "service": "Drift", "country": "USA"}
    )
    assert "EU/EØS" in bad.content.decode()
    child = _vendor(organisation, name="Under", sub_processor_of=vendor)
    page = client.post(reverse("gdpr:processor_end", args=[vendor.pk]), follow=True)
    assert "underdatabehandlere" in page.content.decode()
    client.post(reverse("gdpr:processor_end", args=[child.pk]))
    child.refresh_from_db()
    assert child.agreement_ends is not None


def test_record_lists_export_recipients(organisation, settings, tmp_path):
    from tests.factories import UnitFactory, make_lease

    settings.MEDIA_ROOT = tmp_path
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    make_lease(unit)
    outbound.outbound_export_create(
        organisation=organisation,
        kind="meter_reading",
        recipient="Måler A/S",
        property=unit.entrance.building.property,
    )
    activity = next(
        a
        for a in records.processing_record(organisation=organisation).activities
        if a.name == "Måleraflæsningsfirma"
    )
    assert activity.recipients == ["Måler A/S"]

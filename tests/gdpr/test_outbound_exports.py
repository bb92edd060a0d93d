"""Outbound exports (issue 16): each kind's field list, protected persons, objections, the
opt-in, the disclosure log and the one-time notice. Every produced file is read back and
scanned for what must not be in it."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from core.errors import DomainError
from gdpr.disclosure import log, outbound
from gdpr.models import ExportKind, MarketStatisticsNotice, OutboundExport
from tenancy import services as tenancy_services
from tests.factories import MembershipFactory, UnitFactory, make_lease, make_person

pytestmark = pytest.mark.django_db

JENS_CPR = "1705801234"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world(organisation):
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    prop = unit.entrance.building.property
    neighbour = UnitFactory(entrance=unit.entrance, floor="2", door="tv")
    protected_unit = UnitFactory(entrance=unit.entrance, floor="3", door="th")
    jens = make_person(
        organisation, name="Jens Hansen", cpr=JENS_CPR, email="jens@example.dk", phone="22334455"
    )
    karen = make_person(organisation, name="Karen Nabo", email="karen@example.dk", phone="33445566")
    hemmelig = make_person(
        organisation,
        name="Hemmelig Hansen",
        email="skjult@example.dk",
        phone="44556677",
        protected=True,
    )
    lease = make_lease(unit, parties=[jens], rent=Decimal("7250.50"), heating_aconto=Decimal("450"))
    neighbour_lease = make_lease(neighbour, parties=[karen], start_date=date(2021, 3, 1))
    protected_lease = make_lease(protected_unit, parties=[hemmelig])
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    return {
        "org": organisation,
        "property": prop,
        "unit": unit,
        "lease": lease,
        "neighbour_lease": neighbour_lease,
        "protected_lease": protected_lease,
        "people": [jens, karen, hemmelig],
        "jens": jens,
        "karen": karen,
        "hemmelig": hemmelig,
        "admin": admin,
    }


def _file(export: OutboundExport) -> Path:
    path = outbound.outbound_export_path(export)
    assert path is not None
    return path


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _forbidden(people, *, names=True, contact=True) -> list[str]:
    out = []
    for p in people:
        cpr = p.reveal_cpr()
        out += [cpr, cpr.replace("-", "")] if cpr else []
        out += [p.name] if names else []
        out += [p.email, p.phone] if contact else []
    return [x for x in out if x]


def _assert_absent(text: str, needles: list[str]) -> None:
    for needle in needles:
        assert needle not in text, needle


def _make(world, kind, **kw):
    export = outbound.outbound_export_create(
        organisation=world["org"], kind=kind, actor=world["admin"], **kw
    )
    if export.status == "queued":  # background kinds: what the worker does
        export = outbound.outbound_export_run(export_id=export.pk)
    assert export.status == "done", export.error
    return export


def test_market_statistics_needs_opt_in(world):
    with pytest.raises(DomainError, match="ikke tilmeldt"):
        outbound.outbound_export_create(
            organisation=world["org"], kind=ExportKind.MARKET_STATISTICS
        )
    outbound.market_statistics_opt_in_set(organisation=world["org"], opted_in=True)
    outbound.market_statistics_opt_in_set(organisation=world["org"], opted_in=False)
    assert not outbound.market_statistics_opted_in(organisation=world["org"])


def test_market_statistics_fields_never_identify_anyone(world):
    outbound.market_statistics_opt_in_set(organisation=world["org"], opted_in=True)
    tenancy_services.lease_end(lease=world["neighbour_lease"], end_date=date(2022, 1, 31))
    export = _make(world, ExportKind.MARKET_STATISTICS)
    text = _file(export).read_text(encoding="utf-8")
    rows = _rows(text)
    assert tuple(rows[0]) == outbound.SPECS[ExportKind.MARKET_STATISTICS].fields
    lease = world["lease"]
    assert rows[1:] == [
        [
            lease.number,
            lease.unit.entrance.street_name,
            lease.unit.entrance.house_number,
            lease.unit.floor,
            lease.unit.door,
            lease.unit.entrance.postcode,
            lease.unit.entrance.city,
            str(lease.unit.area_m2),
            "7250.50",
            "2020-01-01",
        ]
    ]  # the ended lease and the protected tenant's lease are left out
    _assert_absent(text, _forbidden(world["people"]))
    assert "@" not in text
    assert export.recipient == "EjendomDanmark (markedsstatistik)"
    assert list(log.person_disclosures(person=world["jens"])) == [export.disclosure]
    assert not log.person_disclosures(person=world["hemmelig"]).exists()


def test_market_statistics_notifies_each_tenant_once(world):
    outbound.market_statistics_opt_in_set(organisation=world["org"], opted_in=True)
    _make(world, ExportKind.MARKET_STATISTICS)
    assert sorted(m.to[0] for m in mail.outbox) == ["jens@example.dk", "karen@example.dk"]
    body = mail.outbox[0].body
    assert "indsigelse" in body
    assert JENS_CPR not in body
    _make(world, ExportKind.MARKET_STATISTICS)
    assert len(mail.outbox) == 2  # told once, not at every export
    assert MarketStatisticsNotice.objects.filter(organisation=world["org"]).count() == 2


def test_market_statistics_leaves_out_objectors(world, monkeypatch):
    outbound.market_statistics_opt_in_set(organisation=world["org"], opted_in=True)
    monkeypatch.setattr(
        outbound, "market_statistics_objector_ids", lambda organisation: {world["karen"].pk}
    )
    text = _file(_make(world, ExportKind.MARKET_STATISTICS)).read_text()
    assert world["lease"].number in text
    assert world["neighbour_lease"].number not in text


def test_meter_reading_fields_and_protected_person(world):
    export = _make(
        world, ExportKind.METER_READING, recipient="Måler A/S", property=world["property"]
    )
    rows = _rows(_file(export).read_text())
    assert tuple(rows[0]) == outbound.SPECS[ExportKind.METER_READING].fields
    by_number = {r[0]: r for r in rows[1:]}
    jens = by_number[world["lease"].number]
    assert jens[2:] == ["Jens Hansen", "jens@example.dk", "450.00", "0.00"]
    hidden = by_number[world["protected_lease"].number]
    assert hidden[2:4] == ["Beskyttet person", ""]
    text = _file(export).read_text()
    _assert_absent(text, ["Hemmelig", "skjult@example.dk", "44556677", "22334455"])
    _assert_absent(text, _forbidden(world["people"], names=False, contact=False))
    assert export.disclosure.recipient_kind == "processor"
    assert export.disclosure.person_count == 3


def test_work_order_names_only_the_units_tenants(world):
    export = _make(
        world,
        ExportKind.WORK_ORDER,
        recipient="VVS Hansen ApS",
        unit=world["unit"],
        description="Utæt radiator i stuen",
    )
    rows = _rows(_file(export).read_text())
    assert tuple(rows[0]) == outbound.SPECS[ExportKind.WORK_ORDER].fields
    assert rows[1][1:] == ["Utæt radiator i stuen", "Jens Hansen", "22334455", "jens@example.dk"]
    assert len(rows) == 2
    text = _file(export).read_text()
    _assert_absent(text, ["Karen", "karen@example.dk", "Hemmelig", JENS_CPR[:6]])
    assert list(log.disclosure_people(disclosure=export.disclosure)) == [world["jens"]]


def test_work_order_for_protected_tenant_names_nobody(world):
    unit = world["protected_lease"].unit
    export = _make(
        world, ExportKind.WORK_ORDER, recipient="El-firma", unit=unit, description="Ny stikkontakt"
    )
    text = _file(export).read_text()
    assert "Kontakt administrationen" in text
    _assert_absent(text, ["Hemmelig", "skjult@example.dk", "44556677"])
    assert export.disclosure.person_count == 0


def test_work_order_needs_unit_and_description(world):
    with pytest.raises(DomainError, match="enhed"):
        outbound.outbound_export_create(
            organisation=world["org"], kind=ExportKind.WORK_ORDER, recipient="X", description="Y"
        )
    with pytest.raises(DomainError, match="Beskriv"):
        outbound.outbound_export_create(
            organisation=world["org"], kind=ExportKind.WORK_ORDER, recipient="X", unit=world["unit"]
        )
    with pytest.raises(DomainError, match="modtageren"):
        outbound.outbound_export_create(
            organisation=world["org"], kind=ExportKind.METER_READING, property=world["property"]
        )


def test_tribunal_lease_is_anonymised_with_contact(world):
    export = _make(world, ExportKind.TRIBUNAL, recipient="Advokat Jensen", lease=world["lease"])
    rows = _rows(_file(export).read_text())
    assert tuple(rows[0]) == outbound.SPECS[ExportKind.TRIBUNAL].fields
    row = rows[1]
    assert row[-2:] == ["jens@example.dk", "22334455"]
    assert row[7] == "2020-01"
    text = _file(export).read_text()
    lease = world["lease"]
    _assert_absent(
        text, ["Jens Hansen", lease.number, lease.unit.entrance.street_name, JENS_CPR[:6]]
    )
    hidden = _make(
        world, ExportKind.TRIBUNAL, recipient="Advokat Jensen", lease=world["protected_lease"]
    )
    _assert_absent(_file(hidden).read_text(), ["skjult@example.dk", "44556677", "Hemmelig"])


def _archive(export) -> dict[str, str]:
    with zipfile.ZipFile(_file(export)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_handover_bundle_logs_every_person(world):
    export = _make(world, ExportKind.HANDOVER, recipient="Ny Ejer A/S", property=world["property"])
    files = _archive(export)
    assert set(files) == {"enheder.csv", "lejemaal.csv", "lejere.csv", "LAES_MIG.txt"}
    tenants = _rows(files["lejere.csv"])
    assert tenants[0] == ["lejemaalsnummer", "navn", "email", "telefon", "beskyttet"]
    assert [world["lease"].number, "Jens Hansen", "jens@example.dk", "22334455", "nej"] in tenants
    assert [world["protected_lease"].number, "Beskyttet person", "", "", "ja"] in tenants
    everything = "".join(files.values())
    _assert_absent(everything, ["Hemmelig", "skjult@example.dk", "44556677"])
    _assert_absent(everything, _forbidden(world["people"], names=False, contact=False))
    for person in world["people"]:
        assert log.person_disclosures(person=person).get() == export.disclosure


def test_first_offer_lease_copies(world):
    export = _make(world, ExportKind.FIRST_OFFER, recipient="Lejerne", property=world["property"])
    files = _archive(export)
    assert f"lejekontrakt-{world['lease'].number}.txt" in files
    assert "Jens Hansen" in files[f"lejekontrakt-{world['lease'].number}.txt"]
    assert "Beskyttet person" in files[f"lejekontrakt-{world['protected_lease'].number}.txt"]
    _assert_absent("".join(files.values()), ["Hemmelig", "@", JENS_CPR[:6] + "-"])


def test_other_organisations_objects_refused(world, other_unit):
    with pytest.raises(DomainError, match="hører ikke"):
        outbound.outbound_export_create(
            organisation=world["org"],
            kind=ExportKind.WORK_ORDER,
            recipient="X",
            unit=other_unit,
            description="Y",
        )


def test_screens(client, world, caseworker):
    client.force_login(caseworker)
    url = reverse("gdpr:export_list")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "handover", "recipient": "X", "property": world["property"].pk}
    )
    assert response.status_code == 403
    response = client.post(
        url,
        {
            "kind": "work_order",
            "recipient": "VVS",
            "unit_address": world["unit"].search_text,
            "description": "Dryppende hane",
        },
    )
    export = OutboundExport.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("gdpr:export_detail", args=[export.pk])).content.decode()
    assert "Hent filen" in detail
    download = client.get(reverse("gdpr:export_download", args=[export.pk]))
    assert b"Dryppende hane" in b"".join(download.streaming_content)
    bad = client.post(
        url, {"kind": "work_order", "recipient": "VVS", "unit_address": "Ingen vej 1"}
    )
    assert "Ingen entydig enhed" in bad.content.decode()
    bad = client.post(url, {"kind": "tribunal", "recipient": "Advokat"})
    assert "Vælg et lejemål" in bad.content.decode()
    assert client.get(url + "?format=xlsx").status_code == 200
    assert client.post(reverse("gdpr:market_opt_in"), {"opted_in": "on"}).status_code == 403
    client.force_login(world["admin"])
    client.post(reverse("gdpr:market_opt_in"), {"opted_in": "on"})
    assert outbound.market_statistics_opted_in(organisation=world["org"])
    client.post(reverse("gdpr:market_opt_in"), {})
    assert not outbound.market_statistics_opted_in(organisation=world["org"])


def test_anonymisation_deletes_files_naming_the_person(world):
    from core import personal_data

    export = _make(world, ExportKind.HANDOVER, recipient="Ny Ejer", property=world["property"])
    meter = _make(world, ExportKind.TRIBUNAL, recipient="Advokat", lease=world["neighbour_lease"])
    jens = world["jens"]
    subject = personal_data.Subject.of(
        organisation_ids=[world["org"].pk],
        person_ids=[jens.pk],
        identifiers=["Jens Hansen", "jens@example.dk"],
    )
    titles = [s.key for s in personal_data.collect(subject)]
    assert "gdpr.disclosures" in titles
    rows = next(s for s in personal_data.collect(subject) if s.key == "gdpr.disclosures").rows
    assert rows[0]["Modtager"] == "Ny Ejer"
    assert personal_data.anonymise(subject)["gdpr"] >= 1
    export.refresh_from_db()
    assert export.file == ""
    assert outbound.outbound_export_path(meter) is not None  # Karen's file stays
    assert log.person_disclosures(person=jens).exists()  # the fact of the transfer stays

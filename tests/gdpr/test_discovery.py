"""Data discovery (issue 16): numbers planted in a note, a PDF and an old export are found;
nothing is stored in clear; redact and dismiss; a dismissed finding stays dismissed."""

from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from fpdf import FPDF

from core.errors import DomainError
from core.excel import Column, write_xlsx
from gdpr.disclosure import discovery
from gdpr.models import DiscoveryFinding, DiscoveryRun, FindingStatus
from rentregister import services as rent_services
from rentregister.models import FilingConsent
from tenancy.models import ExportJob
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, make_person

pytestmark = pytest.mark.django_db

PLANTED = "1705801234"  # not modulus 11: still a CPR number
PLANTED_DASH = "170580-1234"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    Path(settings.MEDIA_ROOT).mkdir()


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("CPR 1705801234 oplyst", ["cpr"]),
        ("cpr: 170580-1234.", ["cpr"]),
        ("010107-4321 født 2007", ["cpr"]),  # 7th digit 4, yy 07: 2007
        ("3213801234", []),  # month 13
        ("3102801234", []),  # 31 February
        ("0101305123", []),  # 7th digit 5, yy 30: 2030, not born yet
        ("010158-5123", ["cpr"]),  # 1858
        ("lejemål 2020-0001 og beløb 6500.00", []),
        ("12345678901234", []),  # too long
        ("skriv til jens.hansen@example.dk i dag", ["email"]),
        ("ring +45 22 33 44 55 eller 33445566", ["phone", "phone"]),
        ("konto 1234-5678901", []),
    ],
)
def test_detector(text, kinds):
    assert [h.kind for h in discovery.find(text)] == kinds


def test_1899_is_a_plausible_century():
    assert discovery.cpr_plausible("0101995123")  # 7th digit 5, yy 99: 1899
    assert not discovery.cpr_plausible("0101305123")  # 2030: in the future


def test_joined_scan_maps_hits_to_their_values():
    values = ["ingenting", "CPR 1705801234", "", "mail a@b.dk og 0101801111"]
    hits = [(i, h.kind, values[i][h.start : h.end]) for i, h in discovery.scan_values(values)]
    assert hits == [(1, "cpr", PLANTED), (3, "email", "a@b.dk"), (3, "cpr", "0101801111")]


def _pdf(path: Path, text: str) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))


@pytest.fixture
def planted(organisation, settings):
    media = Path(settings.MEDIA_ROOT)
    person = make_person(organisation, name="Jens Hansen", cpr=PLANTED)
    consent = rent_services.filing_consent_give(
        person=person, note=f"Lejer oplyste CPR {PLANTED_DASH} i telefonen"
    )
    _pdf(media / "documents" / "kontrakt.pdf", f"Lejekontrakt. Lejers CPR-nr. {PLANTED}")
    user = UserFactory()
    job = ExportJob.objects.create(
        user=user, organisation=organisation, kind="people", file="exports/1/personer.xlsx"
    )
    (media / "exports" / "1").mkdir(parents=True)
    with open(media / job.file, "wb") as out:
        write_xlsx(
            out,
            title="Personer",
            columns=[Column("Navn", lambda r: r[0]), Column("CPR", lambda r: r[1])],
            rows=[("Jens Hansen", PLANTED_DASH), ("Mail", "jens@example.dk 22334455")],
        )
    return {"person": person, "consent": consent, "job": job}


def _by_place(run=None):
    return {(f.source, f.model or f.path, f.field): f for f in DiscoveryFinding.objects.all()}


def test_finds_note_pdf_and_old_export(planted, organisation):
    run = discovery.discovery_run()
    assert run.status == "done"
    assert run.files_scanned == 2
    found = _by_place()
    note = found[("field", "rentregister.filingconsent", "note")]
    assert note.kind == "cpr"
    assert note.masked == "170580-xxxx"
    assert note.person == planted["person"]  # the keyed hash names the known person
    assert note.organisation == organisation
    assert "170580-xxxx" in note.context
    assert PLANTED_DASH not in note.context
    pdf = found[("file", "documents/kontrakt.pdf", "")]
    assert pdf.masked == "170580-xxxx"
    export = found[("file", "exports/1/personer.xlsx", "")]
    assert export.organisation == organisation  # the export job says whose file it is
    # e-mails and phones in our own exports are there by design: only CPR numbers count
    assert DiscoveryFinding.objects.filter(path="exports/1/personer.xlsx").count() == 1


def test_nothing_is_stored_in_clear(planted):
    discovery.discovery_run()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {DiscoveryFinding._meta.db_table}")  # noqa: S608
        dump = repr(cursor.fetchall())
    assert PLANTED not in dump
    assert PLANTED_DASH not in dump


def test_redact_note_and_rescan(planted):
    discovery.discovery_run()
    note = DiscoveryFinding.objects.get(model="rentregister.filingconsent")
    user = UserFactory()
    discovery.finding_redact(finding=note, actor=user)
    consent = FilingConsent.objects.get(pk=planted["consent"].pk)
    assert consent.note == "Lejer oplyste CPR [CPR fjernet] i telefonen"
    assert note.status == "redacted"
    assert note.resolved_by == user
    with pytest.raises(DomainError, match="allerede behandlet"):
        discovery.finding_redact(finding=note, actor=user)
    second = discovery.discovery_run()
    assert second.new_findings == 0
    assert DiscoveryFinding.objects.get(pk=note.pk).status == "redacted"


def test_redact_old_export_deletes_the_file(planted, settings):
    discovery.discovery_run()
    export = DiscoveryFinding.objects.get(path="exports/1/personer.xlsx")
    discovery.finding_redact(finding=export, actor=None)
    assert not (Path(settings.MEDIA_ROOT) / "exports/1/personer.xlsx").exists()
    planted["job"].refresh_from_db()
    assert planted["job"].file == ""
    assert "slettet" in export.resolution


def test_pdf_cannot_be_redacted_automatically(planted):
    discovery.discovery_run()
    pdf = DiscoveryFinding.objects.get(path="documents/kontrakt.pdf")
    with pytest.raises(DomainError, match="PDF"):
        discovery.finding_redact(finding=pdf, actor=None)
    assert DiscoveryFinding.objects.get(pk=pdf.pk).status == "open"


def test_redact_text_file_in_place(settings, organisation):
    path = Path(settings.MEDIA_ROOT) / "notes" / "breve.txt"
    path.parent.mkdir(parents=True)
    path.write_text(f"Kære lejer {PLANTED} og 0101801111\n", encoding="utf-8")
    discovery.discovery_run()
    finding = DiscoveryFinding.objects.get(masked="170580-xxxx")
    discovery.finding_redact(finding=finding, actor=None)
    assert path.read_text() == "Kære lejer [CPR fjernet] og 0101801111\n"


def test_dismissed_stays_dismissed_and_removed_values_go(planted):
    discovery.discovery_run()
    note = DiscoveryFinding.objects.get(model="rentregister.filingconsent")
    discovery.finding_dismiss(finding=note, actor=None, reason="Testdata")
    run = discovery.discovery_run()
    note.refresh_from_db()
    assert note.status == "dismissed"
    assert note.last_run == run
    assert run.new_findings == 0
    FilingConsent.objects.filter(pk=planted["consent"].pk).update(note="intet")
    pdf = DiscoveryFinding.objects.get(path="documents/kontrakt.pdf")
    discovery.discovery_run()
    note.refresh_from_db()
    pdf.refresh_from_db()
    assert note.status == "dismissed"  # a decision stays even when the value went
    assert pdf.status == "open"


def test_open_finding_whose_value_went_is_gone(planted):
    discovery.discovery_run()
    FilingConsent.objects.filter(pk=planted["consent"].pk).update(note="intet")
    discovery.discovery_run()
    note = DiscoveryFinding.objects.get(model="rentregister.filingconsent")
    assert note.status == FindingStatus.GONE
    with pytest.raises(DomainError):
        discovery.finding_dismiss(finding=note, actor=None)


def test_field_sources_cover_every_app_and_skip_structured_fields():
    sources = {s.label: s for s in discovery.field_sources()}
    assert "note" in sources["rentregister.filingconsent"].fields
    assert "purpose" in sources["gdpr.cprreveal"].fields
    assert "gdpr.discoveryfinding" not in sources
    person = sources["tenancy.person"].fields
    assert "email" not in person
    assert "phone" not in person
    assert sources["cprlookup.cprlookupresident"].organisation == "lookup__organisation_id"


def test_screens(client, planted, organisation):
    discovery.discovery_run()
    caseworker = MembershipFactory(organisation=organisation).user
    admin = MembershipFactory(organisation=organisation, role="org_admin").user
    client.force_login(caseworker)
    url = reverse("gdpr:finding_list")
    page = client.get(url).content.decode()
    assert "170580-xxxx" in page
    assert PLANTED not in page
    assert "documents/kontrakt.pdf" not in page  # no organisation: not shown to staff
    assert client.get(url + "?status=all&kind=cpr&format=xlsx").status_code == 200
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(reverse("gdpr:discovery_start")).status_code == 403
    note = DiscoveryFinding.objects.get(model="rentregister.filingconsent")
    client.post(reverse("gdpr:finding_redact", args=[note.pk]))
    assert DiscoveryFinding.objects.get(pk=note.pk).status == "redacted"
    response = client.post(reverse("gdpr:finding_redact", args=[note.pk]), follow=True)
    assert "allerede behandlet" in response.content.decode()
    export = DiscoveryFinding.objects.get(path="exports/1/personer.xlsx")
    client.post(reverse("gdpr:finding_dismiss", args=[export.pk]), {"reason": "Testfil"})
    assert DiscoveryFinding.objects.get(pk=export.pk).status == "dismissed"
    response = client.post(reverse("gdpr:finding_dismiss", args=[export.pk]), follow=True)
    assert "allerede behandlet" in response.content.decode()
    other = OrganisationFactory()
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=other)
    client.force_login(stranger)
    assert client.post(reverse("gdpr:finding_dismiss", args=[note.pk])).status_code == 404
    client.force_login(admin)
    client.post(reverse("gdpr:discovery_start"))
    assert DiscoveryRun.objects.filter(started_by=admin).exists()

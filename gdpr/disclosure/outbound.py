"""Outbound exports of personal data (docs/disclosures.md): each kind is its own action with
its own field list, recipient type, legal basis and rule for protected persons, writes its
file under MEDIA_ROOT/outbound/ and records one disclosure naming every person the file
carries data about. None of them is the internal Excel list.

The field lists are `SPECS[kind].fields`; the tests read every produced file against them.
"""

import csv
import io
import logging
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from tenancy.choices import LeaseStatus
from tenancy.hooks import DataCategory as C
from tenancy.models import Lease, Organisation, Person, Property, Unit

from ..models import (
    ExportKind,
    ExportStatus,
    MarketStatisticsNotice,
    MarketStatisticsOptIn,
    OutboundExport,
    RecipientKind,
)
from . import log
from .objections import market_statistics_objector_ids

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

OUTBOUND_DIR = "outbound"
PROTECTED = gettext_lazy("Beskyttet person")
ASK_OFFICE = gettext_lazy("Kontakt administrationen")
CHUNK = 5000
MARKET_RECIPIENT = "EjendomDanmark (markedsstatistik)"


@dataclass(frozen=True)
class Spec:
    """What one kind of export sends, to whom and why (shown on the screen and in the
    docs), and how it treats protected persons."""

    kind: str
    recipient_kind: str
    categories: tuple[str, ...]
    legal_basis: "StrOrPromise"
    purpose: "StrOrPromise"
    fields: tuple[str, ...]
    protected_rule: "StrOrPromise"
    needs: str  # "", "property", "unit" or "lease"
    background: bool = False


SPECS: dict[str, Spec] = {
    ExportKind.MARKET_STATISTICS: Spec(
        kind=ExportKind.MARKET_STATISTICS,
        recipient_kind=RecipientKind.PRIVATE,
        categories=(C.LEASE, C.ADDRESS, C.RENT),
        legal_basis=gettext_lazy(
            "Legitim interesse (GDPR art. 6, stk. 1, litra f): branchens markedsstatistik; "
            "ejeren har tilmeldt sig, lejere der har gjort indsigelse er udeladt"
        ),
        purpose=gettext_lazy("Markedsstatistik over huslejer"),
        fields=(
            "lejernummer",
            "vejnavn",
            "husnummer",
            "etage",
            "doer",
            "postnummer",
            "by",
            "areal_m2",
            "husleje_pr_maaned",
            "indflytningsdato",
        ),
        protected_rule=gettext_lazy("Lejemål med en beskyttet lejer udelades helt."),
        needs="",
        background=True,
    ),
    ExportKind.METER_READING: Spec(
        kind=ExportKind.METER_READING,
        recipient_kind=RecipientKind.PROCESSOR,
        categories=(C.NAME, C.CONTACT, C.ADDRESS, C.RENT),
        legal_basis=gettext_lazy(
            "Databehandleraftale; lejeaftalens opfyldelse (GDPR art. 6, stk. 1, litra b): "
            "aflæsning og forbrugsregnskab"
        ),
        purpose=gettext_lazy("Måleraflæsning og varme-/vandregnskab"),
        fields=(
            "lejemaalsnummer",
            "adresse",
            "navn",
            "email",
            "aconto_varme_pr_maaned",
            "aconto_vand_pr_maaned",
        ),
        protected_rule=gettext_lazy(
            "Beskyttede lejere står som 'Beskyttet person' uden e-mail; lejemålets aconto "
            "sendes (firmaet aflæser i boligen, ikke hos personen)."
        ),
        needs="property",
    ),
    ExportKind.WORK_ORDER: Spec(
        kind=ExportKind.WORK_ORDER,
        recipient_kind=RecipientKind.PRIVATE,
        categories=(C.NAME, C.CONTACT, C.ADDRESS),
        legal_basis=gettext_lazy(
            "Lejeaftalens opfyldelse (GDPR art. 6, stk. 1, litra b): adgang til boligen for "
            "vedligeholdelse"
        ),
        purpose=gettext_lazy("Arbejdsordre til håndværker"),
        fields=("adresse", "opgave", "kontaktperson", "telefon", "email"),
        protected_rule=gettext_lazy(
            "En beskyttet lejer nævnes ikke: kontaktfeltet siger 'Kontakt administrationen' "
            "uden navn, telefon eller e-mail."
        ),
        needs="unit",
    ),
    ExportKind.TRIBUNAL: Spec(
        kind=ExportKind.TRIBUNAL,
        recipient_kind=RecipientKind.AUTHORITY,
        categories=(C.LEASE, C.RENT, C.CONTACT),
        legal_basis=gettext_lazy(
            "Retskrav (GDPR art. 6, stk. 1, litra f og art. 9, stk. 2, litra f): "
            "sammenligningslejemål i sag for huslejenævnet"
        ),
        purpose=gettext_lazy("Sammenligningslejemål til huslejenævn"),
        fields=(
            "postnummer",
            "by",
            "areal_m2",
            "vaerelser",
            "husleje_pr_maaned",
            "aconto_varme_pr_maaned",
            "aconto_vand_pr_maaned",
            "lejestart_maaned",
            "varme",
            "vand",
            "el",
            "kontakt_email",
            "kontakt_telefon",
        ),
        protected_rule=gettext_lazy(
            "Lejemålet sendes anonymiseret; for en beskyttet lejer udelades e-mail og "
            "telefon ('Kontakt administrationen')."
        ),
        needs="lease",
    ),
    ExportKind.HANDOVER: Spec(
        kind=ExportKind.HANDOVER,
        recipient_kind=RecipientKind.PRIVATE,
        categories=(C.NAME, C.CONTACT, C.ADDRESS, C.LEASE, C.RENT, C.PROTECTION),
        legal_basis=gettext_lazy(
            "Legitim interesse og lejeaftalens overgang (GDPR art. 6, stk. 1, litra b og f): "
            "salg af ejendommen eller skift af administrator"
        ),
        purpose=gettext_lazy("Overdragelse af ejendommens data"),
        fields=(
            "enheder.csv: adresse, etage, doer, areal_m2, vaerelser, bbr_enheds_id",
            "lejemaal.csv: lejemaalsnummer, adresse, start, slut, status, husleje, "
            "aconto_varme, aconto_vand",
            "lejere.csv: lejemaalsnummer, navn, email, telefon, beskyttet",
        ),
        protected_rule=gettext_lazy(
            "Beskyttede lejere står som 'Beskyttet person' uden kontaktoplysninger; "
            "modtageren får navnet ad sikker vej fra administrationen, ikke i arkivet."
        ),
        needs="property",
        background=True,
    ),
    ExportKind.FIRST_OFFER: Spec(
        kind=ExportKind.FIRST_OFFER,
        recipient_kind=RecipientKind.PRIVATE,
        categories=(C.NAME, C.ADDRESS, C.LEASE, C.RENT),
        legal_basis=gettext_lazy(
            "Retlig forpligtelse (GDPR art. 6, stk. 1, litra c): lejelovens tilbudspligt ved "
            "salg af ejendommen"
        ),
        purpose=gettext_lazy("Kopi af lejekontrakter til lejernes tilbudspligt"),
        fields=(
            "lejemaalsnummer",
            "adresse",
            "lejere",
            "startdato",
            "husleje",
            "aconto_varme",
            "aconto_vand",
            "areal_m2",
            "vaerelser",
        ),
        protected_rule=gettext_lazy("Beskyttede lejere står som 'Beskyttet person'."),
        needs="property",
    ),
}


# --- market statistics: the owner's opt-in -----------------------------------------------


def market_statistics_opted_in(*, organisation: Organisation) -> bool:
    return MarketStatisticsOptIn.objects.filter(organisation=organisation, opted_in=True).exists()


def market_statistics_opt_in_set(*, organisation: Organisation, opted_in: bool, actor=None):
    """Opt the owner in or out of the market statistics (organisation administrators)."""
    with transaction.atomic():
        row, _created = MarketStatisticsOptIn.objects.update_or_create(
            organisation=organisation, defaults={"opted_in": opted_in, "changed_by": actor}
        )
    return row


# --- creating and running an export -------------------------------------------------------


def outbound_export_create(
    *,
    organisation: Organisation,
    kind: str,
    actor=None,
    recipient: str = "",
    property: Property | None = None,
    unit: Unit | None = None,
    lease: Lease | None = None,
    description: str = "",
) -> OutboundExport:
    """Check the request and queue (large kinds) or run the export. Raises DomainError."""
    spec = SPECS.get(kind)
    if spec is None:
        raise DomainError(_("Ukendt udtræk."))
    target = {"property": property, "unit": unit, "lease": lease}
    if spec.needs and target[spec.needs] is None:
        raise DomainError(_("Vælg %s for udtrækket.") % _needs_label(spec.needs))
    for obj in target.values():
        if obj is not None and obj.organisation_id != organisation.pk:
            raise DomainError(_("Det valgte hører ikke til organisationen."))
    if kind == ExportKind.MARKET_STATISTICS:
        if not market_statistics_opted_in(organisation=organisation):
            raise DomainError(_("Ejeren er ikke tilmeldt markedsstatistik. Tilmeld ejeren først."))
        recipient = MARKET_RECIPIENT
    recipient = recipient.strip()
    if not recipient:
        raise DomainError(_("Angiv modtageren af udtrækket."))
    if kind == ExportKind.WORK_ORDER and not description.strip():
        raise DomainError(_("Beskriv opgaven til håndværkeren."))
    export = OutboundExport.objects.create(
        organisation=organisation,
        kind=kind,
        recipient=recipient[:200],
        property=property,
        unit=unit,
        lease=lease,
        description=description.strip()[:500],
        created_by=actor,
    )
    if spec.background:
        from .tasks import outbound_export_run_task

        transaction.on_commit(lambda: outbound_export_run_task.delay(export.pk))
        return export
    return outbound_export_run(export_id=export.pk)


def _needs_label(needs: str) -> str:
    return {"property": _("en ejendom"), "unit": _("en enhed"), "lease": _("et lejemål")}[needs]


def outbound_export_run(*, export_id: int) -> OutboundExport:
    """Write the export's file and log the disclosure. Idempotent for a finished export (a
    redelivered task does nothing); a failed one can be run again."""
    export = OutboundExport.objects.select_related("organisation").get(pk=export_id)
    if export.status == ExportStatus.DONE:
        return export
    OutboundExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, error="")
    spec = SPECS[export.kind]
    folder = Path(settings.MEDIA_ROOT) / OUTBOUND_DIR / str(export.organisation_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{export.pk}-{export.kind}-{uuid.uuid4().hex[:8]}"
    writer = WRITERS[export.kind]
    try:
        path, person_ids, rows = writer(export, folder / name)
    except (DomainError, OSError) as exc:
        OutboundExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        export.refresh_from_db()
        return export
    with transaction.atomic():
        disclosure = log.disclosure_record(
            organisation=export.organisation,
            recipient=export.recipient,
            recipient_kind=spec.recipient_kind,
            categories=spec.categories,
            people=person_ids,
            legal_basis=str(spec.legal_basis),
            purpose=str(spec.purpose),
            source=f"gdpr.{export.kind}",
            reference=_("Udtræk %s") % export.pk,
            actor=export.created_by,
        )
        OutboundExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DONE,
            file=str(path.relative_to(settings.MEDIA_ROOT)),
            total=rows,
            done=rows,
            disclosure=disclosure,
            finished_at=timezone.now(),
        )
    if export.kind == ExportKind.MARKET_STATISTICS:
        market_statistics_notify(organisation=export.organisation, person_ids=person_ids)
    export.refresh_from_db()
    return export


def outbound_export_path(export: OutboundExport) -> Path | None:
    if not export.file:
        return None
    path = Path(settings.MEDIA_ROOT) / export.file
    return path if path.is_file() else None


def outbound_export_list(*, organisation: Organisation | None) -> QuerySet[OutboundExport]:
    if organisation is None:
        return OutboundExport.objects.none()
    return (
        OutboundExport.objects.filter(organisation=organisation)
        .select_related("created_by", "property", "unit__entrance", "lease")
        .order_by("-created_at", "-pk")
    )


# --- market statistics ------------------------------------------------------------------

MARKET_COLUMNS = (
    "number",
    "unit__entrance__street_name",
    "unit__entrance__house_number",
    "unit__floor",
    "unit__door",
    "unit__entrance__postcode",
    "unit__entrance__city",
    "unit__area_m2",
    "rent",
    "start_date",
)


def market_statistics_leases(*, organisation: Organisation) -> QuerySet[Lease]:
    """The active leases that go to the statistics: none with a protected tenant, none with
    a tenant who objected (gdpr's objection register) and none with a tenant whose
    processing is restricted (GDPR art. 18: the statistics are not a legal duty)."""
    through = Lease.parties.through.objects
    excluded = through.filter(
        Q(person__protected=True) | Q(person__restricted=True), person__organisation=organisation
    )
    leases = Lease.objects.filter(organisation=organisation, status=LeaseStatus.ACTIVE).exclude(
        pk__in=excluded.values("lease_id")
    )
    objectors = market_statistics_objector_ids(organisation=organisation)
    if objectors:
        leases = leases.exclude(pk__in=through.filter(person_id__in=objectors).values("lease_id"))
    return leases


def market_statistics_rows(*, organisation: Organisation) -> Iterator[tuple]:
    """The rows in file order (`SPECS[...].fields`), straight from the database."""
    leases = market_statistics_leases(organisation=organisation).order_by("pk")
    return leases.values_list(*MARKET_COLUMNS).iterator(chunk_size=CHUNK)


def market_statistics_write(rows: Iterable[tuple], out: TextIO, progress=None) -> int:
    """Write the semicolon-separated file (header, then the rows as they come): the csv
    module's C writer over chunks of the database tuples, nothing else in between."""
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(SPECS[ExportKind.MARKET_STATISTICS].fields)
    source = iter(rows)
    count = 0
    while chunk := list(islice(source, CHUNK)):
        writer.writerows(chunk)
        count += len(chunk)
        if progress is not None:
            progress(count)
    return count


def _write_market_statistics(export: OutboundExport, base: Path):
    organisation = export.organisation
    path = base.with_suffix(".csv")

    def progress(done: int) -> None:
        OutboundExport.objects.filter(pk=export.pk).update(done=done)

    total = market_statistics_leases(organisation=organisation).count()
    OutboundExport.objects.filter(pk=export.pk).update(total=total)
    with open(path, "w", encoding="utf-8", newline="") as out:
        rows = market_statistics_write(
            market_statistics_rows(organisation=organisation), out, progress
        )
    through = Lease.parties.through.objects.filter(
        lease_id__in=market_statistics_leases(organisation=organisation).values("pk")
    )
    person_ids = list(dict.fromkeys(through.values_list("person_id", flat=True).iterator()))
    return path, person_ids, rows


def market_statistics_notify(*, organisation: Organisation, person_ids: list[int]) -> int:
    """Tell each tenant once that data about their lease goes to the market statistics (by
    e-mail through Django's mail backend where we have an address; recorded either way, so
    a later export tells only newcomers). Returns how many e-mails were sent."""
    sent = 0
    connection = get_connection()
    for start in range(0, len(person_ids), 1000):
        chunk = person_ids[start : start + 1000]
        told = set(
            MarketStatisticsNotice.objects.filter(
                organisation=organisation, person_id__in=chunk
            ).values_list("person_id", flat=True)
        )
        new = [pid for pid in chunk if pid not in told]
        if not new:
            continue
        people = list(Person.objects.filter(pk__in=new).only("pk", "email"))
        messages = [_market_notice(organisation, p) for p in people if p.email]
        emailed = {p.pk for p in people if p.email}
        if messages:
            sent += connection.send_messages(messages) or 0
        MarketStatisticsNotice.objects.bulk_create(
            [
                MarketStatisticsNotice(
                    organisation=organisation, person_id=p.pk, emailed=p.pk in emailed
                )
                for p in people
            ],
            ignore_conflicts=True,
        )
    return sent


def _market_notice(organisation: Organisation, person: Person) -> EmailMessage:
    body = _(
        "Kære lejer\n\n"
        "%(org)s deltager i branchens markedsstatistik over huslejer (EjendomDanmark). "
        "Til statistikken sendes lejernummer, adresse, boligens areal, huslejen og "
        "indflytningsdatoen for dit lejemål – aldrig dit navn, CPR-nummer, e-mail eller "
        "telefonnummer.\n\n"
        "Du kan når som helst gøre indsigelse; så udelades dit lejemål fra statistikken. "
        "Kontakt os, hvis du ønsker det.\n\n"
        "Venlig hilsen\n%(org)s"
    ) % {"org": organisation.name}
    return EmailMessage(
        subject=_("Dit lejemål indgår i markedsstatistik"),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
    )


# --- the other exports ------------------------------------------------------------------


def _active_leases(qs: QuerySet[Lease]) -> QuerySet[Lease]:
    return (
        qs.filter(status=LeaseStatus.ACTIVE)
        .select_related("unit__entrance")
        .prefetch_related("parties")
        .order_by("unit__search_text", "pk")
    )


def _csv(path: Path, header: Iterable[str], rows: Iterable[Iterable]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _write_meter_reading(export: OutboundExport, base: Path):
    leases = _active_leases(_property_leases(export))
    person_ids: list[int] = []

    def rows():
        for lease in leases:
            for person in lease.parties.all():
                person_ids.append(person.pk)
                yield (
                    lease.number,
                    lease.unit.address,
                    person.public_name,
                    "" if person.protected else person.email,
                    lease.heating_aconto,
                    lease.water_aconto,
                )

    path = base.with_suffix(".csv")
    return path, person_ids, _csv(path, SPECS[ExportKind.METER_READING].fields, rows())


def _write_work_order(export: OutboundExport, base: Path):
    unit = Unit.objects.select_related("entrance").get(pk=_required(export.unit_id))
    leases = _active_leases(Lease.objects.filter(unit=unit))
    person_ids: list[int] = []
    rows = []
    for lease in leases:
        for person in lease.parties.all():
            if person.protected:
                rows.append((unit.address, export.description, str(ASK_OFFICE), "", ""))
                continue
            person_ids.append(person.pk)
            rows.append((unit.address, export.description, person.name, person.phone, person.email))
    if not rows:  # an empty dwelling: the order still says where and what
        rows.append((unit.address, export.description, str(ASK_OFFICE), "", ""))
    path = base.with_suffix(".csv")
    return path, person_ids, _csv(path, SPECS[ExportKind.WORK_ORDER].fields, rows)


def _write_tribunal(export: OutboundExport, base: Path):
    lease = (
        Lease.objects.select_related("unit__entrance")
        .prefetch_related("parties")
        .get(pk=_required(export.lease_id))
    )
    unit = lease.unit
    person_ids: list[int] = []
    rows = []
    for person in lease.parties.all():
        if person.protected:
            email, phone = str(ASK_OFFICE), ""
        else:
            person_ids.append(person.pk)
            email, phone = person.email, person.phone
        rows.append(
            (
                unit.entrance.postcode,
                unit.entrance.city,
                unit.area_m2,
                unit.rooms,
                lease.rent,
                lease.heating_aconto,
                lease.water_aconto,
                f"{lease.start_date:%Y-%m}",
                lease.get_heating_display(),
                lease.get_water_display(),
                lease.get_electricity_display(),
                email,
                phone,
            )
        )
    path = base.with_suffix(".csv")
    return path, person_ids, _csv(path, SPECS[ExportKind.TRIBUNAL].fields, rows)


def _csv_bytes(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _required(pk: int | None) -> int:
    assert pk is not None  # noqa: S101 - checked on create
    return pk


def _property_id(export: OutboundExport) -> int:
    return _required(export.property_id)


def _property_leases(export: OutboundExport) -> QuerySet[Lease]:
    return Lease.objects.filter(unit__entrance__building__property_id=_property_id(export))


def _write_handover(export: OutboundExport, base: Path):
    units = (
        Unit.objects.filter(entrance__building__property_id=_property_id(export))
        .select_related("entrance")
        .order_by("search_text", "pk")
    )
    leases = list(
        _property_leases(export)
        .select_related("unit__entrance")
        .prefetch_related("parties")
        .order_by("unit__search_text", "-start_date", "pk")
    )
    person_ids: list[int] = []
    tenants = []
    for lease in leases:
        for person in lease.parties.all():
            person_ids.append(person.pk)
            if person.protected:
                tenants.append((lease.number, str(PROTECTED), "", "", "ja"))
            else:
                tenants.append((lease.number, person.name, person.email, person.phone, "nej"))
    path = base.with_suffix(".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "enheder.csv",
            _csv_bytes(
                ("adresse", "etage", "doer", "areal_m2", "vaerelser", "bbr_enheds_id"),
                (
                    (u.entrance.address, u.floor, u.door, u.area_m2, u.rooms, u.bbr_unit_id or "")
                    for u in units
                ),
            ),
        )
        archive.writestr(
            "lejemaal.csv",
            _csv_bytes(
                (
                    "lejemaalsnummer",
                    "adresse",
                    "start",
                    "slut",
                    "status",
                    "husleje",
                    "aconto_varme",
                    "aconto_vand",
                ),
                (
                    (
                        x.number,
                        x.unit.address,
                        x.start_date,
                        x.end_date or "",
                        x.get_status_display(),
                        x.rent,
                        x.heating_aconto,
                        x.water_aconto,
                    )
                    for x in leases
                ),
            ),
        )
        archive.writestr(
            "lejere.csv",
            _csv_bytes(("lejemaalsnummer", "navn", "email", "telefon", "beskyttet"), tenants),
        )
        archive.writestr("LAES_MIG.txt", _handover_readme(export).encode("utf-8"))
    return path, list(dict.fromkeys(person_ids)), len(leases)


def _handover_readme(export: OutboundExport) -> str:
    return _(
        "Overdragelse af ejendommen %(property)s fra %(org)s til %(recipient)s.\n\n"
        "enheder.csv: ejendommens enheder. lejemaal.csv: lejemål (aktive og tidligere). "
        "lejere.csv: lejerne med kontaktoplysninger.\n\n"
        "CPR-numre overdrages ikke. Lejere med navne- og adressebeskyttelse står som "
        "'Beskyttet person' uden kontaktoplysninger; navnet oplyses ad sikker vej af "
        "administrationen.\n"
    ) % {
        "property": export.property.name if export.property else "",
        "org": export.organisation.name,
        "recipient": export.recipient,
    }


def _lease_copy(lease: Lease) -> str:
    names = ", ".join(p.public_name for p in lease.parties.all())
    fields = SPECS[ExportKind.FIRST_OFFER].fields
    values = (
        lease.number,
        lease.unit.address,
        names,
        f"{lease.start_date:%d.%m.%Y}",
        lease.rent,
        lease.heating_aconto,
        lease.water_aconto,
        lease.unit.area_m2,
        lease.unit.rooms,
    )
    lines = [_("Kopi af lejekontrakt (tilbudspligt)"), ""]
    lines += [f"{field}: {value}" for field, value in zip(fields, values, strict=True)]
    return "\n".join(lines) + "\n"


def _write_first_offer(export: OutboundExport, base: Path):
    leases = _active_leases(_property_leases(export))
    person_ids: list[int] = []
    count = 0
    path = base.with_suffix(".zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for lease in leases:
            person_ids += [p.pk for p in lease.parties.all()]
            archive.writestr(f"lejekontrakt-{lease.number}.txt", _lease_copy(lease).encode())
            count += 1
    return path, person_ids, count


WRITERS: dict[str, Callable[[OutboundExport, Path], tuple[Path, list[int], int]]] = {
    ExportKind.MARKET_STATISTICS: _write_market_statistics,
    ExportKind.METER_READING: _write_meter_reading,
    ExportKind.WORK_ORDER: _write_work_order,
    ExportKind.TRIBUNAL: _write_tribunal,
    ExportKind.HANDOVER: _write_handover,
    ExportKind.FIRST_OFFER: _write_first_offer,
}

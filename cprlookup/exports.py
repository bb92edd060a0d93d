"""Excel downloads for CPR lookups (core.excel). Anything downloaded can leave the
organisation, so protected persons appear as "Beskyttet person" without name or address,
and CPR numbers are masked unless the user is a CPR officer of the organisation."""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.utils.translation import gettext as _

from core import crypto
from core.excel import Column, xlsx_filename, xlsx_response
from tenancy import hooks
from tenancy.hooks import DataCategory, RecipientKind

from .models import CprLookup


def download_disclosed(*, user, organisation_id: int, person_ids, full_cpr: bool, reference: str):
    """Log a download carrying CPR-derived data about known people in the disclosure log
    (tenancy.hooks.personal_data_disclosed, filled by gdpr): the file can leave the
    organisation, so it counts as a transfer to the member of staff who took it."""
    ids = tuple(dict.fromkeys(pid for pid in person_ids if pid))
    if not ids:
        return
    categories = (DataCategory.NAME, DataCategory.BIRTH_DATE, DataCategory.ADDRESS)
    categories += (DataCategory.CPR,) if full_cpr else ()
    categories += (DataCategory.MOVES, DataCategory.PROTECTION)
    hooks.personal_data_disclosed.call(
        [
            hooks.Disclosure(
                organisation_id=organisation_id,
                recipient=_("Excel-fil hentet af %s") % user.get_username(),
                recipient_kind=RecipientKind.DOWNLOAD,
                categories=categories,
                person_ids=ids,
                legal_basis=_(
                    "Udlejers kontrol af beboelse (GDPR art. 6, stk. 1, litra c og e); "
                    "CPR-udlejerservice"
                ),
                purpose=_("Udtræk af CPR-opslag"),
                source="cprlookup.export",
                reference=reference,
                actor_id=user.pk,
            )
        ]
    )


def _cpr(row, full: bool) -> str:
    if full and row.cpr_encrypted:
        cpr = crypto.decrypt(row.cpr_encrypted)
        return f"{cpr[:6]}-{cpr[6:]}"
    return row.cpr_masked


def _birth_date(row):
    from core.cpr import cpr_birth_date

    try:
        return cpr_birth_date(crypto.decrypt(row.cpr_encrypted))
    except (ValueError, InvalidToken):  # a CPR number stdnum cannot date: leave it empty
        return None


def lookup_result_response(*, lookup: CprLookup, residents, full_cpr: bool):
    """The lookup result with the fuller detail (docs/domain.md, CPR lookups)."""

    def address(row, part):
        if row.is_protected:
            return ""
        unit = row.unit
        if unit is None:
            return {"floor": row.floor, "door": row.door}.get(part, "")
        e = unit.entrance
        return {
            "street": e.street_address,
            "floor": unit.floor,
            "door": unit.door,
            "postcode": f"{e.postcode} {e.city}",
        }[part]

    columns = [
        Column(_("Navn"), lambda r: r.public_name, width=28),
        Column(_("CPR-nummer"), _unless_protected(lambda r: _cpr(r, full_cpr)), width=14),
        Column(_("Fødselsdato"), lambda r: None if r.is_protected else _birth_date(r), kind="date"),
        Column(_("Beskyttet"), lambda r: r.is_protected, width=10),
        Column(_("Tilflyttet"), lambda r: r.move_in, kind="date"),
        Column(_("Fraflyttet"), lambda r: r.move_out, kind="date"),
        Column(_("Adresse"), lambda r: address(r, "street"), width=28),
        Column(_("Etage"), lambda r: address(r, "floor"), width=8),
        Column(_("Dør"), lambda r: address(r, "door"), width=8),
        Column(_("Postnr. og by"), lambda r: address(r, "postcode"), width=20),
        Column(
            _("DAR adresse-id"),
            lambda r: "" if r.is_protected else str(r.dar_address_id or ""),
            width=38,
        ),
        Column(
            _("DAR husnummer-id"),
            lambda r: "" if r.is_protected or r.unit is None else str(r.unit.entrance.dar_id),
            width=38,
        ),
        Column(_("Person i systemet"), lambda r: bool(r.person_id), width=10),
        Column(_("Opslagstidspunkt"), lambda r: lookup.at, kind="datetime", width=18),
        Column(_("Formål"), lambda r: lookup.purpose, width=30),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-opslag"), title=_("CPR-opslag"), columns=columns, rows=residents
    )


def lookup_log_response(*, lookups, stem: str = "cpr-opslagslog"):
    columns = [
        Column(_("Tidspunkt"), lambda r: r.at, kind="datetime", width=18),
        Column(_("Bruger"), lambda r: r.user.username if r.user else _("Planlagt scanning")),
        Column(_("Organisation"), lambda r: r.organisation.name, width=28),
        Column(_("Kilde"), lambda r: r.get_source_display()),
        Column(_("Søgning på"), lambda r: r.get_target_kind_display(), width=20),
        Column(_("Adresse"), lambda r: r.target_label, width=36),
        Column(_("Formål / sagsnummer"), lambda r: r.purpose, width=30),
        Column(_("Udfald"), lambda r: r.get_outcome_display()),
        Column(_("Antal personer"), lambda r: r.result_count, kind="int"),
        Column(_("Fejl"), lambda r: r.error_message, width=30),
    ]
    return xlsx_response(
        filename=xlsx_filename(stem), title=_("CPR-opslag"), columns=columns, rows=lookups
    )


def charges_response(*, charges):
    columns = [
        Column(_("Tidspunkt"), lambda r: r.at, kind="datetime", width=18),
        Column(_("Måned"), lambda r: f"{r.month:%Y-%m}", width=10),
        Column(_("Organisation"), lambda r: r.organisation.name, width=28),
        Column(_("Bruger"), lambda r: r.user.username if r.user else _("Planlagt scanning")),
        Column(_("Kilde"), lambda r: r.get_source_display()),
        Column(_("Adresse"), lambda r: r.lookup.target_label, width=36),
        Column(_("Formål / sagsnummer"), lambda r: r.lookup.purpose, width=30),
        Column(_("Beløb"), lambda r: r.amount, kind="money"),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-omkostninger"),
        title=_("CPR-omkostninger"),
        columns=columns,
        rows=charges,
    )


def _event_person(event) -> str:
    if event.is_protected:
        return str(_("Beskyttet person"))
    return event.person.name if event.person is not None else event.name


def _unless_protected(value):
    """A column's value, withheld for a protected person: where the name is withheld, the
    address, lease and CPR number must not identify them either (docs/domain.md)."""
    return lambda row: "" if row.is_protected else value(row)


def events_response(*, events):
    columns = [
        Column(_("Opdaget"), lambda e: e.detected_at, kind="datetime", width=18),
        Column(_("Hændelse"), lambda e: e.get_kind_display(), width=14),
        Column(_("Flyttedato"), lambda e: e.date, kind="date"),
        Column(_("Adresse"), _unless_protected(lambda e: e.unit.street_address), width=32),
        Column(
            _("Postnr. og by"),
            _unless_protected(lambda e: f"{e.unit.entrance.postcode} {e.unit.entrance.city}"),
        ),
        Column(_("Person"), _event_person, width=28),
        Column(_("CPR-nummer"), _unless_protected(lambda e: e.cpr_masked), width=14),
        Column(
            _("Lejemål"), _unless_protected(lambda e: e.lease.number if e.lease else ""), width=14
        ),
        Column(_("Beskyttet"), lambda e: e.is_protected, width=10),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-flytninger"),
        title=_("Flytninger"),
        columns=columns,
        rows=events,
    )


def reconciliation_response(*, rows):
    """`rows`: (unit, active lease or None, disagreement label) per disagreement."""
    columns = [
        Column(_("Adresse"), lambda r: r[0].street_address, width=32),
        Column(_("Postnr. og by"), lambda r: f"{r[0].entrance.postcode} {r[0].entrance.city}"),
        Column(_("Benyttelse (392)"), lambda r: r[0].occupancy.get_status_display(), width=22),
        Column(_("Tilmeldte i CPR"), lambda r: r[0].occupancy.registered_count, kind="int"),
        Column(_("Beregnet"), lambda r: r[0].occupancy.computed_at, kind="datetime", width=18),
        Column(_("Lejemål"), lambda r: r[1].number if r[1] else "", width=14),
        Column(_("Uoverensstemmelse"), lambda r: r[2], width=50),
        Column(_("Forældet"), lambda r: r[0].occupancy.is_stale, width=10),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-afstemning"),
        title=_("Afstemning med CPR"),
        columns=columns,
        rows=rows,
    )


def scan_jobs_response(*, jobs):
    columns = [
        Column(_("Scanning nr."), lambda j: j.pk, kind="int", width=12),
        Column(_("Organisation"), lambda j: j.organisation.name, width=28),
        Column(_("Oprettet"), lambda j: j.created_at, kind="datetime", width=18),
        Column(
            _("Startet af"),
            lambda j: j.started_by.get_username() if j.started_by else _("Planlagt scanning"),
        ),
        Column(_("Status"), lambda j: j.get_status_display()),
        Column(_("Opgange"), lambda j: j.total, kind="int"),
        Column(_("Slået op"), lambda j: j.done, kind="int"),
        Column(_("Fejlet"), lambda j: j.failed, kind="int"),
        Column(_("Færdig"), lambda j: j.finished_at, kind="datetime", width=18),
    ]
    return xlsx_response(
        filename=xlsx_filename("cpr-scanninger"),
        title=_("CPR-scanninger"),
        columns=columns,
        rows=jobs,
    )

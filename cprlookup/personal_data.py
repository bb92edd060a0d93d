"""What the CPR lookups hold about a person (core.personal_data): the residents in CPR's
answers (every lookup and nightly scan that found them), the current registrations per
unit, the detected moves, and the purpose text of the lookup log.

The residents and the lookup log are append-only for everyone else; anonymisation is the
one sanctioned change, through the plain base manager."""

import contextlib
from datetime import datetime

from cryptography.fernet import InvalidToken
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from core.personal_data import (
    SCRUBBED,
    Provider,
    Section,
    Subject,
    cpr_forms,
    mentions,
    rows_update,
    scrub_text,
)

from .models import CprLookup, CprLookupResident, CprRegistration, LookupSource, OccupancyEvent


def _plain(value):
    return value.isoformat() if value is not None else None


def _who(subject: Subject, org_field: str) -> Q:
    """Rows of the subject (by CPR hash or linked person) inside the organisation scope."""
    match = Q(cpr_hash__in=subject.cpr_hashes) | Q(person_id__in=subject.person_ids)
    return match & Q(**{f"{org_field}__in": subject.organisation_ids})


def residents(subject: Subject):
    """By CPR hash only: the hash is indexed, the person link is not (a year of scans)."""
    return CprLookupResident._base_manager.filter(
        cpr_hash__in=subject.cpr_hashes, lookup__organisation_id__in=subject.organisation_ids
    )


def registrations(subject: Subject):
    return CprRegistration.objects.filter(_who(subject, "organisation_id"))


def events(subject: Subject):
    return OccupancyEvent.objects.filter(_who(subject, "organisation_id"))


class CprLookupPersonalData(Provider):
    app = "cprlookup"

    def match(self, subject: Subject, *, link: bool) -> Subject:
        """The names and CPR numbers CPR gave for the subject (they may be spelt
        differently from the tenancy record)."""
        if not subject.cpr_hashes and not subject.person_ids:
            return subject
        identifiers: set[str] = set()
        for row in residents(subject).values("name", "cpr_encrypted").distinct()[:200]:
            identifiers.add(row["name"])
            if row["cpr_encrypted"]:
                with contextlib.suppress(InvalidToken):
                    identifiers.update(cpr_forms(crypto.decrypt(row["cpr_encrypted"])))
        identifiers.update(registrations(subject).values_list("name", flat=True)[:200])
        return subject.add(identifiers=identifiers)

    def collect(self, subject: Subject) -> list[Section]:
        found = residents(subject).select_related("lookup").order_by("lookup__at", "pk")
        return [
            Section(
                self.app,
                "cprlookup.answers",
                _("CPR-opslag, hvor personen indgik"),
                [
                    {
                        _("Tidspunkt"): _plain(r.lookup.at),
                        _("Formål"): r.lookup.purpose,
                        _("Kilde"): str(r.lookup.get_source_display()),
                        _("Adresse"): r.lookup.target_label,
                        _("Navn i svaret"): r.public_name,
                        _("CPR-nummer"): r.cpr_masked,
                        _("Tilflytning"): _plain(r.move_in),
                        _("Fraflytning"): _plain(r.move_out),
                    }
                    for r in found.iterator(chunk_size=2000)
                ],
            ),
            Section(
                self.app,
                "cprlookup.registrations",
                _("Registreringer i CPR på vores adresser"),
                [
                    {
                        _("Enhed"): r.unit.address,
                        _("Navn"): r.public_name,
                        _("CPR-nummer"): r.cpr_masked,
                        _("Tilflytning"): _plain(r.move_in),
                        _("Fraflytning"): _plain(r.move_out),
                    }
                    for r in registrations(subject).select_related("unit__entrance")
                ],
            ),
            Section(
                self.app,
                "cprlookup.moves",
                _("Flytninger registreret i CPR"),
                [
                    {
                        _("Hændelse"): str(e.get_kind_display()),
                        _("Dato"): _plain(e.date),
                        _("Enhed"): e.unit.address,
                        _("Opdaget"): _plain(e.detected_at),
                    }
                    for e in events(subject).select_related("unit__entrance")
                ],
            ),
        ]

    def anonymise(self, subject: Subject) -> int:
        changed = _scrub_lookup_log(subject)
        changed += residents(subject).update(
            name="", cpr_encrypted="", cpr_hash="", cpr_masked="", protected=False
        )
        # The registrations picture only who lives there now: a new lookup adds them back
        # if CPR still has them at the unit (then with a lawful basis of its own).
        changed += registrations(subject).delete()[0]
        moves = list(events(subject).exclude(cpr_masked=""))
        for event in moves:
            event.cpr_hash = f"anonymised:{event.pk}"  # unique per (lookup, unit, kind)
            event.cpr_masked = event.name = ""
        rows_update(moves, ["cpr_hash", "cpr_masked", "name"])
        return changed + len(moves)

    def retention_keys(self) -> list[str]:
        return [CPR_ANSWERS, CPR_REGISTRATIONS, CPR_MOVES, CPR_LOOKUP_LOG]

    def retention_count(self, key, *, before, scope) -> int:
        return retention_rows(key, before=before, scope=scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        return retention_purge(key, before=before, scope=scope, limit=limit)


def _scrub_lookup_log(subject: Subject) -> int:
    """The purpose and error texts a user typed for the ad hoc lookups that found the
    subject (scans have the system's own purpose text). Stray identifiers elsewhere are
    for the data discovery (issue 16)."""
    words = [w for w in subject.identifiers if len(w.strip()) >= 3]
    if not words:
        return 0
    lookup_ids = residents(subject).filter(lookup__source=LookupSource.ADHOC)
    changed = 0
    base = CprLookup._base_manager.filter(
        pk__in=lookup_ids.values("lookup_id"), organisation_id__in=subject.organisation_ids
    )
    for lookup in base.only("pk", "purpose", "error_message"):
        if not mentions(lookup.purpose + " " + lookup.error_message, words):
            continue
        base.filter(pk=lookup.pk).update(
            purpose=scrub_text(lookup.purpose, words),
            error_message=scrub_text(lookup.error_message, words),
        )
        changed += 1
    return changed


# --- retention: CPR answers, registrations of people who moved, moves, the lookup log ---

CPR_ANSWERS = "cpr_answers"
CPR_REGISTRATIONS = "cpr_registrations"
CPR_MOVES = "cpr_moves"
CPR_LOOKUP_LOG = "cpr_lookup_log"


def _scoped(queryset, scope, field: str = "organisation_id"):
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def retention_rows(key: str, *, before: datetime, scope):
    """The rows of a category past `before` that the run still has to handle."""
    if key == CPR_ANSWERS:
        lookups = _scoped(CprLookup._base_manager.filter(at__lt=before), scope)
        return CprLookupResident._base_manager.filter(lookup__in=lookups.values("pk"))
    if key == CPR_REGISTRATIONS:
        day = timezone.localdate(before)
        return _scoped(CprRegistration.objects.filter(move_out__lt=day), scope)
    if key == CPR_MOVES:
        return _scoped(OccupancyEvent.objects.filter(detected_at__lt=before), scope)
    lookups = CprLookup._base_manager.filter(at__lt=before, source=LookupSource.ADHOC)
    return _scoped(lookups.exclude(purpose=SCRUBBED), scope)


def retention_purge(key: str, *, before: datetime, scope, limit: int) -> int:
    """Handle up to `limit` rows: answers, registrations and moves are deleted; the lookup
    log keeps its rows without the purpose text."""
    rows = retention_rows(key, before=before, scope=scope)
    ids = list(rows.order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    if key == CPR_LOOKUP_LOG:  # the row stays (who, when, address, count, the charge)
        return CprLookup._base_manager.filter(pk__in=ids).update(purpose=SCRUBBED, error_message="")
    rows.model._base_manager.filter(pk__in=ids).delete()  # nothing points at these rows
    return len(ids)

"""Records CPR's rules ask for around a lookup: the private landlord's document for the number
of dwellings (CPR Act §39) and the reveal log of a full-CPR download of a lookup
(docs/domain.md, "CPR lookups" and "Personal data")."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy import hooks
from tenancy.models import Organisation, Person
from tenancy.selectors import can_reveal_cpr, role_for

from ..models import CprLookup, DwellingsEvidence
from ..records import LookupCprDownload
from .lookup import check_member

DOCUMENT_MAX_LENGTH = 200
PURPOSE_MAX_LENGTH = 300


# The form's limit too; far above any Danish landlord, and inside the column's range.
MAX_DWELLINGS = 10_000_000


def dwellings_evidence_record(
    *, user, organisation: Organisation, dwellings: int, document: str, note: str = ""
) -> DwellingsEvidence:
    """Record the document that shows how many dwellings a private landlord owns and lets
    (an organisation admin only). From then on the typed number counts up to `dwellings`."""
    check_member(user, organisation)
    if role_for(user=user, organisation=organisation) != "org_admin":
        raise PermissionDenied(_("Kun en organisationsadministrator kan registrere dokumentation."))
    document = (document or "").strip()
    if not document:
        raise DomainError(
            {"document": [_("Skriv hvilket dokument der viser antallet af boliger.")]}
        )
    if len(document) > DOCUMENT_MAX_LENGTH:
        raise DomainError(
            {"document": [_("Dokumentet må højst beskrives med %d tegn.") % DOCUMENT_MAX_LENGTH]}
        )
    if dwellings < 0:
        raise DomainError({"dwellings": [_("Antallet kan ikke være negativt.")]})
    if dwellings > MAX_DWELLINGS:
        raise DomainError(
            {
                "dwellings": [
                    _("Antallet kan højst være %s.") % f"{MAX_DWELLINGS:,}".replace(",", ".")
                ]
            }
        )
    with transaction.atomic():
        evidence = DwellingsEvidence.objects.create(
            organisation=organisation,
            dwellings=dwellings,
            document=document,
            note=(note or "").strip(),
            recorded_by=user,
        )
        if organisation.dwellings_owned != dwellings:
            Organisation.objects.filter(pk=organisation.pk).update(dwellings_owned=dwellings)
            organisation.dwellings_owned = dwellings
    return evidence


def lookup_cpr_download(*, user, lookup: CprLookup, purpose: str) -> LookupCprDownload:
    """Log a CPR officer's download of a lookup with full CPR numbers, like the on-screen
    reveal: the purpose is asked for first; every resident linked to a person in the system
    is logged as a reveal of that person (tenancy.hooks.cpr_reveal_loggers; refused when
    no logger is registered), and the download itself
    (all residents, linked or not) is one `LookupCprDownload` row. Refused without the role.
    The loggers are called as `tenancy.services.person_cpr_reveal` calls them (same
    transaction as the download's row), without decrypting each number a second time."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError({"purpose": [_("Skriv formålet med at se de fulde CPR-numre.")]})
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise DomainError({"purpose": [_("Formålet må højst være %d tegn.") % PURPOSE_MAX_LENGTH]})
    if not can_reveal_cpr(user=user, organisation_id=lookup.organisation_id):
        raise PermissionDenied(_("Kun CPR-ansvarlige kan se fulde CPR-numre."))
    if not len(hooks.cpr_reveal_loggers):
        raise PermissionDenied(_("Visning af CPR-numre logges ikke; kontakt administratoren."))
    residents = list(lookup.residents.all())
    person_ids = {r.person_id for r in residents if r.person_id is not None}
    with transaction.atomic():
        download = LookupCprDownload.objects.create(
            lookup=lookup,
            organisation_id=lookup.organisation_id,
            user=user,
            purpose=purpose,
            residents=len(residents),
        )
        logged = _("Excel-download af CPR-opslag: %s") % purpose
        for person in Person.objects.filter(
            pk__in=person_ids, organisation_id=lookup.organisation_id
        ).exclude(cpr_encrypted=""):
            hooks.cpr_reveal_loggers.call(
                user=user, person=person, purpose=logged[:PURPOSE_MAX_LENGTH]
            )
    return download

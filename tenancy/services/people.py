"""People: create and change (the CPR number validated and encrypted), and the logged
reveal of a full CPR number."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.cpr import cpr_birth_date, normalise_cpr, validate_cpr
from core.errors import DomainError

from .. import hooks
from ..choices import LIVE_LEASE_STATUSES
from ..errors import TenantChangeError
from ..history import record_change, snapshot
from ..models import Lease, Organisation, Person
from ..selectors import can_reveal_cpr
from .common import full_clean

# The reveal log's purpose column (gdpr.CprReveal.purpose) holds this many characters.
REVEAL_PURPOSE_MAX_LENGTH = 300


def person_create(
    *,
    organisation: Organisation,
    name: str,
    cpr: str = "",
    birth_date: date | None = None,
    email: str = "",
    phone: str = "",
    protected: bool = False,
    actor=None,
) -> Person:
    """Create a person; a CPR number is validated, encrypted and gives the birth date."""
    person = Person(
        organisation=organisation,
        name=name.strip(),
        email=email,
        phone=phone,
        protected=protected,
        birth_date=birth_date,
    )
    _apply_cpr(person, cpr)
    full_clean(person)
    with transaction.atomic():
        person.save()
        record_change(
            instance=person, action="create", actor=actor, before=None, after=snapshot(person)
        )
    return person


def person_cpr_reveal(*, user, person: Person, purpose: str) -> str:
    """Return the person's full CPR number ("DDMMYY-SSSS") and log the reveal. Only a CPR
    officer of the person's organisation may do this (most staff never see the last four
    digits; each reveal is logged with its purpose, docs/domain.md "Personal data").

    Raises PermissionDenied for anyone else, DomainError when the purpose is missing or
    the person has no CPR number stored (nothing is logged then), and DomainError when no
    app logs reveals (tenancy.hooks.cpr_reveal_loggers is empty). The reveal is logged
    before the number is returned, in one transaction, so no number is shown unlogged.
    """
    if not getattr(user, "is_authenticated", False) or not can_reveal_cpr(
        user=user, organisation_id=person.organisation_id
    ):
        raise PermissionDenied(_("Kun CPR-ansvarlige i personens organisation kan se CPR-numre."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError({"purpose": [_("Skriv formålet med at se CPR-nummeret.")]})
    if len(purpose) > REVEAL_PURPOSE_MAX_LENGTH:
        raise DomainError(
            {"purpose": [_("Formålet må højst være %d tegn.") % REVEAL_PURPOSE_MAX_LENGTH]}
        )
    if not person.cpr_encrypted:
        raise DomainError(_("Der er ikke registreret et CPR-nummer for personen."))
    if not len(hooks.cpr_reveal_loggers):
        raise DomainError(_("Visning af CPR-numre er ikke tilgængelig: ingen logning."))
    with transaction.atomic():
        hooks.cpr_reveal_loggers.call(user=user, person=person, purpose=purpose)
    return person.reveal_cpr()


def _apply_cpr(person: Person, cpr: str) -> None:
    cpr = normalise_cpr(cpr)
    if not cpr:
        return
    try:
        validate_cpr(cpr)
    except ValidationError as exc:
        raise DomainError({"cpr": exc.messages}) from exc
    born = cpr_birth_date(cpr)
    if person.birth_date and person.birth_date != born:
        raise DomainError({"birth_date": [_("Fødselsdatoen passer ikke med CPR-nummeret.")]})
    person.birth_date = born
    person.set_cpr(cpr)


def person_update(
    *, person: Person, actor=None, cpr: str | None = None, reason: str = "", **fields
) -> Person:
    """Update contact details, name, protection or CPR number.

    For a party to a lease the tenant-change rule cannot be bypassed through the person
    (docs/domain.md, "Leases"): a change of CPR number or birth date corrects the
    identity of the same person, so it needs a `reason`, is recorded as a correction and
    re-files the person's leases; it may not come together with a new name (a new name and
    number is another person: end the lease and create a new one), and a CPR number that
    belongs to another person of the organisation is refused. A name change alone (e.g.
    marriage) is allowed and re-files the leases. An anonymised person (GDPR retention or
    erasure) is not changed any more: that would identify them again."""
    if person.anonymised_at is not None:
        raise DomainError(_("Personen er anonymiseret og kan ikke rettes."))
    allowed = {"name", "birth_date", "email", "phone", "protected"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    old = (person.name, person.cpr_hash, person.birth_date)
    before = snapshot(person)
    for key, value in fields.items():
        setattr(person, key, value)
    if cpr is not None:
        if cpr:
            if "birth_date" not in fields:
                person.birth_date = None
            _apply_cpr(person, cpr)
        else:
            person.set_cpr("")
    full_clean(person)
    name_changed = person.name != old[0]
    identity_changed = (person.cpr_hash, person.birth_date) != old[1:]
    is_party = person.pk is not None and Lease.objects.filter(parties=person).exists()
    if is_party and identity_changed:
        reason = _check_party_identity_change(person, name_changed, reason)
    with transaction.atomic():
        person.save()
        after = snapshot(person)
        if person.cpr_hash != old[1] and after.get("cpr_masked") == before.get("cpr_masked"):
            # Only the last four digits changed: say so without showing them.
            after["cpr_masked"] = _("%s (rettet)") % person.cpr_masked
        record = record_change(
            instance=person,
            action="update",
            actor=actor,
            before=before,
            after=after,
            correction=is_party and identity_changed,
            reason=reason if is_party and identity_changed else "",
        )
        if is_party and (name_changed or identity_changed):
            _refile_leases(person, record, correction=identity_changed, reason=reason)
    return person


def _check_party_identity_change(person: Person, name_changed: bool, reason: str) -> str:
    if name_changed:
        raise TenantChangeError(
            {
                "cpr": [
                    _(
                        "Navn og CPR-nummer (eller fødselsdato) kan ikke ændres på én gang for en "
                        "lejer. Er det en anden person, er det et lejerskifte: afslut lejemålet "
                        "og opret et nyt. Ret ellers navnet og CPR-nummeret hver for sig."
                    )
                ]
            }
        )
    if person.cpr_hash:
        other = (
            Person.objects.filter(organisation_id=person.organisation_id, cpr_hash=person.cpr_hash)
            .exclude(pk=person.pk)
            .first()
        )
        if other is not None:
            raise TenantChangeError(
                {
                    "cpr": [
                        _(
                            "CPR-nummeret tilhører en anden person i organisationen (%(name)s). "
                            "En anden person sættes aldrig på et lejemål ved at rette CPR-"
                            "nummeret: afslut lejemålet og opret et nyt med den rigtige lejer."
                        )
                        % {"name": other.name}
                    ]
                }
            )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            {
                "reason": [
                    _(
                        "Personen er lejer: en rettelse af CPR-nummer eller fødselsdato "
                        "indberettes igen som en rettelse. Skriv hvad der rettes og hvorfor."
                    )
                ]
            }
        )
    if len(reason) > REVEAL_PURPOSE_MAX_LENGTH:
        raise DomainError(
            {"reason": [_("Begrundelsen må højst være %d tegn.") % REVEAL_PURPOSE_MAX_LENGTH]}
        )
    return reason


def _refile_leases(person: Person, record, *, correction: bool, reason: str) -> None:
    """File the person's leases that are not over again (their tenant identity changed),
    through the lease_changed hook with the person's change record."""
    leases = Lease.objects.filter(parties=person, status__in=LIVE_LEASE_STATUSES).order_by("pk")
    for lease in leases:
        hooks.lease_changed.call(
            hooks.LeaseChange(record=record, lease=lease, correction=correction, reason=reason)
        )

"""The data subject's rights that write (issue 15): consents and other recorded bases,
objections, restriction of processing, and the CPR-storage guard tenancy calls.

Services with keyword arguments; each writes inside `transaction.atomic()`, records the
change in tenancy's change history (who, when, before/after) and raises a DomainError with
a Danish message when a rule is broken. Views, API and admin call these."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import personal_data
from core.errors import DomainError
from tenancy.history import record_change, snapshot
from tenancy.hooks import CprBasis
from tenancy.models import Person
from tenancy.services import person_update

from ..models import (
    BasisKind,
    Consent,
    ConsentPurpose,
    Objection,
    ObjectionPurpose,
    Restriction,
)

EVIDENCE_MAX_LENGTH = 500


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _text(value: str, *, field: str, required: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError({field: [required]})
    if len(value) > EVIDENCE_MAX_LENGTH:
        raise DomainError({field: [_("Højst %d tegn.") % EVIDENCE_MAX_LENGTH]})
    return value


def _lock(person: Person) -> None:
    """One change to a person's register at a time (the unique constraints back this)."""
    Person.objects.select_for_update().filter(pk=person.pk).first()


# --- consents and other recorded bases -------------------------------------------------------


def consent_give(
    *,
    person: Person,
    purpose: str,
    evidence: str,
    actor=None,
    basis: str = BasisKind.CONSENT,
) -> Consent:
    """Record the person's consent (or another basis) for `purpose`, with the evidence
    (where the signed consent is, which rule applies)."""
    if purpose not in ConsentPurpose.values:
        raise DomainError({"purpose": [_("Vælg et formål fra listen.")]})
    if basis not in BasisKind.values:
        raise DomainError({"basis": [_("Vælg et grundlag fra listen.")]})
    if purpose == ConsentPurpose.HEALTH and basis != BasisKind.CONSENT:
        raise DomainError(
            {"basis": [_("Helbredsoplysninger kan kun behandles med personens samtykke.")]}
        )
    evidence = _text(
        evidence,
        field="evidence",
        required=_("Skriv hvor samtykket eller grundlaget er dokumenteret."),
    )
    with transaction.atomic():
        _lock(person)
        if Consent.objects.filter(person=person, purpose=purpose, withdrawn_at=None).exists():
            raise DomainError(_("Der er allerede et aktivt samtykke eller grundlag for formålet."))
        consent = Consent.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            purpose=purpose,
            basis=basis,
            given_at=timezone.now(),
            given_by=_user(actor),
            evidence=evidence,
        )
        record_change(
            instance=consent,
            action="consent_given",
            actor=actor,
            before=None,
            after=snapshot(consent),
            people=[person],
        )
    return consent


def consent_withdraw(*, consent: Consent, evidence: str, actor=None) -> Consent:
    """The person withdrew the consent (or the basis ended). Withdrawing the basis for
    storing the CPR number removes the number at once (tenancy's person service)."""
    evidence = _text(
        evidence,
        field="evidence",
        required=_("Skriv hvordan tilbagekaldelsen er modtaget (fx brev eller mail af dato)."),
    )
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise DomainError(_("Samtykket er allerede trukket tilbage."))
        before = snapshot(consent)
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = _user(actor)
        consent.withdrawal_evidence = evidence
        consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_evidence"])
        person = consent.person
        record_change(
            instance=consent,
            action="consent_withdrawn",
            actor=actor,
            before=before,
            after=snapshot(consent),
            people=[person],
        )
        if consent.purpose == ConsentPurpose.CPR_STORAGE and person.cpr_hash:
            person_update(
                person=person,
                cpr="",
                actor=actor,
                reason=_("Grundlaget for at opbevare CPR-nummeret er ophørt"),
            )
    return consent


def has_cpr_basis(person: Person) -> bool:
    return Consent.objects.filter(
        person=person, purpose=ConsentPurpose.CPR_STORAGE, withdrawn_at=None
    ).exists()


def cpr_storage_guard(*, person: Person, basis: CprBasis | None, actor=None) -> None:
    """tenancy.hooks.cpr_storage_guards: a CPR number is stored only on a recorded basis.
    With `basis` it is recorded (unless one is already active); without, the person must
    already have one, or the number is refused."""
    if has_cpr_basis(person):
        return
    if basis is None:
        raise DomainError(
            {
                "cpr": [
                    _(
                        "CPR-nummeret kan kun gemmes med personens samtykke eller et andet "
                        "registreret grundlag. Angiv grundlaget og hvor det er dokumenteret."
                    )
                ]
            }
        )
    consent_give(
        person=person,
        purpose=ConsentPurpose.CPR_STORAGE,
        basis=basis.kind,
        evidence=basis.evidence,
        actor=actor,
    )


# --- objections -------------------------------------------------------------------------------


def objection_record(*, person: Person, purpose: str, note: str = "", actor=None) -> Objection:
    """The person objects to `purpose` (e.g. market statistics): from now on the person is
    left out of it (gdpr.selectors.objecting_person_ids)."""
    if purpose not in ObjectionPurpose.values:
        raise DomainError({"purpose": [_("Vælg et formål fra listen.")]})
    note = (note or "").strip()[:EVIDENCE_MAX_LENGTH]
    with transaction.atomic():
        _lock(person)
        if Objection.objects.filter(person=person, purpose=purpose, withdrawn_at=None).exists():
            raise DomainError(_("Personen har allerede gjort indsigelse mod dette formål."))
        objection = Objection.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            purpose=purpose,
            recorded_at=timezone.now(),
            recorded_by=_user(actor),
            note=note,
        )
        record_change(
            instance=objection,
            action="objection_recorded",
            actor=actor,
            before=None,
            after=snapshot(objection),
            people=[person],
        )
    return objection


def objection_withdraw(*, objection: Objection, actor=None) -> Objection:
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.withdrawn_at is not None:
            raise DomainError(_("Indsigelsen er allerede trukket tilbage."))
        before = snapshot(objection)
        objection.withdrawn_at = timezone.now()
        objection.withdrawn_by = _user(actor)
        objection.save(update_fields=["withdrawn_at", "withdrawn_by"])
        record_change(
            instance=objection,
            action="objection_withdrawn",
            actor=actor,
            before=before,
            after=snapshot(objection),
            people=[objection.person],
        )
    return objection


# --- restriction of processing ----------------------------------------------------------------


def subject_of(person: Person) -> personal_data.Subject:
    """The person as a data subject across every app (their applicant records found by CPR
    number too), within their organisation."""
    return personal_data.resolve(
        personal_data.Subject.of(organisation_ids=[person.organisation_id], person_ids=[person.pk])
    )


def _flag(person: Person, *, on: bool) -> None:
    """Every app flags (or unflags) its rows of the person; their services then refuse
    processing (core.personal_data.restrict)."""
    personal_data.restrict(subject_of(person), on=on)


def restriction_start(*, person: Person, reason: str, actor=None) -> Restriction:
    """Restrict processing of the person's data until lifted (GDPR art. 18): the services
    of every app refuse offers, CPR lookups and exports (other than legal ones) for them."""
    reason = _text(reason, field="reason", required=_("Skriv hvorfor behandlingen begrænses."))
    with transaction.atomic():
        _lock(person)
        if Restriction.objects.filter(person=person, lifted_at=None).exists():
            raise DomainError(_("Behandlingen af personens oplysninger er allerede begrænset."))
        restriction = Restriction.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            reason=reason,
            started_at=timezone.now(),
            started_by=_user(actor),
        )
        _flag(person, on=True)
        record_change(
            instance=restriction,
            action="restriction_started",
            actor=actor,
            before=None,
            after=snapshot(restriction),
            people=[person],
        )
    return restriction


def restriction_lift(*, restriction: Restriction, reason: str, actor=None) -> Restriction:
    reason = _text(reason, field="reason", required=_("Skriv hvorfor begrænsningen ophæves."))
    with transaction.atomic():
        restriction = Restriction.objects.select_for_update().get(pk=restriction.pk)
        if restriction.lifted_at is not None:
            raise DomainError(_("Begrænsningen er allerede ophævet."))
        before = snapshot(restriction)
        restriction.lifted_at = timezone.now()
        restriction.lifted_by = _user(actor)
        restriction.lift_reason = reason
        restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        _flag(restriction.person, on=False)
        record_change(
            instance=restriction,
            action="restriction_lifted",
            actor=actor,
            before=before,
            after=snapshot(restriction),
            people=[restriction.person],
        )
    return restriction

"""People: create and change (the CPR number validated and encrypted), and the logged
reveal of a full CPR number."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.cpr import cpr_birth_date, normalise_cpr, validate_cpr
from core.errors import DomainError

from .. import hooks
from ..history import record_change, snapshot
from ..models import Organisation, Person
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


def person_update(*, person: Person, actor=None, cpr: str | None = None, **fields) -> Person:
    """Update contact details, name, protection or CPR number."""
    allowed = {"name", "birth_date", "email", "phone", "protected"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
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
    with transaction.atomic():
        person.save()
        record_change(
            instance=person, action="update", actor=actor, before=before, after=snapshot(person)
        )
    return person

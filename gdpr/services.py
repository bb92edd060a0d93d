"""GDPR operations that write. Views, API and admin call these; none re-implements a rule."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.errors import DomainError
from tenancy.models import Person
from tenancy.selectors import can_reveal_cpr

from .models import CprReveal

PURPOSE_MAX_LENGTH = CprReveal._meta.get_field("purpose").max_length


def cpr_reveal(*, user, person: Person, purpose: str) -> str:
    """Return the person's full CPR number ("DDMMYY-SSSS") and log the reveal. Only a CPR officer of the person's organisation may do this (DOMAIN.md §4:
    most staff cannot see the last four digits; each reveal is logged with its purpose).

    Raises PermissionDenied for anyone else, DomainError when the purpose is missing or
    the person has no CPR number stored (nothing is logged then).
    The reveal is logged before the number is returned, in one transaction, so no number
    is ever shown without a log row.
    """
    if not getattr(user, "is_authenticated", False) or not can_reveal_cpr(
        user=user, organisation_id=person.organisation_id
    ):
        raise PermissionDenied(_("Kun CPR-ansvarlige i personens organisation kan se CPR-numre."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError({"purpose": [_("Skriv formålet med at se CPR-nummeret.")]})
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise DomainError({"purpose": [_("Formålet må højst være %d tegn.") % PURPOSE_MAX_LENGTH]})
    if not person.cpr_encrypted:
        raise DomainError(_("Der er ikke registreret et CPR-nummer for personen."))
    with transaction.atomic():
        CprReveal.objects.create(
            user=user, person=person, organisation_id=person.organisation_id, purpose=purpose
        )
    return person.reveal_cpr()

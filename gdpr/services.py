"""GDPR operations that write. Views, API and admin call these; none re-implements a rule."""

from core.models import SecurityEventKind
from core.security import security_event_record
from tenancy.models import Person
from tenancy.services import person_cpr_reveal

from .models import CprReveal


def cpr_reveal_log(*, user, person: Person, purpose: str) -> None:
    """Log that `user` was shown the person's full CPR number and why (registered on
    tenancy.hooks.cpr_reveal_loggers; tenancy.services.person_cpr_reveal has already
    checked the role and the purpose and calls this inside its transaction)."""
    CprReveal.objects.create(
        user=user, person=person, organisation_id=person.organisation_id, purpose=purpose
    )
    # the security log (issue 17): the user and the person's id only, no purpose text
    security_event_record(
        kind=SecurityEventKind.CPR_REVEAL, user=user, object_type="person", object_id=person.pk
    )


def cpr_reveal(*, user, person: Person, purpose: str) -> str:
    """Return the person's full CPR number and log the reveal (the tenancy service with
    this app's log; see tenancy.services.person_cpr_reveal for the rules)."""
    return person_cpr_reveal(user=user, person=person, purpose=purpose)

"""Ad-hoc lookups and who may make them.

Every rule that can be checked without CPR is checked before the (paid) call: membership,
the purpose, the organisation's eligibility and (in `targets`) the target's format and that
the organisation owns the address. Only then is GCTP called, outside any database
transaction (a slow service must not hold a database lock), and the outcome is recorded in
one transaction (`answers.record_answers`).
"""

from __future__ import annotations

import uuid
from typing import cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import LIVE_LEASE_STATUSES, LeaseStatus, OrganisationKind
from tenancy.models import Lease, Organisation
from tenancy.selectors import organisation_ids_for

from ..gctp import GctpClient
from ..models import CprLookup, DwellingsEvidence, LookupOutcome, LookupSource
from .answers import record_answers, search
from .targets import resolve_target

# Private landlords need more than this many dwellings to use the landlord service (CPR
# Act §39).
PRIVATE_MIN_DWELLINGS = 10
# BBR unit use codes of dwellings (enhedens anvendelse 110-190): [from, to).
DWELLING_USE_CODES = (100, 200)

PURPOSE_MAX_LENGTH = cast(int, CprLookup._meta.get_field("purpose").max_length)


class CprServiceUnavailable(DomainError):
    """CPR did not answer (after the client's retries): try again later."""


def let_dwellings(organisation: Organisation, *, up_to: int = PRIVATE_MIN_DWELLINGS + 1) -> int:
    """How many dwellings (BBR use code 1xx) the organisation owns and lets in the product
    (a unit with an active lease), counted up to `up_to` (the rule needs no more)."""
    return (
        Lease.objects.filter(
            organisation=organisation,
            status=LeaseStatus.ACTIVE,
            unit__use_code__gte=DWELLING_USE_CODES[0],
            unit__use_code__lt=DWELLING_USE_CODES[1],
        )
        .values("unit_id")
        .distinct()[:up_to]
        .count()
    )


def documented_dwellings(organisation: Organisation) -> DwellingsEvidence | None:
    """The newest recorded document for the typed number of dwellings, or None."""
    return DwellingsEvidence.objects.filter(organisation=organisation).first()


def _private_dwellings(organisation: Organisation) -> int:
    """The number the more-than-10 rule is checked against: the dwellings let in the
    product; the typed number only as far as a recorded document shows it."""
    counted = let_dwellings(organisation)
    if counted > PRIVATE_MIN_DWELLINGS:
        return counted
    evidence = documented_dwellings(organisation)
    if evidence is None:
        return counted
    return max(counted, min(organisation.dwellings_owned, evidence.dwellings))


def eligibility_error(organisation: Organisation) -> str | None:
    """Why the organisation may not use CPR's landlord service, or None if it may: it must
    be registered with CPR, and a private landlord must own and let more than 10 dwellings,
    counted from its units with an active lease, else documented (`DwellingsEvidence`)."""
    if not organisation.cpr_service_registered:
        return _(
            "%(name)s er ikke tilmeldt CPR's udlejerservice. Organisationen skal tilmeldes, "
            "før der kan slås op i CPR."
        ) % {"name": organisation.name}
    if organisation.kind != OrganisationKind.PRIVATE:
        return None
    owned = _private_dwellings(organisation)
    if owned <= PRIVATE_MIN_DWELLINGS:
        return _(
            "Private udlejere skal eje og udleje mere end %(n)d boliger for at bruge CPR's "
            "udlejerservice (CPR-loven § 39). %(name)s udlejer %(owned)d boliger i systemet; "
            "et højere antal tæller kun med registreret dokumentation."
        ) % {"n": PRIVATE_MIN_DWELLINGS, "name": organisation.name, "owned": owned}
    return None


def check_member(user, organisation: Organisation) -> None:
    """PermissionDenied unless the user belongs to the organisation."""
    if organisation.pk not in organisation_ids_for(user):
        raise PermissionDenied(_("Du er ikke medlem af organisationen."))


def cpr_lookup_perform(
    *,
    user,
    organisation: Organisation,
    purpose: str,
    unit_id=None,
    entrance_id=None,
    dar_address_id=None,
    dar_house_id=None,
    address: str | None = None,
    client: GctpClient | None = None,
) -> CprLookup:
    """Look up who is registered at one unit or one stairwell the organisation owns.

    Refuses (DomainError, nothing called, nothing charged) a missing purpose, malformed
    ids, an ineligible organisation and a target outside its properties. After the call,
    the lookup is logged (also when CPR refused or did not answer), a search that reached
    the service and was answered is charged once, and the occupancy picture is refreshed.
    A refusal or a missing answer is then raised as a DomainError with a Danish message
    (CprServiceUnavailable for the latter); the log row stays.
    """
    check_member(user, organisation)
    purpose = _clean_purpose(purpose)
    problem = eligibility_error(organisation)
    if problem:
        raise DomainError(problem)
    target = resolve_target(
        organisation=organisation,
        unit_id=unit_id,
        entrance_id=entrance_id,
        dar_address_id=dar_address_id,
        dar_house_id=dar_house_id,
        address=address,
    )
    refuse_restricted(target)
    answer = search(client or GctpClient(), target)
    with transaction.atomic():
        key = f"lookup:{uuid.uuid4()}"
        (lookup,) = record_answers(
            organisation=organisation,
            user=user,
            source=LookupSource.ADHOC,
            purpose=purpose,
            answers=[(answer, key)],
        )
    if answer.outcome == LookupOutcome.REFUSED:
        raise DomainError(answer.error_message)
    if answer.outcome == LookupOutcome.UNAVAILABLE:
        raise CprServiceUnavailable(answer.error_message)
    return lookup


def refuse_restricted(target) -> None:
    """No CPR lookup where a tenant's processing is restricted (GDPR art. 18, issue 15): the
    flag is set on the person by gdpr through core.personal_data; nothing is called or
    charged."""
    if Lease.objects.filter(
        unit__in=target.units, status__in=LIVE_LEASE_STATUSES, parties__restricted=True
    ).exists():
        raise DomainError(
            _(
                "CPR-opslag er stoppet for denne adresse: en lejer her har fået begrænset "
                "behandlingen af sine personoplysninger (GDPR art. 18). Opslaget kan først "
                "foretages, når begrænsningen er ophævet på personens side under GDPR."
            )
        )


def _clean_purpose(purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError(
            {"purpose": [_("Skriv formålet eller sagsnummeret, som opslaget gøres i.")]}
        )
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise DomainError({"purpose": [_("Formålet må højst være %d tegn.") % PURPOSE_MAX_LENGTH]})
    return purpose

"""The tenant's consent to file their CPR number with the register. Without it a tenant is
filed by name and birth date only; giving or withdrawing it files the active leases again."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import LeaseStatus
from tenancy.models import Lease, Person

from ..models import Filing, FilingConsent, FilingKind
from .filings import LEASE_RELATED, _user, _write_filing


def _refile_tenant(person: Person, actor) -> list[Filing]:
    """File the person's active leases again, so the register's tenant identification
    follows the consent (CPR number with it, name and birth date without)."""
    leases = Lease.objects.filter(parties=person, status=LeaseStatus.ACTIVE).select_related(
        *LEASE_RELATED
    )
    return [
        _write_filing(
            lease=lease,
            kind=FilingKind.TENANT_ID,
            effective_date=timezone.localdate(),
            actor=actor,
        )
        for lease in leases.order_by("pk")
    ]


def filing_consent_give(*, person: Person, actor=None, note: str = "") -> FilingConsent:
    """Record the tenant's consent to file their CPR number with the register; the
    person's active leases are filed again with it."""
    if not person.cpr_encrypted:
        raise DomainError(_("Personen har intet CPR-nummer registreret."))
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one at a time
        if FilingConsent.objects.filter(person=person, withdrawn_at__isnull=True).exists():
            raise DomainError(_("Der er allerede registreret et aktivt samtykke."))
        consent = FilingConsent.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            given_at=timezone.now(),
            recorded_by=_user(actor),
            note=note,
        )
        _refile_tenant(person, actor)
    return consent


def filing_consent_withdraw(*, person: Person, actor=None) -> FilingConsent:
    """The tenant withdrew consent: the active leases are filed again with name and birth
    date only, and so are later filings."""
    with transaction.atomic():
        consent = (
            FilingConsent.objects.select_for_update()
            .filter(person=person, withdrawn_at__isnull=True)
            .first()
        )
        if consent is None:
            raise DomainError(_("Der er intet aktivt samtykke at trække tilbage."))
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        _refile_tenant(person, actor)
    return consent

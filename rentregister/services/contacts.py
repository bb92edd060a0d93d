"""Notification contacts: who in the organisation hears about filing problems. Only the
organisation's administrators may change them."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import Role
from tenancy.models import Membership, Organisation

from ..models import NotificationContact


def _require_org_admin(*, actor, organisation: Organisation) -> None:
    if getattr(actor, "is_superuser", False):
        return
    if not Membership.objects.filter(
        user=actor, organisation=organisation, role=Role.ORG_ADMIN
    ).exists():
        raise DomainError(_("Kun organisationens administratorer kan ændre kontaktpersoner."))


def contact_save(
    *,
    organisation: Organisation,
    actor,
    name: str,
    email: str,
    active: bool = True,
    contact: NotificationContact | None = None,
) -> NotificationContact:
    """Create or change a notification contact (organisation admins only)."""
    _require_org_admin(actor=actor, organisation=organisation)
    if contact is not None and contact.organisation_id != organisation.pk:
        raise DomainError(_("Kontaktpersonen hører til en anden organisation."))
    contact = contact or NotificationContact(organisation=organisation)
    contact.name = (name or "").strip()
    contact.email = (email or "").strip().lower()
    contact.active = active
    try:
        contact.full_clean()
    except DomainError:
        raise
    except Exception as exc:
        if hasattr(exc, "error_dict"):
            raise DomainError(exc.error_dict) from exc
        raise
    with transaction.atomic():
        contact.save()
    return contact


def contact_delete(*, contact: NotificationContact, actor) -> None:
    """Remove a notification contact (organisation admins only)."""
    _require_org_admin(actor=actor, organisation=contact.organisation)
    contact.delete()

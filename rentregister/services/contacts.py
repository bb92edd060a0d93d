"""Notification contacts: who in the organisation hears about filing problems. Only the
organisation's administrators may change them."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import Role
from tenancy.models import Membership, Organisation

from ..models import NotificationContact

logger = logging.getLogger(__name__)


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
        schedule_contacts_push(organisation.pk)
    return contact


def contact_delete(*, contact: NotificationContact, actor) -> None:
    """Remove a notification contact (organisation admins only)."""
    _require_org_admin(actor=actor, organisation=contact.organisation)
    with transaction.atomic():
        organisation_id = contact.organisation_id
        contact.delete()
        schedule_contacts_push(organisation_id)


def _enqueue_contacts_push(organisation_id: int) -> None:
    from ..tasks import contacts_push_task

    try:
        contacts_push_task.apply_async(args=[organisation_id], retry=False)
    # Broker unreachable (errors vary by transport): the screen's "send to the register"
    # button sends them; the change itself must not fail.
    except Exception:  # noqa: BLE001
        logger.warning("rentregister: contacts push not enqueued (broker unreachable)")


def schedule_contacts_push(organisation_id: int) -> None:
    """Send the contacts to the register's notification settings when this commits
    (issue 12: the register notifies the people the organisation names)."""
    transaction.on_commit(lambda: _enqueue_contacts_push(organisation_id), robust=True)

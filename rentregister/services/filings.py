"""Writing filings: the outbox row written with each lease or unit change (full payload,
stable idempotency key), and the caseworker's actions on a filing (retry, cancel, resend).

Filings are written inside the caller's transaction and pushed after commit (see
services.push), so a change and its filing are never apart."""

import contextlib
import uuid
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.choices import LIVE_LEASE_STATUSES
from tenancy.models import ChangeRecord, Lease, Person, Unit

from ..models import (
    Filing,
    FilingConsent,
    FilingKind,
    FilingOperation,
    FilingState,
    Rehousing,
    RehousingKind,
    RehousingStatus,
)
from ..payload import build_payload, validate_payload
from .enqueue import schedule_push
from .udk import (
    UNIT_FIELDS_NOT_AUTOMATIC,
    _corrected_later,
    _task_correction,
    _udk_rules_for_lease,
    _udk_rules_for_unit,
)

# Unit fields that appear in the filing payload (a change re-files the unit's leases).
UNIT_FIELDS_FILED = ("bbr_unit_id", "area_m2", "rooms", "floor", "door")

# What the payload reads through the lease: load it in one query.
LEASE_RELATED = ("organisation", "unit__entrance__building__property__department")

LEASE_KINDS = {
    "create": FilingKind.CREATE,
    "update": FilingKind.UPDATE,
    "end": FilingKind.END,
    "reinstate": FilingKind.REINSTATE,
    "rent_change": FilingKind.RENT_CHANGE,
}


# --- the payload ------------------------------------------------------------------------


def _consented_ids(person_ids) -> set[int]:
    return set(
        FilingConsent.objects.filter(
            person_id__in=list(person_ids), withdrawn_at__isnull=True
        ).values_list("person_id", flat=True)
    )


def _filed_rent(lease: Lease) -> Decimal | None:
    """The rent to file while a temporary rehousing changes it (else None = real rent)."""
    return (
        Rehousing.objects.filter(
            lease=lease, kind=RehousingKind.TEMPORARY, status=RehousingStatus.ACTIVE
        )
        .values_list("filed_rent", flat=True)
        .first()
    )


def _payload_for(lease: Lease, effective_date: date) -> tuple[dict, list, list, list]:
    """Payload, CPR refs, local errors and warnings for the lease as it is now."""
    party_ids = [p.pk for p in lease.parties.all()]
    payload, refs = build_payload(
        lease=lease,
        effective_date=effective_date,
        consented_person_ids=_consented_ids(party_ids),
        filed_rent=_filed_rent(lease),
    )
    errors, warnings = validate_payload(payload)
    # A tenant with CPR (consent) is not "name only" even though the stored payload has
    # no CPR number in it.
    warnings = [
        w
        for w in warnings
        if not (w["code"] == "name_only" and _tenant_index(w["field"]) in _ref_indexes(refs))
    ]
    return payload, refs, errors, warnings


def _tenant_index(field_path: str | None) -> int | None:
    if field_path and field_path.startswith("lease.tenants["):
        with contextlib.suppress(ValueError):
            return int(field_path[len("lease.tenants[") :].split("]")[0])
    return None


def _ref_indexes(refs: list) -> set[int]:
    return {i for i, ref in enumerate(refs) if ref}


def _lease_for_filing(lease: Lease) -> Lease:
    return Lease.objects.select_related(*LEASE_RELATED).get(pk=lease.pk)


def _user(actor):
    """The actor to store: anonymous and system changes store none."""
    return actor if getattr(actor, "is_authenticated", False) else None


# --- writing a filing -------------------------------------------------------------------


def _write_filing(
    *,
    lease: Lease,
    kind: str,
    effective_date: date,
    record: ChangeRecord | None = None,
    actor=None,
    operation: str = FilingOperation.UPDATE,
    correction: bool = False,
) -> Filing:
    """Write one outbox row with the full payload. Invalid data is caught here, before
    anything is sent: the filing is created as needs attention with the fields named."""
    payload, refs, errors, warnings = _payload_for(lease, effective_date)
    filing = Filing(
        organisation_id=lease.organisation_id,
        lease=lease,
        change_record=record,
        kind=kind,
        operation=operation,
        is_correction=correction,
        payload=payload,
        cpr_person_ids=refs,
        effective_date=effective_date,
        warnings=warnings,
        actor=_user(actor),
    )
    if errors:
        filing.state = FilingState.NEEDS_ATTENTION
        filing.errors = errors
        filing.last_error = _("Indberetningen er ikke sendt: oplysningerne er ufuldstændige.")
    filing.save()
    if not errors:
        schedule_push()
    return filing


def _effective_date(record: ChangeRecord, lease: Lease) -> date:
    if record.action == "create":
        return lease.start_date
    if record.action == "end" and lease.end_date:
        return lease.end_date
    if record.action == "rent_change" and record.after.get("rent_effective_date"):
        return date.fromisoformat(record.after["rent_effective_date"])
    return timezone.localdate()


def _previous_filing(lease: Lease) -> Filing | None:
    return (
        Filing.objects.filter(lease=lease)
        .exclude(state=FilingState.CANCELLED)
        .order_by("-pk")
        .only("pk", "created_at", "state", "kind")
        .first()
    )


def filing_record_lease_change(
    *, record: ChangeRecord, lease: Lease, correction: bool = False, reason: str = ""
) -> Filing:
    """A lease changed (create, update, end, reinstate, rent change): write the filing and
    the UDK tasks the change needs, in the caller's transaction. `correction`: the change
    corrects an earlier wrong filing (`reason` is on the change record). A rent change
    files the amounts of the period it changes, from its date (payload.build_payload)."""
    previous = _previous_filing(lease)
    if record.content_type.model_class() is Person:
        return _refile_for_person(
            record=record, lease=lease, previous=previous, correction=correction
        )
    filing = _write_filing(
        lease=lease,
        kind=LEASE_KINDS.get(record.action, FilingKind.UPDATE),
        effective_date=_effective_date(record, lease),
        record=record,
        actor=record.actor,
        operation=FilingOperation.CREATE if record.action == "create" else FilingOperation.UPDATE,
        correction=correction,
    )
    _udk_rules_for_lease(
        filing=filing, record=record, lease=lease, previous=previous, correction=correction
    )
    return filing


def _refile_for_person(
    *, record: ChangeRecord, lease: Lease, previous: Filing | None, correction: bool
) -> Filing:
    """A party's name or identity (CPR number, birth date) changed: file the lease again
    from today. A correction of the identity made on a later day than the lease's last
    filing reached the register gives the "tell UDK about the correction" task."""
    filing = _write_filing(
        lease=_lease_for_filing(lease),
        kind=FilingKind.UPDATE,
        effective_date=timezone.localdate(),
        record=record,
        actor=record.actor,
        correction=correction,
    )
    if correction and _corrected_later(previous):
        _task_correction(filing=filing, lease=lease, record=record, model=Person)
    return filing


def filing_record_unit_change(
    *, record: ChangeRecord, unit: Unit, correction: bool = False
) -> list[Filing]:
    """A unit's BBR data changed: re-file every active lease on it (the dwelling is part
    of the lease filing) and tell UDK about area, rooms or use code."""
    changed = {k for k, _b, _a in record.changed_fields}
    if not changed & set(UNIT_FIELDS_FILED + UNIT_FIELDS_NOT_AUTOMATIC):
        return []
    filings = []
    leases = Lease.objects.filter(unit=unit, status__in=LIVE_LEASE_STATUSES).select_related(
        *LEASE_RELATED
    )
    for lease in leases:
        previous = _previous_filing(lease)
        filing = _write_filing(
            lease=lease,
            kind=FilingKind.UNIT,
            effective_date=timezone.localdate(),
            record=record,
            actor=record.actor,
            correction=correction,
        )
        _udk_rules_for_unit(
            filing=filing,
            record=record,
            lease=lease,
            previous=previous,
            changed=changed,
            correction=correction,
        )
        filings.append(filing)
    return filings


# --- caseworker actions on filings ------------------------------------------------------


def _refresh_payload(filing: Filing, lease: Lease) -> list:
    """Give the filing the lease's payload as it is now; a new idempotency key only when
    something changed. Returns the local errors."""
    payload, refs, errors, warnings = _payload_for(lease, filing.effective_date)
    if payload != filing.payload or refs != filing.cpr_person_ids:
        filing.idempotency_key = uuid.uuid4()
    filing.payload = payload
    filing.cpr_person_ids = refs
    filing.warnings = warnings
    return errors


def filing_retry(*, filing: Filing, actor=None) -> Filing:
    """Send a rejected or stuck filing again, with the lease's data as it is now (so a
    fix made since is included). The same idempotency key is kept when nothing changed, so
    a filing the register did receive is never registered twice."""
    with transaction.atomic():
        filing = Filing.objects.select_for_update().select_related("lease").get(pk=filing.pk)
        if not filing.can_retry:
            raise DomainError(
                _(
                    "Kun afviste indberetninger eller indberetninger, der kræver handling, kan sendes igen."
                )
            )
        lease = Lease.objects.select_related(*LEASE_RELATED).get(pk=filing.lease_id)
        errors = _refresh_payload(filing, lease)
        filing.resolved_by = _user(actor)
        filing.attempts = 0
        filing.next_attempt_at = None
        if errors:
            filing.state = FilingState.NEEDS_ATTENTION
            filing.errors = errors
            filing.last_error = _("Indberetningen er ikke sendt: oplysningerne er ufuldstændige.")
        else:
            filing.state = FilingState.PENDING
            filing.errors = []
            filing.last_error = ""
            schedule_push()
        filing.save()
    return filing


def filing_cancel(*, filing: Filing, actor=None, reason: str) -> Filing:
    """A caseworker decides a rejected filing shall not be sent (e.g. replaced by a later
    one). Kept with the reason; later filings of the lease are no longer held back."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": [_("Skriv hvorfor indberetningen annulleres.")]})
    with transaction.atomic():
        filing = Filing.objects.select_for_update().get(pk=filing.pk)
        if not filing.can_retry:
            raise DomainError(
                _(
                    "Kun afviste indberetninger eller indberetninger, der kræver handling, kan annulleres."
                )
            )
        filing.state = FilingState.CANCELLED
        filing.resolution_note = reason[:500]
        filing.resolved_by = _user(actor)
        filing.save()
        schedule_push()
    return filing


def filing_resend(*, lease: Lease, actor=None) -> Filing:
    """File the lease's current state again (e.g. after fixing data outside a change)."""
    with transaction.atomic():
        return _write_filing(
            lease=_lease_for_filing(lease),
            kind=FilingKind.RESEND,
            effective_date=timezone.localdate(),
            actor=actor,
        )

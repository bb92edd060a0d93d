"""Keeping the rent register in step with our data (docs/domain.md, "Rent register kept in
step"): a periodic read-back of what the register holds, listed as differences from ours
with one-click refiling; restoring a lease removed from the register by mistake (with the
UDK task); sending the notification contacts to the register's notification settings.

The register is read and written outside database transactions (a slow register must not
hold a lock); what we record is written in one transaction afterwards.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.models import Lease, Organisation
from tenancy.selectors import role_for

from ..hlr import HlrClient, HlrError
from ..models import (
    BLOCKING_STATES,
    DifferenceKind,
    Filing,
    FilingKind,
    FilingOperation,
    NotificationContact,
    NotificationSettingsPush,
    RegisterComparison,
    RegisterDifference,
    Rehousing,
    RehousingKind,
    RehousingStatus,
    UdkTask,
    UdkTaskKind,
    UdkTaskStatus,
)
from ..payload import build_payload
from .filings import filing_resend
from .udk import _task as udk_task

logger = logging.getLogger(__name__)

# The parts of a filed lease compared field by field (the CPR numbers are never compared:
# we do not keep them in the payload).
COMPARED_TOP = ("organisation_cvr", "department_number")
COMPARED_DWELLING = ("bbr_unit_id", "address", "area_m2", "rooms")
UDK_RECIPIENT = "Udbetaling Danmark, Boligstøtte"
TEXT_MAX = 300


# --- reading back and comparing ---------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return str(value)[:TEXT_MAX]


def _same(ours, theirs) -> bool:
    if ours == theirs:
        return True
    try:
        return Decimal(str(ours)) == Decimal(str(theirs))
    except ArithmeticError:
        return str(ours or "") == str(theirs or "")


def _tenants(lease_part: dict) -> str:
    return "; ".join(
        f"{t.get('name') or ''} ({t.get('birth_date') or '?'})"
        for t in lease_part.get("tenants") or []
    )


def _filed_rents(organisation: Organisation) -> dict[int, Decimal | None]:
    """Per lease in an active temporary rehousing, the rent filed meanwhile (one query)."""
    return dict(
        Rehousing.objects.filter(
            organisation=organisation,
            kind=RehousingKind.TEMPORARY,
            status=RehousingStatus.ACTIVE,
        ).values_list("lease_id", "filed_rent")
    )


def expected_state(lease: Lease, *, filed_rent: Decimal | None = None) -> dict:
    """What the register should hold for the lease now (our payload, without CPR)."""
    payload, _refs = build_payload(
        lease=lease,
        effective_date=timezone.localdate(),
        consented_person_ids=set(),
        filed_rent=filed_rent,
    )
    return payload


def lease_differences(payload: dict, current: dict) -> list[tuple[str, str, str]]:
    """(field, ours, theirs) for every compared field that differs."""
    out = []
    for name in COMPARED_TOP:
        if not _same(payload.get(name), current.get(name)):
            out.append((name, _text(payload.get(name)), _text(current.get(name))))
    ours_d, theirs_d = payload.get("dwelling") or {}, current.get("dwelling") or {}
    for name in COMPARED_DWELLING:
        if not _same(ours_d.get(name), theirs_d.get(name)):
            out.append((f"dwelling.{name}", _text(ours_d.get(name)), _text(theirs_d.get(name))))
    ours_l, theirs_l = payload.get("lease") or {}, current.get("lease") or {}
    for name in sorted(set(ours_l) - {"tenants", "lease_number"}):
        if not _same(ours_l.get(name), theirs_l.get(name)):
            out.append((f"lease.{name}", _text(ours_l.get(name)), _text(theirs_l.get(name))))
    if _tenants(ours_l) != _tenants(theirs_l):
        out.append(("lease.tenants", _tenants(ours_l)[:TEXT_MAX], _tenants(theirs_l)[:TEXT_MAX]))
    return out


def _ours(organisation: Organisation) -> dict[str, Lease]:
    """Our leases to compare, by number: every lease without a filing still on its way
    (those are compared once sent)."""
    waiting = Filing.objects.filter(organisation=organisation, state__in=BLOCKING_STATES).values(
        "lease_id"
    )
    leases = (
        Lease.objects.filter(organisation=organisation)
        .exclude(pk__in=waiting)
        .select_related("organisation", "unit__entrance__building__property__department")
        .prefetch_related("parties")
    )
    return {lease.number: lease for lease in leases}


def _compare_rows(
    ours: dict[str, Lease], theirs: dict[str, dict], filed_rents: dict
) -> tuple[list[dict], int]:
    rows: list[dict] = []
    for number, lease in ours.items():
        held = theirs.get(number)
        if held is None:
            rows.append({"lease": lease, "kind": DifferenceKind.MISSING})
            continue
        if held.get("status") == "deleted" or not held.get("current"):
            rows.append({"lease": lease, "kind": DifferenceKind.DELETED})
            continue
        for field, mine, their in lease_differences(
            expected_state(lease, filed_rent=filed_rents.get(lease.pk)), held["current"]
        ):
            rows.append(
                {
                    "lease": lease,
                    "kind": DifferenceKind.FIELD,
                    "field": field,
                    "ours": mine,
                    "theirs": their,
                }
            )
    # Only in the register: not ours to compare now and no lease of ours by that number
    # (a lease with a filing on its way is compared once it is sent).
    candidates = [
        n for n, held in theirs.items() if n not in ours and held.get("status") != "deleted"
    ]
    known = set(Lease.objects.filter(number__in=candidates).values_list("number", flat=True))
    rows.extend(
        {"lease": None, "number": n, "kind": DifferenceKind.ONLY_THERE}
        for n in candidates
        if n not in known
    )
    return rows, len(ours)


def register_compare(*, organisation: Organisation, client: HlrClient | None = None):
    """Read back what the register holds for the organisation and record every difference
    from ours (replacing the open differences of the previous comparison)."""
    client = client or HlrClient()
    try:
        filed = client.leases_filed(organisation.cvr)
    except HlrError as exc:
        return RegisterComparison.objects.create(
            organisation=organisation, finished_at=timezone.now(), error=str(exc)[:500]
        )
    theirs = {row["lease_number"]: row for row in filed}
    rows, compared = _compare_rows(_ours(organisation), theirs, _filed_rents(organisation))
    with transaction.atomic():
        RegisterDifference.objects.filter(
            organisation=organisation, refiled_by__isnull=True
        ).delete()
        comparison = RegisterComparison.objects.create(
            organisation=organisation,
            finished_at=timezone.now(),
            leases_compared=compared,
            differences=len(rows),
        )
        RegisterDifference.objects.bulk_create(
            RegisterDifference(
                organisation=organisation,
                comparison=comparison,
                lease=row["lease"],
                lease_number=row["lease"].number if row["lease"] else row["number"],
                kind=row["kind"],
                field=row.get("field", ""),
                ours=row.get("ours", ""),
                theirs=row.get("theirs", ""),
            )
            for row in rows
        )
    return comparison


def register_compare_all() -> dict:
    """The beat task's work: compare every organisation that has filed anything."""
    ids = Filing.objects.values_list("organisation_id", flat=True).distinct()
    client = HlrClient()
    out = {"organisations": 0, "differences": 0, "failed": 0}
    try:
        for organisation in Organisation.objects.filter(pk__in=ids):
            comparison = register_compare(organisation=organisation, client=client)
            out["organisations"] += 1
            out["differences"] += comparison.differences
            out["failed"] += bool(comparison.error)
    finally:
        client.close()
    return out


# --- refiling ---------------------------------------------------------------------------


def filing_restore(*, lease: Lease, actor=None, client: HlrClient | None = None) -> Filing:
    """File a lease the register no longer holds (removed by mistake) again as a new
    lease, marked as a correction, with the task telling UDK the lease was restored
    (UDK stops housing benefit when a lease disappears from the register)."""
    client = client or HlrClient()
    try:
        held = client.get_lease(lease.number)
    except HlrError as exc:
        raise DomainError(_("Registret kunne ikke læses: %s") % exc) from exc
    if held is not None and held.get("status") != "deleted":
        raise DomainError(
            _("Lejemålet findes i registret. Brug genindberetning i stedet for genoprettelse.")
        )
    with transaction.atomic():
        filing = filing_resend(lease=lease, actor=actor)
        Filing.objects.filter(pk=filing.pk).update(
            kind=FilingKind.RESTORE, operation=FilingOperation.CREATE, is_correction=True
        )
        filing.refresh_from_db()
        udk_task(
            filing=filing,
            lease=lease,
            kind=UdkTaskKind.RESTORED,
            recipient=UDK_RECIPIENT,
            subject=_("Lejemål %s genoprettet i huslejeregistret") % lease.number,
            body=_(
                "Lejemålet blev ved en fejl fjernet fra huslejeregistret og er nu indberettet "
                "igen med de samme oplysninger. Boligstøtten bør fortsætte uden afbrydelse."
            ),
        )
    return filing


def difference_refile(*, difference: RegisterDifference, actor=None, client=None) -> Filing:
    """One-click refiling of a difference: a lease missing or deleted in the register is
    restored (with the UDK task); a differing value is refiled with our current data. Every
    open difference of the lease is then marked as refiled by that filing."""
    if difference.refiled_by_id is not None:
        raise DomainError(_("Forskellen er allerede genindberettet."))
    lease = difference.lease
    if lease is None:
        raise DomainError(
            _("Lejemålet findes kun i registret. Kontakt registret, hvis det skal slettes.")
        )
    if difference.kind in (DifferenceKind.MISSING, DifferenceKind.DELETED):
        filing = filing_restore(lease=lease, actor=actor, client=client)
    else:
        filing = filing_resend(lease=lease, actor=actor)
    RegisterDifference.objects.filter(lease=lease, refiled_by__isnull=True).update(
        refiled_by=filing
    )
    return filing


# --- notification contacts --------------------------------------------------------------


def contacts_push(*, organisation: Organisation, client: HlrClient | None = None):
    """Send the organisation's active notification contacts to the register's notification
    settings (replacing what it holds); the outcome is recorded either way."""
    contacts = [
        {"name": c.name, "email": c.email}
        for c in NotificationContact.objects.filter(organisation=organisation, active=True)
    ]
    client = client or HlrClient()
    error = ""
    try:
        client.notification_settings_put(organisation.cvr, contacts)
    except HlrError as exc:
        error = str(exc)[:500]
        logger.warning("rentregister: contacts not sent for organisation %s", organisation.pk)
    push, _created = NotificationSettingsPush.objects.update_or_create(
        organisation=organisation,
        defaults={
            "sent_at": None if error else timezone.now(),
            "contacts": len(contacts),
            "error": error,
        },
    )
    return push


def check_admin(*, user, organisation: Organisation) -> None:
    if role_for(user=user, organisation=organisation) != "org_admin":
        raise PermissionDenied(_("Kun en organisationsadministrator kan gøre dette."))


# --- a tenant's CPR move during a temporary rehousing -----------------------------------


def person_moved(moves) -> None:
    """tenancy.hooks.person_moved: CPR registered a move of a tenant whose lease is in a
    temporary rehousing. UDK stops the housing benefit when the move is registered, so the
    caseworker gets the task to contact UDK (once per lease while the task is open)."""
    by_person = {m.person_id: m for m in moves if m.person_id is not None}
    if not by_person:
        return
    rehousings = Rehousing.objects.filter(
        kind=RehousingKind.TEMPORARY,
        status=RehousingStatus.ACTIVE,
        lease__parties__in=list(by_person),
    ).select_related("lease__organisation", "lease__unit__entrance")
    for rehousing in rehousings.distinct():
        lease = rehousing.lease
        if UdkTask.objects.filter(
            lease=lease, kind=UdkTaskKind.REHOUSING_MOVE, status=UdkTaskStatus.OPEN
        ).exists():
            continue
        moved = [m for pid, m in by_person.items() if lease.parties.filter(pk=pid).exists()]
        dates = ", ".join(f"{m.date:%d.%m.%Y}" if m.date else _("ukendt dato") for m in moved)
        udk_task(
            filing=None,
            lease=lease,
            kind=UdkTaskKind.REHOUSING_MOVE,
            recipient=UDK_RECIPIENT,
            subject=_("Lejer i lejemål %s har meldt flytning under genhusning") % lease.number,
            body=_(
                "Lejeren er midlertidigt genhuset fra %(start)s og har meldt flytning til CPR "
                "(%(dates)s). Lejemålet fortsætter, og lejeren vender tilbage efter "
                "genhusningen. Boligstøtten stopper, når flytningen registreres: lejeren skal "
                "kontakte UDK, og vi bekræfter, at lejemålet fortsætter."
            )
            % {"start": f"{rehousing.start_date:%d.%m.%Y}", "dates": dates},
        )

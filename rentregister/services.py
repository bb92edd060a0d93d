"""Rent register operations: the outbox (write a filing with each lease change, push it,
retry, cancel), the UDK rules (which changes need a message to Udbetaling Danmark), tenant
consent for CPR filing, rehousing, corrections and notification contacts.

Every write is atomic and raises core.errors.DomainError with a Danish message.
"""

import contextlib
import contextvars
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy import services as tenancy_services
from tenancy.choices import LeaseStatus, Role
from tenancy.models import ChangeRecord, Lease, Membership, Organisation, Person, Unit

from .models import (
    BLOCKING_STATES,
    Filing,
    FilingConsent,
    FilingKind,
    FilingOperation,
    FilingState,
    NotificationContact,
    Rehousing,
    RehousingKind,
    RehousingPlacement,
    RehousingStatus,
    UdkTask,
    UdkTaskKind,
    UdkTaskStatus,
)
from .payload import build_payload, message_da, validate_payload, with_cpr

logger = logging.getLogger(__name__)

# Rent corrections dated before this do not reach UDK through the register (DOMAIN.md §3).
UDK_AUTOMATIC_SINCE = date(2014, 6, 1)
# Lease terms UDK does not learn from the register: the caseworker must tell UDK.
LEASE_FIELDS_NOT_AUTOMATIC = ("tenant_maintains", "heating_form", "electricity")
# BBR data of the unit UDK does not learn from the register.
UNIT_FIELDS_NOT_AUTOMATIC = ("area_m2", "rooms", "use_code")
# Unit fields that appear in the filing payload (a change re-files the unit's leases).
UNIT_FIELDS_FILED = ("bbr_unit_id", "area_m2", "rooms", "floor", "door")

_enqueue_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "rent_enqueue_suppressed", default=False
)


@contextlib.contextmanager
def push_enqueue_suppressed() -> Iterator[None]:
    """For bulk loads and the benchmark, whose caller pushes itself: changes still write
    their filings, but no push task is enqueued for them (the sweeper would still send
    them)."""
    token = _enqueue_suppressed.set(True)
    try:
        yield
    finally:
        _enqueue_suppressed.reset(token)


# --- writing filings (called from the outbox hooks, inside the tenancy transaction) -----


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
        actor=actor if getattr(actor, "is_authenticated", False) else None,
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


def filing_record_lease_change(
    *, record: ChangeRecord, lease: Lease, correction: bool = False
) -> Filing:
    """A lease changed (create, update, end, reinstate, rent change): write the filing and
    the UDK tasks the change needs, in the caller's transaction. `correction`: the change
    corrects an earlier wrong filing."""
    kind = {
        "create": FilingKind.CREATE,
        "update": FilingKind.UPDATE,
        "end": FilingKind.END,
        "reinstate": FilingKind.REINSTATE,
        "rent_change": FilingKind.RENT_CHANGE,
    }.get(record.action, FilingKind.UPDATE)
    previous = _previous_filing(lease)
    filing = _write_filing(
        lease=lease,
        kind=kind,
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


def filing_record_unit_change(
    *, record: ChangeRecord, unit: Unit, correction: bool = False
) -> list[Filing]:
    """A unit's BBR data changed: re-file every active lease on it (the dwelling is part
    of the lease filing) and tell UDK about area, rooms or use code."""
    changed = {k for k, _b, _a in record.changed_fields}
    if not changed & set(UNIT_FIELDS_FILED + UNIT_FIELDS_NOT_AUTOMATIC):
        return []
    filings = []
    leases = Lease.objects.filter(unit=unit, status=LeaseStatus.ACTIVE).select_related(
        "organisation", "unit__entrance__building__property__department"
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
        fields = [f for f in UNIT_FIELDS_NOT_AUTOMATIC if f in changed]
        if correction:
            if _corrected_later(previous):
                _task_correction(filing=filing, lease=lease, record=record, model=Unit)
        elif fields:
            _task_notify(filing=filing, lease=lease, record=record, model=Unit, fields=fields)
        filings.append(filing)
    return filings


# --- UDK rules --------------------------------------------------------------------------


def _previous_filing(lease: Lease) -> Filing | None:
    return (
        Filing.objects.filter(lease=lease)
        .exclude(state=FilingState.CANCELLED)
        .order_by("-pk")
        .only("pk", "created_at", "state", "kind")
        .first()
    )


def _corrected_later(previous: Filing | None) -> bool:
    """A wrong filing corrected the same day needs nothing more; corrected on a later day,
    UDK must be told, unless the wrong filing never reached the register."""
    if previous is None:
        return False
    if previous.state not in (FilingState.SENT, FilingState.ACCEPTED):
        return False
    return timezone.localdate(previous.created_at) < timezone.localdate()


def _udk_rules_for_lease(
    *,
    filing: Filing,
    record: ChangeRecord,
    lease: Lease,
    previous: Filing | None,
    correction: bool = False,
) -> None:
    action = record.action
    if action == "rent_change" and filing.effective_date < UDK_AUTOMATIC_SINCE:
        _task_pre_2014(filing=filing, lease=lease, record=record)
    if action == "reinstate":
        if _corrected_later(previous):
            _task_reinstate(filing=filing, lease=lease, record=record)
        return
    if correction:
        if _corrected_later(previous):
            _task_correction(filing=filing, lease=lease, record=record, model=Lease)
        return
    if action == "update":
        changed = {k for k, _b, _a in record.changed_fields}
        fields = [f for f in LEASE_FIELDS_NOT_AUTOMATIC if f in changed]
        if fields:
            _task_notify(filing=filing, lease=lease, record=record, model=Lease, fields=fields)
    # rent, water/drainage/heating and lease end reach UDK automatically: nothing more.


def _display(model, name: str, value) -> str:
    try:
        field_obj = model._meta.get_field(name)
    except Exception:  # an unknown key in an old snapshot: show it as it is
        return str(value)
    if value is None or value == "":
        return _("(tom)")
    if field_obj.choices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(field_obj, DecimalField):
        return _kr(value)
    return str(value)


def _kr(value) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _change_lines(model, record: ChangeRecord, fields=None) -> list[str]:
    lines = []
    for name, before, after in record.changed_fields:
        if fields is not None and name not in fields:
            continue
        if name in ("rent_effective_date", "search_text"):
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # not a model field
            label = name
        lines.append(
            f"- {label.capitalize()}: {_display(model, name, before)} → {_display(model, name, after)}"
        )
    return lines


def _header(lease: Lease) -> str:
    names = ", ".join(p.public_name for p in lease.parties.all())
    return _(
        "Vedrørende lejemål %(number)s, %(address)s\nLejer(e): %(names)s\nAfdeling: %(dept)s"
    ) % {
        "number": lease.number,
        "address": lease.unit.address,
        "names": names,
        "dept": _department_number(lease) or "-",
    }


def _department_number(lease: Lease) -> str:
    department = lease.unit.entrance.building.property.department
    return department.number if department else ""


def _signature(lease: Lease) -> str:
    org = lease.organisation
    return _("Med venlig hilsen\n%(name)s (CVR %(cvr)s)") % {"name": org.name, "cvr": org.cvr}


def _task(*, filing, lease, kind, recipient, subject, body) -> UdkTask:
    message = "\n\n".join([_("Til %s") % recipient, _header(lease), body, _signature(lease)])
    return UdkTask.objects.create(
        organisation_id=lease.organisation_id,
        lease=lease,
        filing=filing,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        message=message,
    )


def _task_notify(*, filing, lease, record, model, fields) -> UdkTask:
    lines = _change_lines(model, record, fields)
    body = _(
        "Vi har %(date)s ændret følgende oplysninger, som Udbetaling Danmark ikke automatisk "
        "får besked om fra Huslejeregisteret:\n%(lines)s\n\nÆndringen gælder fra %(effective)s."
    ) % {
        "date": f"{timezone.localdate():%d.%m.%Y}",
        "lines": "\n".join(lines),
        "effective": f"{filing.effective_date:%d.%m.%Y}",
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.NOTIFY_CHANGE,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Ændring af %(what)s på lejemål %(number)s")
        % {
            "what": ", ".join(str(model._meta.get_field(f).verbose_name) for f in fields),
            "number": lease.number,
        },
        body=body,
    )


def _task_correction(*, filing, lease, record, model) -> UdkTask:
    lines = _change_lines(model, record)
    body = _(
        "Vi har ved en fejl indberettet forkerte oplysninger til Huslejeregisteret og har "
        "%(date)s rettet dem:\n%(lines)s\n\nVi beder Udbetaling Danmark rette boligstøtten, "
        "inden fejlen rammer lejeren."
    ) % {"date": f"{timezone.localdate():%d.%m.%Y}", "lines": "\n".join(lines) or "-"}
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.CORRECTION,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Rettelse af fejlindberetning for lejemål %s") % lease.number,
        body=body,
    )


def _task_pre_2014(*, filing, lease, record) -> UdkTask:
    body = _(
        "Vi har rettet huslejen for lejemålet med virkning fra %(effective)s, som er før "
        "1. juni 2014. Udbetaling Danmark får derfor ikke automatisk besked fra "
        "Huslejeregisteret.\nHusleje før: %(before)s kr.\nHusleje efter: %(after)s kr.\n\n"
        "Vi beder jer rette boligstøtten for perioden."
    ) % {
        "effective": f"{filing.effective_date:%d.%m.%Y}",
        "before": _kr(record.before.get("rent", "-")),
        "after": _kr(record.after.get("rent", "-")),
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.PRE_2014_RENT,
        recipient=settings.UDK_SUPPORT_EMAIL,
        subject=_("Huslejerettelse før 1. juni 2014 for lejemål %s") % lease.number,
        body=body,
    )


def _task_reinstate(*, filing, lease, record) -> UdkTask:
    ended = record.before.get("end_date")
    body = _(
        "Lejemålet blev ved en fejl indberettet som ophørt pr. %(end)s. Lejemålet fortsætter, "
        "og vi har %(date)s genoptaget det i Huslejeregisteret. Vi beder Udbetaling Danmark "
        "genoptage boligstøtten, så lejeren ikke mister den."
    ) % {
        "end": date.fromisoformat(ended).strftime("%d.%m.%Y") if ended else "-",
        "date": f"{timezone.localdate():%d.%m.%Y}",
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.REINSTATE,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Lejemål %s er genoptaget efter fejlagtig opsigelse") % lease.number,
        body=body,
    )


def udk_task_done(*, task: UdkTask, actor) -> UdkTask:
    """The caseworker has sent the message to UDK."""
    with transaction.atomic():
        task = UdkTask.objects.select_for_update().get(pk=task.pk)
        if task.status == UdkTaskStatus.DONE:
            raise DomainError(_("Opgaven er allerede markeret som udført."))
        task.status = UdkTaskStatus.DONE
        task.done_at = timezone.now()
        task.done_by = actor if getattr(actor, "is_authenticated", False) else None
        task.save(update_fields=["status", "done_at", "done_by"])
    return task


# --- corrections ------------------------------------------------------------------------


def filing_correct(
    *,
    lease: Lease,
    actor=None,
    rent: Decimal | None = None,
    rent_effective_date: date | None = None,
    **terms,
) -> Lease:
    """Correct a wrong filing: change the lease through the tenancy services, marked as a
    correction. Corrected the same day as the wrong filing: nothing more; later: a UDK task
    naming before and after. A rent corrected back before 1 June 2014 always gives a task
    to e-mail UDK's housing support."""
    if rent is None and not terms:
        raise DomainError(_("Angiv hvad der skal rettes."))
    if rent is not None and rent_effective_date is None:
        raise DomainError(
            {"rent_effective_date": [_("Angiv hvilken dato rettelsen af huslejen gælder fra.")]}
        )
    with transaction.atomic():
        if terms:
            lease = tenancy_services.lease_update(
                lease=lease, actor=actor, correction=True, **terms
            )
        if rent is not None:
            lease = tenancy_services.lease_change_rent(
                lease=lease,
                rent=rent,
                effective_date=rent_effective_date,
                actor=actor,
                correction=True,
            )
    return lease


def unit_correct(*, unit: Unit, actor=None, **fields) -> Unit:
    """Correct wrong BBR data of a unit (see filing_correct for the UDK rule)."""
    return tenancy_services.unit_update(unit=unit, actor=actor, correction=True, **fields)


# --- consent ----------------------------------------------------------------------------


def _refile_tenant(person: Person, actor) -> list[Filing]:
    """File the person's active leases again, so the register's tenant identification
    follows the consent (CPR number with it, name and birth date without)."""
    leases = Lease.objects.filter(parties=person, status=LeaseStatus.ACTIVE).select_related(
        "organisation", "unit__entrance__building__property__department"
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
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
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


# --- caseworker actions on filings ------------------------------------------------------


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
        lease = Lease.objects.select_related(
            "organisation", "unit__entrance__building__property__department"
        ).get(pk=filing.lease_id)
        payload, refs, errors, warnings = _payload_for(lease, filing.effective_date)
        if payload != filing.payload or refs != filing.cpr_person_ids:
            filing.idempotency_key = uuid.uuid4()
        filing.payload = payload
        filing.cpr_person_ids = refs
        filing.warnings = warnings
        filing.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
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
        filing.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
        filing.save()
        schedule_push()
    return filing


def filing_resend(*, lease: Lease, actor=None) -> Filing:
    """File the lease's current state again (e.g. after fixing data outside a change)."""
    with transaction.atomic():
        lease = Lease.objects.select_related(
            "organisation", "unit__entrance__building__property__department"
        ).get(pk=lease.pk)
        return _write_filing(
            lease=lease,
            kind=FilingKind.RESEND,
            effective_date=timezone.localdate(),
            actor=actor,
        )


# --- pushing to the register ------------------------------------------------------------


def _enqueue_push() -> None:
    """Enqueue the push task; when the broker is unreachable, give up within a fraction
    of a second (the request must not hang) and leave the rows to the sweeper."""
    from config.celery import app

    from .tasks import filings_push_task

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=2)
            filings_push_task.apply_async(connection=conn, retry=False)
    except Exception:  # broker unreachable: the periodic sweeper files the rows later
        logger.warning(
            "rentregister: push task not enqueued (broker unreachable); sweeper will file"
        )


def schedule_push() -> None:
    """Enqueue one push task when the current transaction commits (once per transaction)."""
    if _enqueue_suppressed.get():
        return
    if connection.in_atomic_block and any(
        func is _enqueue_push for _sids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_push, robust=True)


@dataclass
class PushStats:
    """What one push run did."""

    claimed: int = 0
    accepted: int = 0
    rejected: int = 0
    transient: int = 0
    needs_attention: int = 0
    seconds: float = 0.0
    outcomes: list = field(default_factory=list, repr=False)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _eligible(now, organisation_ids=None):
    """Due pending filings that are the oldest open filing of their lease, oldest first.

    Both halves are served by partial indexes (models.Filing.Meta): the pending filings in
    primary-key order, and per lease the open filings by primary key (one index probe
    answers "is anything older still open?"), so a claim costs the rows it returns, not
    the backlog behind them."""
    earlier_open = Filing.objects.filter(
        lease_id=OuterRef("lease_id"), pk__lt=OuterRef("pk"), state__in=BLOCKING_STATES
    )
    qs = Filing.objects.filter(state=FilingState.PENDING)
    if organisation_ids is not None:
        qs = qs.filter(organisation_id__in=organisation_ids)
    return (
        qs.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(Exists(earlier_open))
        .order_by("pk")
    )


CLAIM_FIELDS = (
    "pk",
    "operation",
    "payload",
    "idempotency_key",
    "cpr_person_ids",
    "attempts",
    "warnings",
)


def _claim(limit: int, organisation_ids=None) -> list[dict]:
    """Claim up to `limit` due filings (pending → sent) so no other pusher sends them:
    FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the IMMEDIATE transaction holds the
    write lock from the select to the update. The oldest filing of a lease goes first;
    later ones wait until it is accepted (a pending or sent filing blocks its successors,
    also while another pusher holds it). Each row carries its claim time, so an answer is
    only recorded against the claim it belongs to."""
    now = timezone.now()
    with transaction.atomic():
        qs = _eligible(now, organisation_ids)
        if _is_postgres():
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.values(*CLAIM_FIELDS)[:limit])
        if rows:
            Filing.objects.filter(pk__in=[r["pk"] for r in rows], state=FilingState.PENDING).update(
                state=FilingState.SENT, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
            )
    for row in rows:
        row["attempts"] += 1
        row["claimed_at"] = now
    return rows


def _cpr_for(rows: list[dict]) -> None:
    """Add the CPR numbers of consenting tenants to the claimed payloads (decrypted only
    here, in memory, just before sending)."""
    wanted = {pid for r in rows for pid in (r["cpr_person_ids"] or []) if pid}
    if not wanted:
        for r in rows:
            r["send_payload"] = r["payload"]
        return
    consented = _consented_ids(wanted)
    people = {p.pk: p for p in Person.objects.filter(pk__in=consented)}
    for r in rows:
        cprs = {}
        for index, pid in enumerate(r["cpr_person_ids"] or []):
            person = people.get(pid)
            if person is not None and person.cpr_encrypted:
                cprs[index] = person.reveal_cpr().replace("-", "")
        r["send_payload"] = with_cpr(r["payload"], cprs)


_thread_state = threading.local()


def _client():
    from .hlr import HlrClient

    client = getattr(_thread_state, "client", None)
    if client is None:
        client = _thread_state.client = HlrClient()
    return client


def _send(row: dict) -> tuple[str, object]:
    """Runs in a worker thread: HTTP only, no database (one keep-alive connection per
    thread, kept by the client)."""
    from .hlr import HlrError, HlrRejected, HlrUnavailable

    try:
        receipt = _client().file(
            operation=row["operation"],
            payload=row["send_payload"],
            idempotency_key=str(row["idempotency_key"]),
        )
    except HlrRejected as exc:
        return "rejected", list(exc.errors or [])
    except HlrUnavailable as exc:
        return "transient", str(exc)[:300]
    except HlrError as exc:
        return "error", str(exc)[:300]
    except Exception as exc:  # a bug or network oddity must not lose the filing
        logger.exception("rentregister: unexpected error sending filing %s", row["pk"])
        return "transient", type(exc).__name__
    return "accepted", receipt


def _backoff(attempts: int) -> timedelta:
    seconds = settings.RENT_PUSH_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.RENT_PUSH_BACKOFF_MAX_SECONDS))


def _merge_warnings(ours: list, theirs: list) -> list:
    seen = {(w.get("field"), w.get("code")) for w in ours}
    return list(ours) + [w for w in theirs if (w.get("field"), w.get("code")) not in seen]


def _record_accepted(accepted: list[tuple[dict, object]], now) -> int:
    """Mark accepted filings in one prepared UPDATE run over all rows (executemany: no
    per-row ORM work, which used to cost more than the HTTP itself). Guarded by state and
    claim time: a row released by the sweeper and claimed again by another pusher is
    recorded by that pusher. Returns how many rows were written."""
    if not accepted:
        return 0
    meta = Filing._meta
    qn = connection.ops.quote_name

    def prep(name, value):
        return meta.get_field(name).get_db_prep_save(value, connection)

    columns = ("state", "accepted_at", "errors", "last_error", "updated_at")
    constants = [
        prep("state", FilingState.ACCEPTED),
        prep("accepted_at", now),
        prep("errors", []),
        "",
        prep("updated_at", now),
    ]
    sets = ", ".join(f"{qn(meta.get_field(c).column)} = %s" for c in columns)
    # Identifiers come from the model's meta and are quoted; every value is a parameter.
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {sets}, {qn('next_attempt_at')} = NULL, "  # noqa: S608
        f"{qn('receipt_id')} = %s, {qn('receipt_version')} = %s, {qn('warnings')} = %s "
        f"WHERE {qn(meta.pk.column)} = %s AND {qn('state')} = %s AND {qn('claimed_at')} = %s"
    )
    sent = prep("state", FilingState.SENT)
    no_warnings = prep("warnings", [])
    claim_times: dict = {}  # one claim time per claimed batch: adapt each once
    params = []
    for row, receipt in accepted:
        warnings = row.get("warnings") or []
        if receipt.warnings:
            warnings = _merge_warnings(warnings, receipt.warnings)
        claimed_at = row["claimed_at"]
        if claimed_at not in claim_times:
            claim_times[claimed_at] = prep("claimed_at", claimed_at)
        params.append(
            [
                *constants,
                str(receipt.receipt_id)[:100],
                receipt.version,
                prep("warnings", warnings) if warnings else no_warnings,
                row["pk"],
                sent,
                claim_times[claimed_at],
            ]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        written = cursor.rowcount
    # Drivers report the total over all rows; -1 when they cannot tell.
    return written if written is not None and written >= 0 else len(accepted)


def _record(results: list[tuple[dict, str, object]], stats: PushStats) -> None:
    """Write the outcomes of sent filings (one transaction per flush)."""
    if not results:
        return
    now = timezone.now()
    with transaction.atomic():
        accepted = []
        for row, kind, value in results:
            if kind == "accepted":
                accepted.append((row, value))
                stats.accepted += 1
                continue
            sent = Filing.objects.filter(
                pk=row["pk"], state=FilingState.SENT, claimed_at=row["claimed_at"]
            )
            if kind == "rejected":
                sent.update(
                    state=FilingState.REJECTED,
                    errors=value,
                    last_error=(message_da(value[0]) if value else _("Afvist af registret."))[:500],
                    updated_at=now,
                )
                stats.rejected += 1
            elif kind == "error" or row["attempts"] >= settings.RENT_PUSH_MAX_ATTEMPTS:
                text = (
                    _("Registret svarede ikke efter %(n)d forsøg (%(err)s).")
                    % {"n": row["attempts"], "err": value}
                    if kind == "transient"
                    else _("Registret svarede med en fejl: %s") % value
                )
                sent.update(
                    state=FilingState.NEEDS_ATTENTION, last_error=text[:500], updated_at=now
                )
                stats.needs_attention += 1
            else:
                sent.update(
                    state=FilingState.PENDING,
                    next_attempt_at=now + _backoff(row["attempts"]),
                    last_error=(_("Registret svarede ikke: %s") % value)[:500],
                    updated_at=now,
                )
                stats.transient += 1
        _record_accepted(accepted, now)
    stats.outcomes.extend((r["pk"], kind) for r, kind, _v in results)
    results.clear()


# Answers are recorded in bulk, but never held longer than this: recording an answer is
# what lets the next filing of the same lease be claimed.
FLUSH_SECONDS = 0.05


def filings_push(
    *,
    workers: int | None = None,
    batch: int | None = None,
    max_filings: int | None = None,
    max_seconds: float = 600.0,
    organisation_ids: list[int] | None = None,
) -> PushStats:
    """Send due filings to the register until none is left. Safe to run in several
    processes at once (claiming) and to repeat (idempotency keys; accepted filings are
    never claimed).

    A pipeline in one thread plus a pool that does HTTP only: this thread claims a batch
    whenever the pool is about to run dry, collects the answers from a queue and records
    them in bulk (one transaction per flush, at least every FLUSH_SECONDS); a flush also
    unblocks the next filing of each lease answered, so the next claim can take it."""
    workers = max(1, workers or settings.RENT_PUSH_WORKERS)
    batch = max(1, batch or settings.RENT_PUSH_BATCH)
    # Claim again while the pool still has this much queued, so it never waits for us.
    refill_at = max(2 * workers, batch // 2)
    flush_at = max(1, min(batch // 2, 100))
    stats = PushStats()
    started = time.monotonic()
    answers: queue.SimpleQueue = queue.SimpleQueue()
    results: list = []
    inflight = 0
    claim_again = True
    first_answer_at = None

    def run(row: dict) -> None:
        try:
            outcome = _send(row)
        except BaseException as exc:  # never lose an answer: record it as transient
            outcome = ("transient", type(exc).__name__)
        answers.put((row, *outcome))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hlr-push") as pool:
        while True:
            budget_left = max_filings is None or stats.claimed < max_filings
            may_claim = budget_left and time.monotonic() - started < max_seconds
            if claim_again and may_claim and inflight <= refill_at:
                limit = batch
                if max_filings is not None:
                    limit = min(limit, max_filings - stats.claimed)
                rows = _claim(limit, organisation_ids)
                claim_again = len(rows) == limit
                if rows:
                    _cpr_for(rows)
                    stats.claimed += len(rows)
                    inflight += len(rows)
                    for row in rows:
                        pool.submit(run, row)
            if inflight == 0:
                had = bool(results)
                _record(results, stats)
                first_answer_at = None
                if had and may_claim:
                    # What was just recorded may have unblocked later filings.
                    claim_again = True
                    continue
                break
            try:
                results.append(answers.get(timeout=FLUSH_SECONDS))
                inflight -= 1
                while True:
                    results.append(answers.get_nowait())
                    inflight -= 1
            except queue.Empty:
                pass
            if results:
                if first_answer_at is None:
                    first_answer_at = time.monotonic()
                if len(results) >= flush_at or time.monotonic() - first_answer_at >= FLUSH_SECONDS:
                    _record(results, stats)
                    first_answer_at = None
                    claim_again = True
    stats.seconds = time.monotonic() - started
    return stats


def filings_release_stuck(*, older_than: float | None = None) -> int:
    """Filings claimed long ago whose answer was never recorded (a worker died) go back
    to pending; they are re-sent with the same idempotency key, so never filed twice."""
    seconds = settings.RENT_STUCK_AFTER_SECONDS if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=seconds)
    return Filing.objects.filter(state=FilingState.SENT, claimed_at__lt=cutoff).update(
        state=FilingState.PENDING, next_attempt_at=None
    )


def filings_sweep() -> PushStats:
    """The periodic sweeper: release stuck filings, then push everything due."""
    released = filings_release_stuck()
    if released:
        logger.info("rentregister: released %d stuck filings", released)
    return filings_push()


# --- rehousing --------------------------------------------------------------------------


def _money_or_error(value, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError({field_name: [_("Angiv et beløb i kroner.")]}) from None
    if amount < 0 or not amount.is_finite():
        raise DomainError({field_name: [_("Beløbet må ikke være negativt.")]})
    return amount.quantize(Decimal("0.01"))


def rehousing_start_temporary(
    *,
    lease: Lease,
    start_date: date,
    placement: str,
    temporary_unit: Unit | None = None,
    temporary_rent: Decimal | None = None,
    end_date: date | None = None,
    note: str = "",
    actor=None,
) -> Rehousing:
    """Temporary rehousing: the tenant keeps the lease and rent. Lower rent in the
    temporary home → file the lower rent; higher → file nothing; outside the organisation
    paid by an insurer → file 0 kr."""
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Kun et aktivt lejemål kan genhuses midlertidigt."))
    if placement not in RehousingPlacement.values:
        raise DomainError({"placement": [_("Vælg hvor lejeren genhuses.")]})
    if end_date and end_date < start_date:
        raise DomainError({"end_date": [_("Slutdatoen kan ikke ligge før startdatoen.")]})
    filed_rent = None
    if placement == RehousingPlacement.INSIDE:
        if temporary_rent is None or temporary_rent == "":
            raise DomainError({"temporary_rent": [_("Angiv huslejen i den midlertidige bolig.")]})
        temporary_rent = _money_or_error(temporary_rent, "temporary_rent")
        if temporary_unit is not None:
            if temporary_unit.organisation_id != lease.organisation_id:
                raise DomainError(
                    {"temporary_unit": [_("Den midlertidige bolig skal høre til organisationen.")]}
                )
            if temporary_unit.pk == lease.unit_id:
                raise DomainError(
                    {"temporary_unit": [_("Den midlertidige bolig kan ikke være lejerens egen.")]}
                )
        if temporary_rent < lease.rent:
            filed_rent = temporary_rent
    else:
        temporary_unit = None
        temporary_rent = None
        filed_rent = Decimal("0.00")
    with transaction.atomic():
        Lease.objects.select_for_update().filter(pk=lease.pk).first()
        if Rehousing.objects.filter(
            lease=lease, kind=RehousingKind.TEMPORARY, status=RehousingStatus.ACTIVE
        ).exists():
            raise DomainError(_("Lejemålet har allerede en igangværende midlertidig genhusning."))
        rehousing = Rehousing.objects.create(
            organisation_id=lease.organisation_id,
            lease=lease,
            kind=RehousingKind.TEMPORARY,
            placement=placement,
            temporary_unit=temporary_unit,
            temporary_rent=temporary_rent,
            filed_rent=filed_rent,
            start_date=start_date,
            end_date=end_date,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if filed_rent is not None:
            _write_filing(
                lease=_lease_for_filing(lease),
                kind=FilingKind.REHOUSING,
                effective_date=start_date,
                actor=actor,
            )
    return rehousing


def _lease_for_filing(lease: Lease) -> Lease:
    return Lease.objects.select_related(
        "organisation", "unit__entrance__building__property__department"
    ).get(pk=lease.pk)


def rehousing_end(*, rehousing: Rehousing, end_date: date, actor=None) -> Rehousing:
    """The tenant is back home: if a changed rent was filed, file the real rent again."""
    with transaction.atomic():
        rehousing = Rehousing.objects.select_for_update().get(pk=rehousing.pk)
        if rehousing.kind != RehousingKind.TEMPORARY or rehousing.status != RehousingStatus.ACTIVE:
            raise DomainError(_("Kun en igangværende midlertidig genhusning kan afsluttes."))
        if end_date < rehousing.start_date:
            raise DomainError({"end_date": [_("Slutdatoen kan ikke ligge før startdatoen.")]})
        had_filed_rent = rehousing.filed_rent is not None
        rehousing.status = RehousingStatus.ENDED
        rehousing.end_date = end_date
        rehousing.save(update_fields=["status", "end_date"])
        lease = _lease_for_filing(rehousing.lease)
        if had_filed_rent and lease.status == LeaseStatus.ACTIVE:
            _write_filing(
                lease=lease,
                kind=FilingKind.REHOUSING_END,
                effective_date=end_date + timedelta(days=1),
                actor=actor,
            )
    return rehousing


def rehousing_permanent(
    *,
    lease: Lease,
    new_unit: Unit,
    move_date: date,
    rent: Decimal,
    actor=None,
    note: str = "",
    **terms,
) -> Rehousing:
    """Permanent rehousing is an ordinary move: the old lease ends the day before the move
    and a new lease starts on the new unit for the same tenants (both filed as usual; the
    tenant re-registers in CPR and applies for housing benefit anew)."""
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Kun et aktivt lejemål kan genhuses."))
    if new_unit.pk == lease.unit_id:
        raise DomainError({"new_unit": [_("Vælg en anden bolig end den nuværende.")]})
    if move_date <= lease.start_date:
        raise DomainError({"move_date": [_("Flyttedatoen skal ligge efter lejemålets start.")]})
    rent = _money_or_error(rent, "rent")
    carried = {
        name: getattr(lease, name)
        for name in (
            "holder_type",
            "special_payments",
            "heating_aconto",
            "water_aconto",
            "electricity",
            "water",
            "drainage",
            "heating",
            "heating_form",
            "tenant_maintains",
            "private_kitchen",
            "garage_carport",
            "accessible",
            "student_room",
        )
    }
    carried.update(terms)
    with transaction.atomic():
        parties = list(lease.parties.all())
        old = tenancy_services.lease_end(
            lease=lease,
            end_date=move_date - timedelta(days=1),
            reason=str(_("Permanent genhusning")),
            actor=actor,
        )
        new = tenancy_services.lease_create(
            unit=new_unit,
            parties=parties,
            start_date=move_date,
            rent=rent,
            actor=actor,
            **carried,
        )
        return Rehousing.objects.create(
            organisation_id=old.organisation_id,
            lease=old,
            kind=RehousingKind.PERMANENT,
            new_lease=new,
            start_date=move_date,
            status=RehousingStatus.ENDED,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


# --- notification contacts --------------------------------------------------------------


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

"""CPR landlord lookups that write: ad-hoc lookups, scans, the opt-in (DOMAIN.md §1, §2).

Every rule that can be checked without CPR is checked before the (paid) call: the purpose,
the target's format, the organisation's eligibility and that the organisation owns the
address. Only then is GCTP called, outside any database transaction (a slow service must not
hold a database lock), and the outcome is recorded in one transaction: the lookup log row,
the answered residents, at most one ledger row (unique key) and the refreshed occupancy
picture (see `cprlookup.occupancy`).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from tenancy.choices import OrganisationKind
from tenancy.models import Building, Entrance, Organisation, Property, Unit, normalise_search
from tenancy.selectors import organisation_ids_for, role_for
from tenancy.validators import (
    validate_door,
    validate_floor,
    validate_four_digits,
    validate_house_number,
)

from .gctp import KVIT_WRONG_PASSWORD, GctpClient, GctpError, GctpRefused, GctpUnavailable
from .gctp import _knob as gctp_knob
from .models import (
    CprCharge,
    CprLookup,
    CprLookupResident,
    CprRegistration,
    LookupOutcome,
    LookupSource,
    LookupTarget,
    ScanItem,
    ScanItemStatus,
    ScanJob,
    ScanSetting,
    ScanStatus,
    UnitOccupancy,
)
from .occupancy import apply_answers, bulk_insert, pg_array, raw_cursor

# Private landlords need more than this many dwellings to use the landlord service (CPR
# Act §39).
PRIVATE_MIN_DWELLINGS = 10

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = CprLookup._meta.get_field("purpose").max_length

# Danish texts for the service's refusal codes (the simulator's codes; see cprlookup.gctp).
REFUSAL_TEXTS = {
    "16": gettext_lazy("CPR afviste søgningen, fordi input var ugyldigt."),
    "60": gettext_lazy("CVR-nummeret er ikke tilmeldt CPR's udlejerservice. Kontakt CPR-kontoret."),
    "61": gettext_lazy("CPR oplyser, at organisationens CVR-nummer ikke er ejer af adressen."),
    "62": gettext_lazy("Adressen findes ikke i CPR."),
}


class CprServiceUnavailable(DomainError):
    """CPR did not answer (after the client's retries): try again later."""


# --- eligibility and input ------------------------------------------------------------------


def eligibility_error(organisation: Organisation) -> str | None:
    """Why the organisation may not use CPR's landlord service, or None if it may
    (DOMAIN.md §1: registered with CPR; private landlords need more than 10 dwellings)."""
    if not organisation.cpr_service_registered:
        return _(
            "%(name)s er ikke tilmeldt CPR's udlejerservice. Organisationen skal tilmeldes, "
            "før der kan slås op i CPR."
        ) % {"name": organisation.name}
    if (
        organisation.kind == OrganisationKind.PRIVATE
        and organisation.dwellings_owned <= PRIVATE_MIN_DWELLINGS
    ):
        return _(
            "Private udlejere skal eje og udleje mere end %(n)d boliger for at bruge CPR's "
            "udlejerservice (CPR-loven § 39). %(name)s er registreret med %(owned)d."
        ) % {
            "n": PRIVATE_MIN_DWELLINGS,
            "name": organisation.name,
            "owned": organisation.dwellings_owned,
        }
    return None


def _clean_purpose(purpose: str | None) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError(
            {"purpose": [_("Skriv formålet eller sagsnummeret, som opslaget gøres i.")]}
        )
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise DomainError({"purpose": [_("Formålet må højst være %d tegn.") % PURPOSE_MAX_LENGTH]})
    return purpose


def _parse_uuid(value, field_name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        raise DomainError(
            {
                field_name: [
                    _(
                        "Ugyldigt DAR-id. Et DAR-id er et UUID som "
                        "0a3f50a0-73bf-32b8-e044-0003ba298018."
                    )
                ]
            }
        ) from None


def _parse_pk(value, field_name: str) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError({field_name: [_("Ugyldigt id.")]}) from None
    if pk <= 0:
        raise DomainError({field_name: [_("Ugyldigt id.")]})
    return pk


@dataclass
class Target:
    """A resolved, owned lookup target and how to ask CPR about it."""

    kind: str
    label: str
    entrance: Entrance
    unit: Unit | None = None
    dar_id: uuid.UUID | None = None
    search: dict = field(default_factory=dict)
    cvr: str = ""  # the owner's CVR when already known (scans read it with the items)

    @property
    def units(self) -> list[Unit]:
        """The units the answer covers (one dwelling or the whole stairwell)."""
        if self.unit is not None:
            return [self.unit]
        return list(self.entrance.units.all())

    @property
    def owner_cvr(self) -> str:
        # The property's owner (DOMAIN.md §1), not whoever is asking.
        return self.cvr or self.entrance.building.property.organisation.cvr


def _address_parts(entrance: Entrance, unit: Unit | None) -> dict:
    """Address parts for GCTP, validated like any user input before the paid call."""
    parts = {
        "municipality_code": entrance.municipality_code,
        "road_code": entrance.road_code,
        "house_number": entrance.house_number,
        "floor": unit.floor if unit else "",
        "door": unit.door if unit else "",
    }
    try:
        validate_four_digits(parts["municipality_code"])
        validate_four_digits(parts["road_code"])
        validate_house_number(parts["house_number"])
        validate_floor(parts["floor"])
        validate_door(parts["door"])
    except DomainError:
        raise
    except Exception as exc:  # a Django ValidationError from a validator
        raise DomainError(
            _("Adressen er ufuldstændig eller ugyldig i registeret og kan ikke slås op: %s")
            % "; ".join(getattr(exc, "messages", [str(exc)]))
        ) from exc
    return parts


def _not_owned() -> DomainError:
    return DomainError(
        _(
            "Adressen ligger ikke i en af organisationens ejendomme. Der kan kun slås op på "
            "boliger, organisationen selv ejer."
        )
    )


def resolve_target(
    *,
    organisation: Organisation,
    unit_id=None,
    entrance_id=None,
    dar_address_id=None,
    dar_house_id=None,
    address: str | None = None,
) -> Target:
    """Find the unit or entrance to look up, refusing (DomainError) malformed input and
    anything outside the organisation's own properties."""
    given = {
        k: v
        for k, v in {
            "unit_id": unit_id,
            "entrance_id": entrance_id,
            "dar_address_id": dar_address_id,
            "dar_house_id": dar_house_id,
            "address": address,
        }.items()
        if v not in (None, "")
    }
    if len(given) != 1:
        raise DomainError(
            _(
                "Angiv præcis én ting at slå op på: en enhed, en opgang, et DAR adresse-id, "
                "et DAR husnummer-id eller en adresse."
            )
        )
    units = Unit.objects.filter(organisation=organisation).select_related(
        "entrance__building__property__organisation"
    )
    entrances = Entrance.objects.filter(organisation=organisation).select_related(
        "building__property__organisation"
    )
    unit = entrance = None
    kind = ""
    dar_id = None
    if unit_id not in (None, ""):
        unit = units.filter(pk=_parse_pk(unit_id, "unit_id")).first()
        kind = LookupTarget.UNIT
    elif entrance_id not in (None, ""):
        entrance = entrances.filter(pk=_parse_pk(entrance_id, "entrance_id")).first()
        kind = LookupTarget.ENTRANCE
    elif dar_address_id not in (None, ""):
        dar_id = _parse_uuid(dar_address_id, "dar_address_id")
        unit = units.filter(dar_id=dar_id).first()
        kind = LookupTarget.DAR_ADDRESS
    elif dar_house_id not in (None, ""):
        dar_id = _parse_uuid(dar_house_id, "dar_house_id")
        entrance = entrances.filter(dar_id=dar_id).first()
        kind = LookupTarget.DAR_HOUSE
    else:
        text = normalise_search(address)
        if len(text) > 200 or not any(ch.isdigit() for ch in text):
            raise DomainError(
                {"address": [_("Skriv vejnavn og husnummer, evt. etage og dør: Vejen 12, 2. tv.")]}
            )
        unit = units.filter(search_text=text).first()
        if unit is not None:
            kind = LookupTarget.UNIT
        else:
            entrance = entrances.filter(search_text=text).first()
            kind = LookupTarget.ENTRANCE
    if unit is None and entrance is None:
        raise _not_owned()
    if unit is not None:
        entrance = unit.entrance
    # The denormalised organisation must agree with the property's owner.
    if entrance.building.property.organisation_id != organisation.pk:
        raise _not_owned()
    label = unit.address if unit is not None else entrance.address
    if kind == LookupTarget.DAR_ADDRESS:
        search = {"dar_address_id": dar_id}
    elif kind == LookupTarget.DAR_HOUSE:
        search = {"dar_house_id": dar_id}
    else:
        search = {"address": _address_parts(entrance, unit)}
    return Target(
        kind=kind, label=label, entrance=entrance, unit=unit, dar_id=dar_id, search=search
    )


# --- answers and their recording --------------------------------------------------------------


@dataclass
class Answer:
    """The outcome of one logical search, ready to be recorded."""

    target: Target
    residents: list = field(default_factory=list)
    outcome: str = LookupOutcome.OK
    reached_service: bool = True
    attempts: int = 1
    error_code: str = ""
    error_message: str = ""

    @property
    def chargeable(self) -> bool:
        """A search that reached the service costs money, except a refusal (DOMAIN.md §1:
        refused searches are free)."""
        return self.reached_service and self.outcome != LookupOutcome.REFUSED


def refusal_text(exc: GctpError) -> str:
    code = str(getattr(exc, "code", "") or "")
    text = REFUSAL_TEXTS.get(code)
    if text:
        return str(text)
    message = getattr(exc, "message", "") or ""
    return _("CPR afviste søgningen: %s") % message if message else _("CPR afviste søgningen.")


def unavailable_text() -> str:
    return _(
        "CPR's udlejerservice svarer ikke lige nu, heller ikke efter flere forsøg. "
        "Prøv igen om lidt."
    )


def search(client: GctpClient, target: Target) -> Answer:
    """Ask CPR about one target; never raises for service errors, they become an Answer."""
    try:
        result = client.landlord_search(cvr=target.owner_cvr, **target.search)
    except GctpRefused as exc:
        # A local input refusal (code 16 before any call) never reached CPR.
        return Answer(
            target=target,
            outcome=LookupOutcome.REFUSED,
            reached_service=bool(exc.reached_service),
            error_code=str(exc.code or ""),
            error_message=refusal_text(exc)[:300],
        )
    except GctpUnavailable as exc:
        return Answer(
            target=target,
            outcome=LookupOutcome.UNAVAILABLE,
            reached_service=bool(getattr(exc, "reached_service", False)),
            attempts=int(getattr(exc, "attempts", 1) or 1),
            error_code=str(getattr(exc, "code", "") or ""),
            error_message=unavailable_text(),
        )
    except GctpError as exc:  # configuration (905) or an answer we could not understand
        code = str(getattr(exc, "code", "") or "")
        return Answer(
            target=target,
            outcome=LookupOutcome.UNAVAILABLE,
            reached_service=bool(getattr(exc, "reached_service", False)),
            error_code=code,
            # Wrong GCTP credentials: the client's message says what to fix.
            error_message=(exc.message if code == str(KVIT_WRONG_PASSWORD) else unavailable_text()),
        )
    return Answer(
        target=target,
        residents=list(result.residents),
        reached_service=result.reached_service,
        attempts=result.attempts,
    )


def _month_start(moment):
    local = timezone.localtime(moment)
    return local.date().replace(day=1)


LOOKUP_FIELDS = [
    "id",
    "organisation",
    "user",
    "at",
    "source",
    "target_kind",
    "target_label",
    "unit",
    "entrance",
    "dar_id",
    "owner_cvr",
    "purpose",
    "outcome",
    "result_count",
    "error_code",
    "error_message",
    "attempts",
    "reached_service",
    "scan_job",
]
RESIDENT_FIELDS = [
    "lookup",
    "cpr_encrypted",
    "cpr_hash",
    "cpr_masked",
    "name",
    "move_in",
    "move_out",
    "protected",
    "dar_address_id",
    "floor",
    "door",
    "unit",
    "person",
]
CHARGE_FIELDS = ["key", "organisation", "user", "lookup", "source", "at", "month", "amount"]


def write_answers(
    *,
    organisation: Organisation,
    user,
    source: str,
    purpose: str,
    answers: list[tuple[Answer, str]],
    scan_job_id: int | None = None,
) -> list[uuid.UUID]:
    """Write the log rows, result rows, ledger rows and occupancy picture for answered
    searches, set-based (a fixed number of statements whatever the number of answers).
    `answers` pairs each Answer with its ledger key; a key already in the ledger is not
    charged again (ON CONFLICT DO NOTHING on the unique key). Returns the lookup ids in
    the order of `answers`. Call inside a transaction."""
    now = timezone.now()
    ids = [uuid.uuid4() for _a in answers]
    user_id = user.pk if user is not None else None
    bulk_insert(
        CprLookup,
        LOOKUP_FIELDS,
        [
            (
                lookup_id,
                organisation.pk,
                user_id,
                now,
                source,
                answer.target.kind,
                answer.target.label[:200],
                answer.target.unit.pk if answer.target.unit is not None else None,
                answer.target.entrance.pk,
                answer.target.dar_id,
                answer.target.owner_cvr,
                purpose,
                answer.outcome,
                len(answer.residents),
                answer.error_code[:20],
                answer.error_message[:300],
                min(answer.attempts, 32767),
                answer.reached_service,
                scan_job_id,
            )
            for lookup_id, (answer, _key) in zip(ids, answers, strict=True)
        ],
    )

    placed = apply_answers(
        organisation=organisation,
        answers=[(a, lookup_id) for (a, _k), lookup_id in zip(answers, ids, strict=True)],
        now=now,
    )
    bulk_insert(
        CprLookupResident,
        RESIDENT_FIELDS,
        [
            (
                lookup_id,
                encrypted,
                cpr_hash,
                f"{r.cpr[:6]}-xxxx",
                "" if r.protected else (r.name or "")[:200],
                r.move_in,
                r.move_out,
                bool(r.protected),
                r.dar_address_id,
                (r.floor or "")[:3],
                (r.door or "")[:4],
                unit_id,
                person_id,
            )
            for lookup_id in ids
            for r, unit_id, person_id, cpr_hash, encrypted in placed.get(lookup_id, ())
        ],
    )
    month = _month_start(now)
    bulk_insert(
        CprCharge,
        CHARGE_FIELDS,
        [
            (
                key,
                organisation.pk,
                user_id,
                lookup_id,
                source,
                now,
                month,
                settings.CPR_SEARCH_PRICE,
            )
            for (answer, key), lookup_id in zip(answers, ids, strict=True)
            if answer.chargeable
        ],
        conflict="ON CONFLICT (key) DO NOTHING",
    )
    return ids


def record_answers(
    *,
    organisation: Organisation,
    user,
    source: str,
    purpose: str,
    answers: list[tuple[Answer, str]],
    scan_job: ScanJob | None = None,
) -> list[CprLookup]:
    """`write_answers`, returning the CprLookup rows written (in order)."""
    ids = write_answers(
        organisation=organisation,
        user=user,
        source=source,
        purpose=purpose,
        answers=answers,
        scan_job_id=scan_job.pk if scan_job is not None else None,
    )
    by_id = CprLookup.objects.in_bulk(ids)
    return [by_id[i] for i in ids]


# --- ad-hoc lookups ---------------------------------------------------------------------------


def _check_member(user, organisation: Organisation) -> None:
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
    _check_member(user, organisation)
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


# --- scheduled scans ---------------------------------------------------------------------------


def scan_setting_set(*, user, organisation: Organisation, enabled: bool) -> ScanSetting:
    """Turn the nightly scan on or off (organisation admin or CPR officer)."""
    _require_scan_role(user, organisation)
    if enabled:
        problem = eligibility_error(organisation)
        if problem:
            raise DomainError(problem)
    with transaction.atomic():
        setting, _created = ScanSetting.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        setting.enabled = enabled
        setting.updated_by = user
        setting.save()
    return setting


def _require_scan_role(user, organisation: Organisation) -> None:
    if user is None:
        return  # the scheduler
    _check_member(user, organisation)
    if role_for(user=user, organisation=organisation) not in ("org_admin", "cpr_officer"):
        raise PermissionDenied(
            _("Kun organisationsadministratorer og CPR-ansvarlige kan starte scanninger.")
        )


def scan_start(*, organisation: Organisation, user=None, scheduled: bool = False) -> ScanJob:
    """Create a scan of every entrance of the organisation and queue it.

    One item per entrance (unique per job). Refuses an ineligible organisation and a second
    scan while one is unfinished. The dispatcher is queued when the transaction commits.
    """
    from .tasks import scan_dispatch

    _require_scan_role(user, organisation)
    problem = eligibility_error(organisation)
    if problem:
        raise DomainError(problem)
    if ScanJob.objects.filter(
        organisation=organisation, status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]
    ).exists():
        raise DomainError(_("Der kører allerede en scanning for organisationen."))
    try:
        with transaction.atomic():
            job = ScanJob.objects.create(
                organisation=organisation, started_by=user, scheduled=scheduled
            )
            # One INSERT ... SELECT: a large portfolio has thousands of stairwells.
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {qn(ScanItem._meta.db_table)} "  # noqa: S608 - model names
                    "(job_id, entrance_id, status, attempts, result_count, error) "
                    f"SELECT %s, id, %s, 0, 0, '' FROM {qn(Entrance._meta.db_table)} "
                    "WHERE organisation_id = %s ORDER BY id",
                    [job.pk, ScanItemStatus.PENDING, organisation.pk],
                )
            job.total = ScanItem.objects.filter(job=job).count()
            if job.total == 0:
                job.status = ScanStatus.DONE
                job.finished_at = timezone.now()
            job.save(update_fields=["total", "status", "finished_at"])
            if job.total:
                transaction.on_commit(lambda: scan_dispatch.delay(job.pk))
    except IntegrityError:
        raise DomainError(_("Der kører allerede en scanning for organisationen.")) from None
    return job


def scan_resume(*, job: ScanJob, user=None) -> ScanJob:
    """Run the failed items of a finished scan again (and re-queue anything unfinished).
    A search already charged in this job is not charged again (the ledger key)."""
    from .tasks import scan_dispatch

    _require_scan_role(user, job.organisation)
    problem = eligibility_error(job.organisation)
    if problem:
        raise DomainError(problem)
    try:
        with transaction.atomic():
            job = ScanJob.objects.select_for_update().get(pk=job.pk)
            ScanItem.objects.filter(job=job, status=ScanItemStatus.FAILED).update(
                status=ScanItemStatus.PENDING, error=""
            )
            job.status = ScanStatus.RUNNING
            job.finished_at = None
            job.save(update_fields=["status", "finished_at"])
            refresh_job_counts(job)
            if not job.is_finished:
                transaction.on_commit(lambda: scan_dispatch.delay(job.pk))
    except IntegrityError:
        raise DomainError(_("Der kører allerede en scanning for organisationen.")) from None
    return job


def scan_pending_chunks(*, job: ScanJob) -> list[list[int]]:
    """Mark the job running and return its pending item ids in chunks for the workers."""
    now = timezone.now()
    with transaction.atomic():
        ScanJob.objects.filter(pk=job.pk, status=ScanStatus.QUEUED).update(
            status=ScanStatus.RUNNING, started_at=now, progress_at=now
        )
        pending = ScanItem.objects.filter(job=job, status=ScanItemStatus.PENDING)
        ids = list(pending.order_by("pk").values_list("pk", flat=True))
        pending.update(queued_at=now)
    return _chunked(ids)


def _chunked(ids: list[int]) -> list[list[int]]:
    """Chunks of SCAN_CHUNK_SIZE ids, tapering towards the end: no chunk takes more than
    half of what is left (down to 2 x SCAN_THREADS), so the workers run out of work at
    about the same time instead of one searching a whole last chunk alone while the others
    idle. Big chunks matter: each chunk ends with its threads falling idle one by one and
    the next task's set-up, several per cent of a scan at 200 stairwells a chunk."""
    size = max(1, settings.CPR_SCAN_CHUNK_SIZE)
    smallest = max(1, min(size, 2 * settings.CPR_SCAN_THREADS))
    chunks, start = [], 0
    while start < len(ids):
        left, step = len(ids) - start, size
        while step > smallest and left < 2 * step:
            step = max(smallest, step // 2)
        chunks.append(ids[start : start + step])
        start += step
    return chunks


def refresh_job_counts(job: ScanJob) -> ScanJob:
    """Recount done/failed from the items (idempotent) and finish the job when nothing is
    left. Call inside a transaction holding the job row."""
    counts = ScanItem.objects.filter(job=job).aggregate(
        done=Count("pk", filter=Q(status=ScanItemStatus.DONE)),
        failed=Count("pk", filter=Q(status=ScanItemStatus.FAILED)),
    )
    job.done, job.failed = counts["done"], counts["failed"]
    job.progress_at = timezone.now()
    fields = ["done", "failed", "progress_at"]
    if job.status in (ScanStatus.QUEUED, ScanStatus.RUNNING) and job.done + job.failed >= job.total:
        job.status = ScanStatus.FAILED if job.failed else ScanStatus.DONE
        job.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    job.save(update_fields=fields)
    return job


@dataclass
class _Item:
    """A claimed scan item and the stairwell search it stands for."""

    pk: int
    entrance_id: int
    target: Target
    token: object = None  # the claim (claimed_at) this worker holds the item by


def _claim(item_ids: list[int]) -> tuple[object, list[_Item]]:
    """Take pending items (pending -> running). Items done, failed or claimed by another
    worker are skipped, so a duplicated or redelivered message does no harm. Returns the
    claim token and the items with what their search needs (read as tuples, one query)."""
    token = timezone.now()
    if connection.vendor == "postgresql":
        rows = _claim_pg(item_ids, token)
    else:
        rows = _claim_orm(item_ids, token)
    items = []
    for pk, entrance_id, dar_id, street, number, postcode, city, cvr in rows:
        if dar_id is not None and not isinstance(dar_id, uuid.UUID):
            dar_id = uuid.UUID(str(dar_id))
        entrance = Entrance(pk=entrance_id, dar_id=dar_id, street_name=street, house_number=number)
        entrance.postcode, entrance.city = postcode, city
        items.append(
            _Item(pk=pk, entrance_id=entrance_id, target=_scan_target(entrance, cvr), token=token)
        )
    return token, items


def _claim_pg(item_ids: list[int], token) -> list[tuple]:
    """Claim and read in one statement: a chunk of 2000 took 100-200 ms through the ORM
    (a 2000-value IN list compiled in Python, three queries), with every search thread of
    the worker idle meanwhile."""
    qn = connection.ops.quote_name
    item, entrance, building, prop, org = (
        qn(m._meta.db_table) for m in (ScanItem, Entrance, Building, Property, Organisation)
    )
    with raw_cursor() as cursor:
        cursor.execute(
            f"WITH c AS (SELECT id FROM {item} WHERE id = ANY(%b) AND status = %s "  # noqa: S608
            "FOR UPDATE SKIP LOCKED) "
            f"UPDATE {item} AS s SET status = %s, claimed_at = %s "
            f"FROM c, {entrance} e, {building} b, {prop} p, {org} o "
            "WHERE s.id = c.id AND e.id = s.entrance_id AND b.id = e.building_id "
            "AND p.id = b.property_id AND o.id = p.organisation_id "
            "RETURNING s.id, s.entrance_id, e.dar_id, e.street_name, e.house_number, "
            "e.postcode, e.city, o.cvr",
            [
                pg_array(item_ids, "bigint"),
                ScanItemStatus.PENDING.value,
                ScanItemStatus.RUNNING.value,
                token,
            ],
        )
        return sorted(cursor.fetchall())


def _claim_orm(item_ids: list[int], token) -> list[tuple]:
    with transaction.atomic():
        claimed_ids = list(
            # order_by(): the default ordering joins the job row, which must not be locked.
            ScanItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=item_ids, status=ScanItemStatus.PENDING)
            .order_by()
            .values_list("pk", flat=True)
        )
        if claimed_ids:
            ScanItem.objects.filter(pk__in=claimed_ids, status=ScanItemStatus.PENDING).update(
                status=ScanItemStatus.RUNNING, claimed_at=token
            )
    rows = ScanItem.objects.filter(
        pk__in=claimed_ids, status=ScanItemStatus.RUNNING, claimed_at=token
    ).values_list(
        "pk",
        "entrance_id",
        "entrance__dar_id",
        "entrance__street_name",
        "entrance__house_number",
        "entrance__postcode",
        "entrance__city",
        "entrance__building__property__organisation__cvr",
    )
    return list(rows)


def _scan_target(entrance: Entrance, cvr: str = "") -> Target:
    return Target(
        kind=LookupTarget.DAR_HOUSE,
        label=entrance.address,
        entrance=entrance,
        dar_id=entrance.dar_id,
        search={"dar_house_id": entrance.dar_id},
        cvr=cvr,
    )


# Searches handed to the pool per search thread (running + waiting). The waiting ones keep
# the threads busy while this thread records a batch: at 2 per thread they run dry one search
# latency (20 ms) into a record that takes longer; cpr_bench, 9 runs each, median ratio 0.86
# at 2, 0.88 at 4.
_QUEUE_PER_THREAD = 4


def scan_chunk_process(*, job_id: int, item_ids: list[int], record_every: int | None = None) -> int:
    """Look up a chunk of a scan's entrances, SCAN_THREADS searches at a time, recording
    the answers while the next searches run.

    The chunk's items are claimed a slice at a time and handed to the thread pool so that
    about _QUEUE_PER_THREAD x SCAN_THREADS searches are waiting or running; this thread
    records whatever has come back (at least `record_every`, default SCAN_RECORD_BATCH, or
    the rest) in one transaction together with its items' new status, then collects what
    finished meanwhile. So the HTTP threads never wait for the database, and the batches
    grow by themselves when recording is the slower side. Once the last searches are in
    flight (threads falling idle), the default records whatever has come back at once: the
    batch left to record after the last answer, with no search running beside it, stays
    small.

    Idempotent: only items this call claimed are searched; an item whose claim was taken
    away meanwhile (the sweeper thought this worker dead) is not recorded twice. Returns
    the number of items recorded.
    """
    job = ScanJob.objects.select_related("organisation").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return 0
    threads = max(1, min(settings.CPR_SCAN_THREADS, len(item_ids)))
    # The chunk is claimed a slice at a time as the threads need work: claiming 2000 items
    # at once kept every thread idle for a tenth of a second at each chunk's start.
    todo = list(item_ids)
    step = 4 * threads

    def claim_slice() -> list[_Item]:
        nonlocal todo
        part, todo = todo[:step], todo[step:]
        return _claim(part)[1]

    items: list[_Item] = []
    while todo and not items:
        items = claim_slice()
    if not items:
        return 0
    problem = eligibility_error(job.organisation)
    if problem:
        # Registration withdrawn mid-run: fail the whole chunk visibly, search nothing.
        while todo:
            items += claim_slice()
        _finish_items(job, [(item, None, problem) for item in items])
        return len(items)
    client, pool = _scan_resources()
    batch_min = max(1, record_every or settings.CPR_SCAN_RECORD_BATCH)
    recorded = 0
    ready: list[tuple[_Item, Answer]] = []
    # Finished searches arrive on a queue (O(1) each; concurrent.futures.wait would watch
    # every outstanding future again for each one that finishes).
    finished: queue.SimpleQueue = queue.SimpleQueue()
    futures = []

    def submit(more: list[_Item]) -> int:
        for item in more:
            future = pool.submit(search, client, item.target)
            future.add_done_callback(lambda f, item=item: finished.put((item, f)))
            futures.append(future)
        return len(more)

    outstanding = submit(items)
    try:
        while outstanding or todo:
            while todo and outstanding < _QUEUE_PER_THREAD * threads:
                outstanding += submit(claim_slice())
            if not outstanding:
                break  # the rest of the chunk was done or taken by someone else
            got = [finished.get()]
            while not finished.empty():  # and whatever else came back meanwhile
                got.append(finished.get())
            outstanding -= len(got)
            ready.extend((item, future.result()) for item, future in got)
            draining = record_every is None and not todo and outstanding < threads
            if len(ready) >= batch_min or not outstanding or (draining and ready):
                recorded += _record_scan_batch(job, ready)
                ready = []
                _statistics_grown(job)
    finally:
        # Recording failed: the searches not started yet are not needed (the items stay
        # claimed; the sweeper hands them out again). Started ones finish on their own.
        for future in futures:
            future.cancel()
    if ready:
        recorded += _record_scan_batch(job, ready)
    return recorded


# One GCTP client and one search thread pool per worker process, kept across chunks: the
# threads keep their keep-alive connections to CPR and the client its token, instead of a
# new pool, new connections and a token-file read for every chunk. Keyed by the process
# (threads do not survive a fork; Celery's prefork children build their own) and by every
# setting the client and the pool are made from, so a changed setting (tests point at
# another simulator) gets a fresh client.
_scan_lock = threading.Lock()
_scan_shared: dict[str, object] = {}

_GCTP_KNOBS = (
    "GCTP_BASE_URL",
    "GCTP_USERID",
    "GCTP_PASSWORD",
    "GCTP_TIMEOUT",
    "GCTP_MAX_ATTEMPTS",
    "GCTP_BACKOFF_BASE",
    "GCTP_BACKOFF_MAX",
    "GCTP_TOKEN_FILE",
)


def _scan_resources() -> tuple[GctpClient, ThreadPoolExecutor]:
    """This process's (GctpClient, ThreadPoolExecutor) for scans, made on first use."""
    key = (
        os.getpid(),
        max(1, settings.CPR_SCAN_THREADS),
        *(gctp_knob(name) for name in _GCTP_KNOBS),
    )
    with _scan_lock:
        if _scan_shared.get("key") != key:
            # The old pool is not shut down (a concurrent chunk may still submit to it); its
            # idle threads end when it is garbage-collected.
            _scan_shared.update(
                key=key,
                client=GctpClient(),
                pool=ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="cpr-scan"),
            )
        return _scan_shared["client"], _scan_shared["pool"]


def _record_scan_batch(job: ScanJob, batch: list[tuple[_Item, Answer]]) -> int:
    """Record one batch of a scan in one transaction: the answers (log, residents, ledger,
    occupancy), the items' outcome and the job's counters."""
    with transaction.atomic():
        # Lock the items still held by this claim: the sweeper cannot hand them to another
        # worker while they are recorded, and one it already took back is left alone.
        by_claim: dict[object, list[int]] = {}
        for item, _a in batch:
            by_claim.setdefault(item.token, []).append(item.pk)
        still_ours: set[int] = set()
        for token, ids in by_claim.items():
            still_ours |= _lock_claimed(ids, token)
        batch = [(item, answer) for item, answer in batch if item.pk in still_ours]
        if not batch:
            return 0
        lookup_ids = write_answers(
            organisation=job.organisation,
            user=None,
            source=LookupSource.SCAN,
            purpose=_("Planlagt scanning nr. %d") % job.pk,
            answers=[(answer, f"scan:{job.pk}:{item.entrance_id}") for item, answer in batch],
            scan_job_id=job.pk,
        )
        now = timezone.now()
        outcomes = [
            (
                item.pk,
                ScanItemStatus.DONE
                if answer.outcome == LookupOutcome.OK
                else ScanItemStatus.FAILED,
                "" if answer.outcome == LookupOutcome.OK else answer.error_message[:300],
                lookup_id,
                len(answer.residents),
            )
            for (item, answer), lookup_id in zip(batch, lookup_ids, strict=True)
        ]
        _set_item_outcomes(outcomes, now)
    # The job's counters after the commit, in a transaction of their own: inside the batch's
    # transaction the job row stayed locked through that commit's WAL flush, and the other
    # workers' batches queued behind it (50-100 ms each on a first scan's heavy writes).
    done = sum(1 for o in outcomes if o[1] == ScanItemStatus.DONE)
    _count_finished(job.pk, done=done, failed=len(outcomes) - done, now=now)
    return len(batch)


# Jobs whose tables this process has found with usable planner statistics.
_stats_checked: set[int] = set()
_YOUNG_ROWS = 1000


def _statistics_grown(job: ScanJob) -> None:
    """Refresh PostgreSQL's statistics once when a scan fills tables that were (nearly)
    empty when last analysed: an organisation's first scan.

    Plans made while a table is tiny choose sequential scans, and they stay cached in the
    workers' connections while the table grows: the foreign-key checks on every resident,
    charge and item row against the lookup table, and our own prepared statements on
    registrations and occupancy. A first scan of 65,000 units read the lookup table a
    billion times that way (with autovacuum on, as by default, its automatic ANALYZE
    does this too, but only once a minute). ANALYZE also invalidates those cached plans."""
    job_id = job.pk
    if connection.vendor != "postgresql" or job_id in _stats_checked:
        return
    if job.total < _YOUNG_ROWS:
        _stats_checked.add(job_id)  # too small a scan to outgrow a plan
        return
    tables = [
        m._meta.db_table for m in (CprLookup, CprLookupResident, CprRegistration, UnitOccupancy)
    ]
    with raw_cursor() as cursor:
        cursor.execute(
            "SELECT min(greatest(c.reltuples, 0)) FROM pg_class c WHERE c.oid = ANY(%b::regclass[])",
            [pg_array(tables, "text")],
        )
        analysed = cursor.fetchone()[0] or 0
        if analysed >= _YOUNG_ROWS:
            _stats_checked.add(job_id)
            return
        cursor.execute(
            f"SELECT done + failed FROM {connection.ops.quote_name(ScanJob._meta.db_table)} "  # noqa: S608
            "WHERE id = %s",
            [job_id],
        )
        row = cursor.fetchone()
        if row is None or row[0] < _YOUNG_ROWS:
            return
        _stats_checked.add(job_id)
        try:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        except DatabaseError:
            logger.warning("CPR scan %s: could not refresh table statistics", job_id)


def _lock_claimed(item_ids: list[int], token) -> set[int]:
    """Lock and return those of `item_ids` still running under this claim."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ScanItem._meta.db_table)
        with raw_cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%b) AND status = %s "  # noqa: S608
                "AND claimed_at = %s FOR UPDATE",
                [pg_array(item_ids, "bigint"), ScanItemStatus.RUNNING.value, token],
            )
            return {row[0] for row in cursor.fetchall()}
    # SQLite: the IMMEDIATE transaction already holds the database's write lock.
    return set(
        ScanItem.objects.filter(
            pk__in=item_ids, status=ScanItemStatus.RUNNING, claimed_at=token
        ).values_list("pk", flat=True)
    )


def _count_finished(job_id: int, *, done: int, failed: int, now) -> None:
    """Add a committed batch's finished items to the job's counters in one UPDATE; the
    UPDATE that completes the count also marks the job finished.

    The counters are derived from the items: on PostgreSQL this small transaction does
    not wait for its WAL flush (synchronous_commit off), so the job row is locked only for
    the moment of the UPDATE. Should a crash lose an increment (or the process die between
    the batch and this), the job does not finish by its counters; the sweeper then finds
    it idle, recounts from the items and finishes it (`refresh_job_counts`)."""
    qn = connection.ops.quote_name
    open_ = (ScanStatus.QUEUED.value, ScanStatus.RUNNING.value)
    completes = "status IN (%s, %s) AND done + failed + %s >= total"
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            f"UPDATE {qn(ScanJob._meta.db_table)} SET done = done + %s, "  # noqa: S608
            "failed = failed + %s, progress_at = %s, "
            f"status = CASE WHEN {completes} THEN "
            "(CASE WHEN failed + %s > 0 THEN %s ELSE %s END) ELSE status END, "
            f"finished_at = CASE WHEN {completes} THEN %s ELSE finished_at END "
            "WHERE id = %s",
            [
                done,
                failed,
                stamp,
                *open_,
                done + failed,
                failed,
                ScanStatus.FAILED.value,
                ScanStatus.DONE.value,
                *open_,
                done + failed,
                stamp,
                job_id,
            ],
        )


def _set_item_outcomes(outcomes: list[tuple], now) -> None:
    """[(item_id, status, error, lookup_id, result_count)] -> one UPDATE on PostgreSQL (one
    executemany elsewhere)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ScanItem._meta.db_table)
        with raw_cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS s SET status = u.status, error = u.error, "  # noqa: S608
                "finished_at = %s, attempts = s.attempts + 1, lookup_id = u.lookup_id, "
                "result_count = u.result_count "
                "FROM unnest(%b::bigint[], %b::varchar[], %b::varchar[], %b::uuid[], "
                "%b::integer[]) AS u(id, status, error, lookup_id, result_count) "
                "WHERE s.id = u.id",
                [
                    now,
                    *[
                        pg_array(col, t)
                        for col, t in zip(
                            zip(*outcomes, strict=True),
                            ("bigint", "varchar", "varchar", "uuid", "integer"),
                            strict=True,
                        )
                    ],
                ],
            )
        return
    table = connection.ops.quote_name(ScanItem._meta.db_table)
    pk = CprLookup._meta.pk
    finished = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, error = %s, finished_at = %s, "  # noqa: S608
            "attempts = attempts + 1, lookup_id = %s, result_count = %s WHERE id = %s",
            [
                (status, error, finished, pk.get_db_prep_value(lookup_id, connection), n, item_id)
                for item_id, status, error, lookup_id, n in outcomes
            ],
        )


def _finish_items(job: ScanJob, failures) -> None:
    with transaction.atomic():
        locked = ScanJob.objects.select_for_update().get(pk=job.pk)
        for item, _answer, message in failures:
            ScanItem.objects.filter(
                pk=item.pk, status=ScanItemStatus.RUNNING, claimed_at=item.token
            ).update(status=ScanItemStatus.FAILED, finished_at=timezone.now(), error=message[:300])
        refresh_job_counts(locked)


def scan_sweep(*, stuck_seconds: int | None = None) -> list[tuple[int, list[list[int]]]]:
    """Find abandoned work and return it for re-queueing: items "running" longer than the
    timeout (their worker died, e.g. SIGKILL) go back to pending; a job with no progress
    for the timeout gets all its pending items queued again (their messages may have been
    lost with the worker). Returns [(job_id, chunks)]."""
    stuck = timedelta(
        seconds=settings.CPR_SCAN_STUCK_SECONDS if stuck_seconds is None else stuck_seconds
    )
    now = timezone.now()
    cutoff = now - stuck
    out = []
    for job in ScanJob.objects.filter(status__in=[ScanStatus.QUEUED, ScanStatus.RUNNING]):
        with transaction.atomic():
            locked = ScanJob.objects.select_for_update().get(pk=job.pk)
            reset = ScanItem.objects.filter(
                job=locked, status=ScanItemStatus.RUNNING, claimed_at__lt=cutoff
            ).update(status=ScanItemStatus.PENDING, claimed_at=None)
            idle = (locked.progress_at or locked.created_at) < cutoff
            if not reset and not idle:
                continue
            pending = ScanItem.objects.filter(job=locked, status=ScanItemStatus.PENDING)
            if not reset:
                # Only items queued before the cutoff: recently queued ones are in line.
                pending = pending.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
            ids = list(pending.order_by("pk").values_list("pk", flat=True))
            if not ids:
                refresh_job_counts(locked)
                continue
            ScanItem.objects.filter(pk__in=ids).update(queued_at=now)
            if locked.status == ScanStatus.QUEUED:
                locked.status = ScanStatus.RUNNING
                locked.started_at = now
            locked.progress_at = now
            locked.save(update_fields=["status", "started_at", "progress_at"])
            logger.warning("CPR scan %s: re-queueing %d items", locked.pk, len(ids))
            out.append((locked.pk, _chunked(ids)))
    return out


def scheduled_scans_start() -> list[int]:
    """Start a scan for every opted-in, eligible organisation without an unfinished one."""
    started = []
    for setting in ScanSetting.objects.filter(enabled=True).select_related("organisation"):
        try:
            job = scan_start(organisation=setting.organisation, scheduled=True)
        except DomainError as exc:
            logger.warning(
                "Scheduled CPR scan for organisation %s not started: %s",
                setting.organisation_id,
                "; ".join(exc.messages),
            )
            continue
        started.append(job.pk)
    return started

"""Asking CPR and recording what it said: the log, the residents, the ledger, the occupancy.

`search` turns one GCTP call into an `Answer`, never raising for service errors.
`write_answers` records any number of answers set-based, in a fixed number of statements:
the lookup log rows, the answered residents, at most one ledger row per ledger key (unique)
and the refreshed occupancy picture (`cprlookup.occupancy`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.models import Organisation

from ..gctp import KVIT_WRONG_PASSWORD, GctpClient, GctpError, GctpRefused, GctpUnavailable
from ..models import CprCharge, CprLookup, CprLookupResident, LookupOutcome, ScanJob
from ..occupancy import apply_answers
from ..sql import bulk_insert
from .targets import Target

# Danish texts for the service's refusal codes (the simulator's codes; see cprlookup.gctp).
REFUSAL_TEXTS = {
    "16": gettext_lazy("CPR afviste søgningen, fordi input var ugyldigt."),
    "60": gettext_lazy("CVR-nummeret er ikke tilmeldt CPR's udlejerservice. Kontakt CPR-kontoret."),
    "61": gettext_lazy("CPR oplyser, at organisationens CVR-nummer ikke er ejer af adressen."),
    "62": gettext_lazy("Adressen findes ikke i CPR."),
}


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
        """A search that reached the service costs money, except a refusal (refused searches
        are free)."""
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
    _insert_lookups(
        ids,
        answers,
        organisation=organisation,
        user_id=user_id,
        source=source,
        purpose=purpose,
        scan_job_id=scan_job_id,
        now=now,
    )
    placed = apply_answers(
        organisation=organisation,
        answers=[(a, lookup_id) for (a, _k), lookup_id in zip(answers, ids, strict=True)],
        now=now,
    )
    _insert_residents(ids, placed)
    _insert_charges(
        ids, answers, organisation=organisation, user_id=user_id, source=source, now=now
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


def _insert_lookups(
    ids: list[uuid.UUID],
    answers: list[tuple[Answer, str]],
    *,
    organisation: Organisation,
    user_id: int | None,
    source: str,
    purpose: str,
    scan_job_id: int | None,
    now,
) -> None:
    """The lookup log: one row per search, also when CPR refused or did not answer."""
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


def _insert_residents(ids: list[uuid.UUID], placed: dict) -> None:
    """The residents each search answered, with the unit and person they were placed on."""
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


def _insert_charges(
    ids: list[uuid.UUID],
    answers: list[tuple[Answer, str]],
    *,
    organisation: Organisation,
    user_id: int | None,
    source: str,
    now,
) -> None:
    """The cost ledger: one row per chargeable search and ledger key (a key already there,
    e.g. a resumed scan's, is not charged again)."""
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


def _month_start(moment):
    local = timezone.localtime(moment)
    return local.date().replace(day=1)

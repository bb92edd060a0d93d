"""Recording the register's answers to pushed filings: accepted, rejected, retry later
with back-off, or needs attention after too many attempts.

Every write is guarded by state and claim time: a row the sweeper released and another
pusher claimed again is recorded by that pusher, never by a late answer to an old claim."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Filing, FilingState
from ..payload import message_da
from .disclosure import filings_disclosed


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


def _backoff(attempts: int) -> timedelta:
    seconds = settings.RENT_PUSH_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.RENT_PUSH_BACKOFF_MAX_SECONDS))


def _merge_warnings(ours: list, theirs: list) -> list:
    seen = {(w.get("field"), w.get("code")) for w in ours}
    return list(ours) + [w for w in theirs if (w.get("field"), w.get("code")) not in seen]


def _column(name: str) -> str:
    """The database column of a concrete Filing field."""
    column = _concrete(name).column
    assert column is not None  # noqa: S101 - every concrete field has one
    return column


def _concrete(name: str) -> Field:
    """A concrete field of Filing (never a reverse relation)."""
    field = Filing._meta.get_field(name)
    assert isinstance(field, Field)  # noqa: S101 - a programming error, not input
    return field


def _accepted_sql() -> str:
    """One UPDATE per accepted filing: five constants, then receipt id, version and
    warnings, then the guard (pk, state sent, claim time)."""
    meta = Filing._meta
    qn = connection.ops.quote_name
    columns = ("state", "accepted_at", "errors", "last_error", "updated_at")
    sets = ", ".join(f"{qn(_column(c))} = %s" for c in columns)
    # Identifiers come from the model's meta and are quoted; every value is a parameter.
    return (
        f"UPDATE {qn(meta.db_table)} SET {sets}, {qn('next_attempt_at')} = NULL, "  # noqa: S608
        f"{qn('receipt_id')} = %s, {qn('receipt_version')} = %s, {qn('warnings')} = %s "
        f"WHERE {qn(_column('id'))} = %s AND {qn('state')} = %s AND {qn('claimed_at')} = %s"
    )


def _record_accepted(accepted: list[tuple[dict, Any]], now: datetime) -> int:
    """Mark accepted filings in one prepared UPDATE run over all rows (executemany: no
    per-row ORM work, which used to cost more than the HTTP itself). Guarded by state and
    claim time: a row released by the sweeper and claimed again by another pusher is
    recorded by that pusher. Returns how many rows were written."""
    if not accepted:
        return 0

    def prep(name: str, value: Any) -> Any:
        return _concrete(name).get_db_prep_save(value, connection)

    constants = [
        prep("state", FilingState.ACCEPTED),
        prep("accepted_at", now),
        prep("errors", []),
        "",
        prep("updated_at", now),
    ]
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
        cursor.executemany(_accepted_sql(), params)
        written = cursor.rowcount
    # Drivers report the total over all rows; -1 when they cannot tell.
    return written if written is not None and written >= 0 else len(accepted)


def _record_failure(row: dict, kind: str, value, now, stats: PushStats) -> None:
    """A filing that was not accepted: rejected, given up on (an error, or too many
    attempts without an answer), or back to pending after a back-off."""
    sent = Filing.objects.filter(pk=row["pk"], state=FilingState.SENT, claimed_at=row["claimed_at"])
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
        sent.update(state=FilingState.NEEDS_ATTENTION, last_error=text[:500], updated_at=now)
        stats.needs_attention += 1
    else:
        sent.update(
            state=FilingState.PENDING,
            next_attempt_at=now + _backoff(row["attempts"]),
            last_error=(_("Registret svarede ikke: %s") % value)[:500],
            updated_at=now,
        )
        stats.transient += 1


def _record(results: list[tuple[dict, str, object]], stats: PushStats) -> None:
    """Write the outcomes of sent filings (one transaction per flush) and empty
    `results`."""
    if not results:
        return
    now = timezone.now()
    with transaction.atomic():
        accepted = []
        for row, kind, value in results:
            if kind == "accepted":
                accepted.append((row, value))
                stats.accepted += 1
            else:
                _record_failure(row, kind, value, now, stats)
        _record_accepted(accepted, now)
        # The register had the payload of every filing it answered (the disclosure log).
        filings_disclosed(
            [r for r, kind, _v in results if kind in ("accepted", "rejected")], now=now
        )
    stats.outcomes.extend((r["pk"], kind) for r, kind, _v in results)
    results.clear()

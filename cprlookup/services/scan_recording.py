"""Recording a scan's answers: each batch's answers and item outcomes in one transaction,
the job's counters in a short one of their own, and the planner statistics a first scan
outgrows. Every statement is set-based (one per table, whatever the batch size)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import sql
from ..models import (
    CprLookup,
    CprLookupResident,
    CprRegistration,
    LookupOutcome,
    LookupSource,
    ScanItem,
    ScanItemStatus,
    ScanJob,
    ScanStatus,
    UnitOccupancy,
)
from .answers import Answer, write_answers
from .scans import refresh_job_counts

if TYPE_CHECKING:
    from .scan_work import ClaimedItem

logger = logging.getLogger(__name__)


def record_scan_batch(job: ScanJob, batch: list[tuple[ClaimedItem, Answer]]) -> int:
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
        # A scan started by hand ("Start scanning nu") is logged and charged to the user who
        # started it; only the nightly scan is "Planlagt scanning" (no user).
        lookup_ids = write_answers(
            organisation=job.organisation,
            user=None if job.scheduled else job.started_by,
            source=LookupSource.SCAN,
            purpose=(
                _("Planlagt scanning nr. %d") if job.scheduled else _("Manuel scanning nr. %d")
            )
            % job.pk,
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


def fail_items(job: ScanJob, items: list[ClaimedItem], message: str) -> None:
    """Fail claimed items without searching them (e.g. the organisation's registration was
    withdrawn mid-run), and recount the job."""
    with transaction.atomic():
        locked = ScanJob.objects.select_for_update().get(pk=job.pk)
        for item in items:
            ScanItem.objects.filter(
                pk=item.pk, status=ScanItemStatus.RUNNING, claimed_at=item.token
            ).update(status=ScanItemStatus.FAILED, finished_at=timezone.now(), error=message[:300])
        refresh_job_counts(locked)


# Jobs whose tables this process has found with usable planner statistics.
_stats_checked: set[int] = set()
_YOUNG_ROWS = 1000


def statistics_grown(job: ScanJob) -> None:
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
    with sql.raw_cursor() as cursor:
        cursor.execute(
            "SELECT min(greatest(c.reltuples, 0)) FROM pg_class c WHERE c.oid = ANY(%b::regclass[])",
            [sql.pg_array(tables, "text")],
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
        with sql.raw_cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%b) AND status = %s "  # noqa: S608
                "AND claimed_at = %s FOR UPDATE",
                [sql.pg_array(item_ids, "bigint"), ScanItemStatus.RUNNING.value, token],
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
        with sql.raw_cursor() as cursor:
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
                        sql.pg_array(col, t)
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

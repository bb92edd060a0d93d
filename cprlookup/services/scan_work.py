"""What a worker does with a chunk of a scan: claim its items a slice at a time, search them
in the shared thread pool and hand what comes back to `scan_recording` in batches."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tenancy.models import Building, Entrance, Organisation, Property

from .. import sql
from ..models import ScanItem, ScanItemStatus, ScanJob
from . import pool
from .answers import Answer, search
from .lookup import eligibility_error
from .scan_recording import fail_items, record_scan_batch, statistics_grown
from .targets import Target, scan_target

# Searches handed to the pool per search thread (running + waiting). The waiting ones keep
# the threads busy while this thread records a batch: at 2 per thread they run dry one search
# latency (20 ms) into a record that takes longer; cpr_bench, 9 runs each, median ratio 0.86
# at 2, 0.88 at 4.
_QUEUE_PER_THREAD = 4


@dataclass
class ClaimedItem:
    """A claimed scan item and the stairwell search it stands for."""

    pk: int
    entrance_id: int
    target: Target
    token: datetime | None = None  # the claim (claimed_at) this worker holds the item by


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
    claims = _Claims(item_ids, step=4 * threads)
    items = claims.first()
    if not items:
        return 0
    problem = eligibility_error(job.organisation)
    if problem:
        # Registration withdrawn mid-run: fail the whole chunk visibly, search nothing.
        items += claims.rest()
        fail_items(job, items, problem)
        return len(items)
    return _search_and_record(job, items, claims, threads=threads, record_every=record_every)


def _search_and_record(
    job: ScanJob,
    items: list[ClaimedItem],
    claims: _Claims,
    *,
    threads: int,
    record_every: int | None,
) -> int:
    """Keep the pool fed from `claims` and record what comes back in batches."""
    searches = _Searches()
    batch_min = max(1, record_every or settings.CPR_SCAN_RECORD_BATCH)
    recorded = 0
    ready: list[tuple[ClaimedItem, Answer]] = []
    searches.submit(items)
    try:
        while searches.outstanding or claims.todo:
            while claims.todo and searches.outstanding < _QUEUE_PER_THREAD * threads:
                searches.submit(claims.next_slice())
            if not searches.outstanding:
                break  # the rest of the chunk was done or taken by someone else
            ready.extend(searches.collect())
            draining = record_every is None and not claims.todo and searches.outstanding < threads
            if len(ready) >= batch_min or not searches.outstanding or (draining and ready):
                recorded += record_scan_batch(job, ready)
                ready = []
                statistics_grown(job)
    finally:
        # Recording failed: the searches not started yet are not needed (the items stay
        # claimed; the sweeper hands them out again). Started ones finish on their own.
        searches.cancel()
    if ready:
        recorded += record_scan_batch(job, ready)
    return recorded


class _Claims:
    """A chunk's items, claimed a slice at a time as the threads need work: claiming 2000
    items at once kept every thread idle for a tenth of a second at each chunk's start."""

    def __init__(self, item_ids: list[int], *, step: int) -> None:
        self.todo = list(item_ids)
        self.step = step

    def next_slice(self) -> list[ClaimedItem]:
        part, self.todo = self.todo[: self.step], self.todo[self.step :]
        return _claim(part)[1]

    def first(self) -> list[ClaimedItem]:
        """The first slice that yields any item (others may have taken the first ones)."""
        items: list[ClaimedItem] = []
        while self.todo and not items:
            items = self.next_slice()
        return items

    def rest(self) -> list[ClaimedItem]:
        items: list[ClaimedItem] = []
        while self.todo:
            items += self.next_slice()
        return items


class _Searches:
    """Searches handed to this process's thread pool. Finished ones arrive on a queue
    (O(1) each; concurrent.futures.wait would watch every outstanding future again for
    each one that finishes)."""

    def __init__(self) -> None:
        self.client, self.pool = pool.scan_resources()
        self.finished: queue.SimpleQueue = queue.SimpleQueue()
        self.futures: list[Future] = []
        self.outstanding = 0

    def submit(self, items: list[ClaimedItem]) -> None:
        for item in items:
            future = self.pool.submit(search, self.client, item.target)
            future.add_done_callback(_report_to(self.finished, item))
            self.futures.append(future)
        self.outstanding += len(items)

    def collect(self) -> list[tuple[ClaimedItem, Answer]]:
        """Wait for the next finished search; return it and whatever else came back."""
        got = [self.finished.get()]
        while not self.finished.empty():
            got.append(self.finished.get())
        self.outstanding -= len(got)
        return [(item, future.result()) for item, future in got]

    def cancel(self) -> None:
        """Cancel the searches not started yet."""
        for future in self.futures:
            future.cancel()


def _report_to(finished: queue.SimpleQueue, item: ClaimedItem) -> Callable[[Future], None]:
    """A done-callback that puts (item, future) on the queue."""
    return lambda future: finished.put((item, future))


def _claim(item_ids: list[int]) -> tuple[datetime, list[ClaimedItem]]:
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
            ClaimedItem(
                pk=pk, entrance_id=entrance_id, target=scan_target(entrance, cvr), token=token
            )
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
    with sql.raw_cursor() as cursor:
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
                sql.pg_array(item_ids, "bigint"),
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

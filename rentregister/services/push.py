"""Pushing filings to the register: claiming due rows, sending them from a thread pool,
recording the answers (services.push_outcomes), and the periodic sweeper.

Safe to run in several processes at once (claiming) and to repeat (idempotency keys;
accepted filings are never claimed)."""

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from tenancy.models import Person

from ..models import BLOCKING_STATES, Filing, FilingState
from ..payload import with_cpr
from .filings import _consented_ids
from .push_outcomes import PushStats, _record

logger = logging.getLogger(__name__)

# Answers are recorded in bulk, but never held longer than this: recording an answer is
# what lets the next filing of the same lease be claimed.
FLUSH_SECONDS = 0.05

CLAIM_FIELDS = (
    "pk",
    "lease_id",
    "organisation_id",
    "operation",
    "payload",
    "idempotency_key",
    "cpr_person_ids",
    "attempts",
    "warnings",
)


# --- claiming ---------------------------------------------------------------------------


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


# --- sending (worker threads: HTTP only, no database) -----------------------------------

_thread_state = threading.local()


def _client():
    from ..hlr import HlrClient

    client = getattr(_thread_state, "client", None)
    if client is None:
        client = _thread_state.client = HlrClient()
    return client


def _send(row: dict) -> tuple[str, object]:
    """Runs in a worker thread: HTTP only, no database (one keep-alive connection per
    thread, kept by the client)."""
    from ..hlr import HlrError, HlrRejected, HlrUnavailable

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


# --- the pipeline -----------------------------------------------------------------------


@dataclass
class _PushRun:
    """The state of one filings_push call: what is claimed and in flight in the pool,
    the answers waiting to be recorded, and when to claim or flush again."""

    batch: int
    refill_at: int  # claim again while the pool still has this much queued
    flush_at: int
    max_filings: int | None
    max_seconds: float
    organisation_ids: list[int] | None
    stats: PushStats = field(default_factory=PushStats)
    started: float = field(default_factory=time.monotonic)
    answers: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    results: list = field(default_factory=list)
    inflight: int = 0
    claim_again: bool = True
    first_answer_at: float | None = None

    def may_claim(self) -> bool:
        """Neither the filing budget nor the time budget is used up."""
        budget_left = self.max_filings is None or self.stats.claimed < self.max_filings
        return budget_left and time.monotonic() - self.started < self.max_seconds

    def send(self, row: dict) -> None:
        """Runs in the pool: send one filing and queue its answer."""
        try:
            outcome = _send(row)
        # Never lose an answer: whatever the send raised, record it as transient.
        except BaseException as exc:  # noqa: BLE001
            outcome = ("transient", type(exc).__name__)
        self.answers.put((row, *outcome))

    def refill(self, pool: ThreadPoolExecutor) -> None:
        """Claim the next batch and hand it to the pool; a short batch means nothing more
        is due until an answer is recorded."""
        limit = self.batch
        if self.max_filings is not None:
            limit = min(limit, self.max_filings - self.stats.claimed)
        rows = _claim(limit, self.organisation_ids)
        self.claim_again = len(rows) == limit
        if not rows:
            return
        _cpr_for(rows)
        self.stats.claimed += len(rows)
        self.inflight += len(rows)
        for row in rows:
            pool.submit(self.send, row)

    def collect(self) -> None:
        """Wait up to FLUSH_SECONDS for an answer, then take all that are ready."""
        try:
            self.results.append(self.answers.get(timeout=FLUSH_SECONDS))
            self.inflight -= 1
            while True:
                self.results.append(self.answers.get_nowait())
                self.inflight -= 1
        except queue.Empty:
            pass

    def flush(self) -> None:
        _record(self.results, self.stats)
        self.first_answer_at = None

    def flush_if_due(self) -> None:
        """Record the answers when enough have come or the oldest has waited
        FLUSH_SECONDS; recording may unblock later filings, so claim again after."""
        if not self.results:
            return
        if self.first_answer_at is None:
            self.first_answer_at = time.monotonic()
        waited = time.monotonic() - self.first_answer_at
        if len(self.results) >= self.flush_at or waited >= FLUSH_SECONDS:
            self.flush()
            self.claim_again = True

    def idle_flush(self, *, may_claim: bool) -> bool:
        """Nothing in flight: record what is left. True when that may have unblocked
        later filings and the run should claim again, False when it is done."""
        had = bool(self.results)
        self.flush()
        if had and may_claim:
            self.claim_again = True
            return True
        return False


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
    run = _PushRun(
        batch=batch,
        refill_at=max(2 * workers, batch // 2),
        flush_at=max(1, min(batch // 2, 100)),
        max_filings=max_filings,
        max_seconds=max_seconds,
        organisation_ids=organisation_ids,
    )
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hlr-push") as pool:
        while True:
            may_claim = run.may_claim()
            if run.claim_again and may_claim and run.inflight <= run.refill_at:
                run.refill(pool)
            if run.inflight == 0:
                if run.idle_flush(may_claim=may_claim):
                    continue
                break
            run.collect()
            run.flush_if_due()
    run.stats.seconds = time.monotonic() - run.started
    return run.stats


# --- the sweeper ------------------------------------------------------------------------


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

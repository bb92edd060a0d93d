"""Storing verified webhook events in the inbox, with group commit.

One statement stores a group of events: ``INSERT … ON CONFLICT (event_id) DO NOTHING
RETURNING event_id``. An event id already stored (a redelivery) is not returned, so the
caller answers "duplicate" without an IntegrityError, a savepoint or a second query.

In a web process on PostgreSQL the statement is run by one writer thread per process
(InboxWriter), not by the request thread: each request hands its event over and waits until
the group it went into has committed, then answers. Webhooks that arrive while a group is
being written form the next group, so under load one round trip and one commit (one WAL
flush) serve many webhooks, and the request thread does not touch the database at all (no
connection health check, no ORM insert). Under light load a group is a single event and the
cost is that of a plain INSERT. Acknowledging still waits for the commit: an event answered
"received" is durable, so nothing the provider stops retrying can be lost.

Measured with ``payments_bench`` (docs/benchmarks.md): the ORM insert, its commit and the
connection health check were about half of the web process's CPU per webhook.

Where the writer is not used (SQLite, whose writers queue on one file lock anyway; a caller
inside a transaction, such as a test or the reconciliation; PAYMENT_INBOX_GROUP_COMMIT off),
the same statement runs in the caller's thread for one event.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from ..models import WebhookEvent

logger = logging.getLogger(__name__)

MAX_GROUP = 200  # events per statement (bounded parameters and statement size)
WAIT_SECONDS = 30.0  # a request gives up (answers 500, the provider retries) after this


class StoreTimeout(Exception):
    """The writer did not confirm the group in time; the event may or may not be stored (a
    redelivery is then answered "duplicate" or stored now: exactly once either way)."""


def events_insert(events: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Store verified events as pending; returns the event ids that were new (an id stored
    before, or twice in `events`, is stored once). One statement, in the caller's
    transaction or autocommit."""
    if not events:
        return set()
    unique: dict[str, dict[str, Any]] = {}
    for event_id, event in events:
        unique.setdefault(event_id, event)
    meta = WebhookEvent._meta
    fields = [meta.get_field(name) for name in ("event_id", "received_at", "payload")]
    fields += [meta.get_field(name) for name in ("signature_ok", "outcome", "error")]
    now = timezone.now()
    params: list[Any] = []
    for event_id, event in unique.items():
        values = (event_id, now, event, True, WebhookEvent.Outcome.PENDING.value, "")
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from _meta
        + ", ".join([row] * len(unique))
        + f" ON CONFLICT ({quote(meta.get_field('event_id').column)}) DO NOTHING"
        + f" RETURNING {quote(meta.get_field('event_id').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {r[0] for r in cursor.fetchall()}


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Handover:
    event_id: str
    event: dict[str, Any]
    # Released by the writer once the group is written (a lock, not a threading.Event: the
    # hand-over is on every webhook's path, and a bare lock costs a fraction of an Event).
    done: threading.Lock = field(default_factory=_held_lock)
    new: bool = False
    error: BaseException | None = None


class InboxWriter:
    """One thread per process that stores the events handed to it, a group per statement."""

    def __init__(self, max_group: int = MAX_GROUP) -> None:
        self.max_group = max_group
        self._start = threading.Lock()
        self._queue: queue.SimpleQueue[_Handover] = queue.SimpleQueue()
        self._pid: int | None = None
        self.groups = 0  # statements run (for tests and the bench)

    def store(self, event_id: str, event: dict[str, Any], timeout: float = WAIT_SECONDS) -> bool:
        """Store one event; True if it was new, False for a redelivery. Returns once the
        event's group has committed; raises the group's database error, or StoreTimeout."""
        handover = _Handover(event_id, event)
        if self._pid != os.getpid():  # first use in this process (or after a fork)
            with self._start:
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()
                    threading.Thread(
                        target=self._run, args=(self._queue,), name="inbox-writer", daemon=True
                    ).start()
                    self._pid = os.getpid()
        self._queue.put(handover)
        if not handover.done.acquire(timeout=timeout):
            raise StoreTimeout(event_id)
        if handover.error is not None:
            raise handover.error
        return handover.new

    def stop(self, timeout: float = 10.0) -> None:
        """Let this process's writer close its database connection and end (the test suite
        does this before the test database is dropped). The next store starts a new one."""
        with self._start:
            if self._pid != os.getpid():
                return
            self._pid = None
            stopped = _held_lock()
            self._queue.put(stopped)  # type: ignore[arg-type]
        stopped.acquire(timeout=timeout)

    def _run(self, handovers: queue.SimpleQueue[_Handover]) -> None:
        while True:
            group = [handovers.get()]  # waits for the first; the rest arrived meanwhile
            while len(group) < self.max_group:
                try:
                    group.append(handovers.get_nowait())
                except queue.Empty:
                    break
            stop = [h for h in group if not isinstance(h, _Handover)]
            self._write([h for h in group if isinstance(h, _Handover)])
            if stop:
                connection.close()
                for lock in stop:
                    lock.release()
                return

    def _write(self, group: list[_Handover]) -> None:
        if not group:
            return
        try:
            new = self._insert(group)
            for handover in group:
                # The first handover of an id in the group stores it; later ones are
                # redeliveries that arrived together.
                handover.new = handover.event_id in new
                new.discard(handover.event_id)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting request
            logger.warning("payment inbox: storing %d webhook(s) failed: %s", len(group), exc)
            for handover in group:
                handover.error = exc
        finally:
            self.groups += 1
            for handover in group:
                handover.done.release()

    def _insert(self, group: list[_Handover]) -> set[str]:
        events = [(h.event_id, h.event) for h in group]
        try:
            return events_insert(events)
        except (OperationalError, InterfaceError):
            # A connection the server closed (restart, idle timeout) fails on first use:
            # reconnect once. A second failure goes to the requests (503; retried).
            connection.close()
            return events_insert(events)


_writer = InboxWriter()


def writer_stop() -> None:
    """Stop this process's writer thread (closing its connection); see InboxWriter.stop."""
    _writer.stop()


def event_store(event_id: str, event: dict[str, Any]) -> bool:
    """Store one verified event as pending; True if new, False if it was stored before."""
    if (
        settings.PAYMENT_INBOX_GROUP_COMMIT
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    ):
        return _writer.store(event_id, event)
    with transaction.atomic():
        return event_id in events_insert([(event_id, event)])

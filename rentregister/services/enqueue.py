"""Enqueueing the push task after a change commits.

Every filing written asks for a push; one task per transaction is enough, and a broker
that is down must not fail or hang the request: the periodic sweeper sends the rows later.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from django.db import connection, transaction

logger = logging.getLogger(__name__)

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


def _enqueue_push() -> None:
    """Enqueue the push task; when the broker is unreachable, give up within a fraction
    of a second (the request must not hang) and leave the rows to the sweeper."""
    from config.celery import app

    from ..tasks import filings_push_task

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.1, timeout=2)
            filings_push_task.apply_async(connection=conn, retry=False)
    # Broker unreachable (kombu/redis/OS errors vary by transport): the periodic sweeper
    # files the rows later, so the change itself must not fail.
    except Exception:  # noqa: BLE001
        logger.warning(
            "rentregister: push task not enqueued (broker unreachable); sweeper will file"
        )


def schedule_push() -> None:
    """Enqueue one push task when the current transaction commits (once per transaction)."""
    if _enqueue_suppressed.get():
        return
    if connection.in_atomic_block and any(
        entry[1] is _enqueue_push for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_push, robust=True)

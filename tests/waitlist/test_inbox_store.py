"""Storing webhook events in the inbox (waitlist.services.inbox_store): one statement per
group, each event id stored once (redeliveries in the same group or later are "not new"),
a failing group stores nothing and hands its error to every waiting request, and
concurrent webhooks through the process's writer are each stored exactly once."""

from __future__ import annotations

import contextlib
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DatabaseError, connection

from waitlist.models import WebhookEvent
from waitlist.services import inbox_store
from waitlist.services.inbox_store import InboxWriter, _Handover, events_insert


def event(event_id: str) -> dict:
    return {"id": event_id, "type": "payment.succeeded", "data": {"session": {"id": "ps_1"}}}


def run_writer(writer: InboxWriter, handovers: list[_Handover]) -> None:
    """Queue `handovers` before the writer thread starts (so the grouping is known), let it
    write them, then stop it."""
    handed: queue.SimpleQueue = queue.SimpleQueue()
    for handover in handovers:
        handed.put(handover)
    stopped = inbox_store._held_lock()
    handed.put(stopped)
    thread = threading.Thread(target=writer._run, args=(handed,))
    thread.start()
    assert stopped.acquire(timeout=20)
    thread.join(timeout=20)
    for handover in handovers:
        assert handover.done.acquire(timeout=1)


@pytest.mark.django_db
def test_events_insert_stores_each_id_once_and_returns_the_new_ones():
    assert events_insert([("evt_a", event("evt_a")), ("evt_b", event("evt_b")), ("evt_a", {})]) == {
        "evt_a",
        "evt_b",
    }
    assert events_insert([("evt_b", event("evt_b")), ("evt_c", event("evt_c"))]) == {"evt_c"}
    rows = {e.event_id: e for e in WebhookEvent.objects.all()}
    assert sorted(rows) == ["evt_a", "evt_b", "evt_c"]
    assert rows["evt_a"].payload == event("evt_a")  # the first of the two, not the empty one
    assert {e.outcome for e in rows.values()} == {WebhookEvent.Outcome.PENDING}
    assert all(e.signature_ok and e.received_at for e in rows.values())


@pytest.mark.django_db(transaction=True)
def test_writer_writes_what_arrived_together_in_one_statement_per_group():
    WebhookEvent.objects.create(event_id="evt_old", payload={}, outcome="applied")
    ids = ["evt_old", "evt_1", "evt_2", "evt_1", "evt_3", "evt_4", "evt_5", "evt_6", "evt_7"]
    handovers = [_Handover(i, event(i)) for i in ids]
    writer = InboxWriter(max_group=4)
    run_writer(writer, handovers)
    assert writer.groups == 3  # 9 events, at most 4 per statement
    assert [h.new for h in handovers] == [False, True, True, False, True, True, True, True, True]
    assert all(h.error is None for h in handovers)
    assert WebhookEvent.objects.filter(outcome="pending").count() == 7
    assert WebhookEvent.objects.get(event_id="evt_old").outcome == "applied"  # untouched


@pytest.mark.django_db(transaction=True)
def test_a_failing_group_stores_nothing_and_every_request_gets_the_error():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce the column length that makes the group fail")
    handovers = [_Handover("evt_ok", event("evt_ok")), _Handover("x" * 101, event("x"))]
    run_writer(InboxWriter(), handovers)
    assert all(isinstance(h.error, DatabaseError) for h in handovers)
    assert not WebhookEvent.objects.exists()
    # The writer is not stuck: the next group is stored.
    later = [_Handover("evt_ok", event("evt_ok"))]
    run_writer(InboxWriter(), later)
    assert later[0].new
    assert later[0].error is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_webhooks_through_the_process_writer_are_each_stored_once(settings):
    """What a web process does under load: many request threads at once, half of them
    redeliveries. On PostgreSQL this goes through the process's writer thread; on SQLite
    (no writer) each request stores its own event; the result must be the same."""
    settings.PAYMENT_INBOX_GROUP_COMMIT = True
    ids = [f"evt_{n % 40}" for n in range(80)]
    gate = threading.Barrier(16)

    def deliver(event_id: str) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=5)
        try:
            return inbox_store.event_store(event_id, event(event_id))
        finally:
            connection.close()

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(deliver, ids))
    assert sum(results) == 40  # each id new exactly once
    assert WebhookEvent.objects.count() == 40
    if connection.vendor == "postgresql":
        assert inbox_store._writer.groups >= 1

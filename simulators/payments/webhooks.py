"""Webhook delivery: signed POSTs retried with the same event id until a 2xx answer.

A pool of threads takes due deliveries from a heap. Each delivery sends the event's fixed
body with the header ``Webhook-Signature: t=<unix seconds>,v1=<hex>``, where the hex is
HMAC-SHA256 with the shared secret over ``f"{t}."`` followed by the raw body bytes, and
``Webhook-Id: <event id>``. A 2xx answer acknowledges the event; anything else (or no
answer) is retried after a back-off (doubling from ``webhook_retry_base_ms`` up to
``webhook_retry_max_ms``), for ever, with the same event id and body.

Fault knobs (see server.Knobs): ``webhook_loss_rate`` (the event is never sent: only the
status API or a redelivery tells the product), ``webhook_duplicate_rate`` (an acknowledged
event is sent once more), ``webhook_delay_ms`` and ``webhook_jitter_ms`` (wait before each
attempt; with jitter and several threads, events arrive out of order), ``webhooks_paused``
(hold everything until unpaused: tests build a backlog and release it at once).
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import http.client
import itertools
import random
import threading
import time
from urllib.parse import urlsplit

from .store import Store, now_iso

SIGNATURE_HEADER = "Webhook-Signature"
EVENT_ID_HEADER = "Webhook-Id"


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class Dispatcher:
    def __init__(
        self,
        store: Store,
        knobs,
        *,
        secret: str,
        default_url: str | None,
        threads: int = 8,
        timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.knobs = knobs
        self.secret = secret
        self.default_url = default_url
        self.timeout = timeout
        self.heap: list[tuple[float, int, str, bool]] = []
        self.seq = itertools.count()
        self.cond = threading.Condition()
        self.stopping = False
        self.in_flight = 0
        self.local = threading.local()
        self.threads = [
            threading.Thread(target=self._run, name=f"webhook-{i}", daemon=True)
            for i in range(max(1, threads))
        ]

    def start(self) -> None:
        for event in self.store.events_pending():
            self._push(event["id"], 0.0, duplicate=False)
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def clear(self) -> None:
        with self.cond:
            self.heap.clear()

    def busy(self) -> int:
        with self.cond:
            return len(self.heap) + self.in_flight

    # -- queueing --------------------------------------------------------------------

    def submit(self, event: dict) -> None:
        """A new event: lost at once with probability webhook_loss_rate, else queued."""
        rate = self.knobs["webhook_loss_rate"]
        if rate and random.random() < rate:  # noqa: S311 - fault injection
            with self.store.lock:
                event["state"] = "lost"
            return
        self._push(event["id"], 0.0, duplicate=False)

    def redeliver(self, event_id: str) -> bool:
        """Send an event again (delivered or lost alike), e.g. from the control plane."""
        with self.store.lock:
            event = self.store.events.get(event_id)
            if event is None:
                return False
            if event["state"] == "lost":
                event["state"] = "pending"
        self._push(event_id, 0.0, duplicate=event["state"] == "delivered")
        return True

    def _push(self, event_id: str, delay: float, *, duplicate: bool) -> None:
        with self.cond:
            heapq.heappush(
                self.heap, (time.monotonic() + delay, next(self.seq), event_id, duplicate)
            )
            self.cond.notify()

    def _take(self) -> tuple[str, bool] | None:
        with self.cond:
            while not self.stopping:
                if self.heap and not self.knobs["webhooks_paused"]:
                    due, _, event_id, duplicate = self.heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(self.heap)
                        self.in_flight += 1
                        return event_id, duplicate
                    self.cond.wait(min(wait, 0.2))
                else:
                    self.cond.wait(0.2)
            return None

    # -- delivery --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._take()
            if item is None:
                return
            try:
                self._deliver(*item)
            finally:
                with self.cond:
                    self.in_flight -= 1

    def _deliver(self, event_id: str, duplicate: bool) -> None:
        event = self.store.event_get(event_id)
        if event is None:  # reset meanwhile
            return
        delay = self.knobs["webhook_delay_ms"] + random.random() * self.knobs["webhook_jitter_ms"]  # noqa: S311
        if delay:
            time.sleep(delay / 1000)
        url = event["url"] or self.knobs["webhook_url"] or self.default_url
        status = self._post(url, event["id"], event["body"].encode()) if url else None
        with self.store.lock:
            event["attempts"] += 1
            event["last_status"] = status
            ok = status is not None and 200 <= status < 300
            if ok:
                event["deliveries"] += 1
                if event["state"] != "delivered":
                    event["state"] = "delivered"
                    event["delivered_at"] = now_iso()
            attempts = event["attempts"]
        if not ok:
            base = self.knobs["webhook_retry_base_ms"] / 1000
            backoff = min(
                base * 2 ** min(attempts - 1, 20), self.knobs["webhook_retry_max_ms"] / 1000
            )
            self._push(event_id, backoff, duplicate=duplicate)
            return
        rate = self.knobs["webhook_duplicate_rate"]
        if not duplicate and rate and random.random() < rate:  # noqa: S311 - fault injection
            self._push(event_id, 0.0, duplicate=True)

    def _post(self, url: str, event_id: str, body: bytes) -> int | None:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            EVENT_ID_HEADER: event_id,
        }
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed is reopened once
            conn = conns.get(key)
            if conn is None:
                cls = (
                    http.client.HTTPSConnection
                    if parts.scheme == "https"
                    else http.client.HTTPConnection
                )
                conn = conns[key] = cls(parts.hostname, parts.port, timeout=self.timeout)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                    conns.pop(key, None)
                return response.status
            except (OSError, http.client.HTTPException):
                with contextlib.suppress(OSError):
                    conn.close()
                conns.pop(key, None)
                if attempt == 2:
                    return None
        return None

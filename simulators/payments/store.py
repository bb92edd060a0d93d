"""State of the payment-provider simulator: sessions, payments, webhook events, SMS messages.

Everything is kept in memory under one lock. With a data file the state is written as a JSON
snapshot (temp file + rename) on a graceful stop and read again on start, so `make run`
restarts keep sessions, payments and undelivered webhooks. A SIGKILL loses what changed
since the last start: this is a development stand-in, not a ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Test cards (docs/payment-simulator.md). Any other number that passes the Luhn check pays.
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "Kortet blev afvist."),
    "4000000000009995": ("insufficient_funds", "Der er ikke dækning på kortet."),
    "4000000000000069": ("expired_card", "Kortet er udløbet."),
}
CURRENCIES = {"DKK", "EUR", "SEK", "NOK"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_session(body: Any) -> list[dict]:
    """Field errors of a session request ([] when valid)."""
    if not isinstance(body, dict):
        return [{"field": None, "code": "invalid_type", "message": "Forventede et JSON-objekt."}]
    errors = []
    amount = body.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors.append(
            {
                "field": "amount",
                "code": "invalid_amount",
                "message": "Beløbet skal være et positivt heltal i øre.",
            }
        )
    if body.get("currency", "DKK") not in CURRENCIES:
        errors.append(
            {"field": "currency", "code": "invalid_currency", "message": "Ukendt valuta."}
        )
    reference = body.get("reference")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 100:
        errors.append(
            {
                "field": "reference",
                "code": "required",
                "message": "Referencen skal angives (højst 100 tegn).",
            }
        )
    for field in ("return_url", "webhook_url"):
        value = body.get(field)
        if field == "webhook_url" and value is None:
            continue
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            errors.append(
                {"field": field, "code": "invalid_url", "message": "Skal være en http(s)-adresse."}
            )
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or len(json.dumps(metadata)) > 2000:
        errors.append(
            {
                "field": "metadata",
                "code": "invalid_metadata",
                "message": "metadata skal være et lille JSON-objekt.",
            }
        )
    return errors


class Store:
    def __init__(self, path: Path | None, *, public_url: str) -> None:
        self.path = path
        self.public_url = public_url.rstrip("/")
        self.lock = threading.RLock()
        self.reset()
        if path is not None and path.exists():
            self._load(path)

    # -- persistence -----------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.sessions: dict[str, dict] = {}
            self.idempotency: dict[str, tuple[str, str]] = {}
            self.events: dict[str, dict] = {}
            self.event_order: list[str] = []
            self.sms: list[dict] = []
            self.counters = {
                "payments_succeeded": 0,
                "payments_declined": 0,
                "idempotent_replays": 0,
            }

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.sessions = data.get("sessions", {})
        self.idempotency = {k: tuple(v) for k, v in data.get("idempotency", {}).items()}  # type: ignore[misc]
        self.events = data.get("events", {})
        self.event_order = data.get("event_order", [])
        self.sms = data.get("sms", [])
        self.counters.update(data.get("counters", {}))

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            data = json.dumps(
                {
                    "sessions": self.sessions,
                    "idempotency": self.idempotency,
                    "events": self.events,
                    "event_order": self.event_order,
                    "sms": self.sms,
                    "counters": self.counters,
                }
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(data)
        os.replace(tmp, self.path)

    # -- sessions --------------------------------------------------------------------

    def session_create(self, body: dict, idempotency_key: str) -> tuple[int, dict]:
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self.lock:
            known = self.idempotency.get(idempotency_key) if idempotency_key else None
            if known is not None:
                if known[0] != fingerprint:
                    return 409, {
                        "errors": [
                            {
                                "field": None,
                                "code": "idempotency_conflict",
                                "message": "Nøglen er brugt til en anden anmodning.",
                            }
                        ]
                    }
                self.counters["idempotent_replays"] += 1
                return 200, public(self.sessions[known[1]])
            session_id = new_id("ps")
            session = {
                "id": session_id,
                "status": "open",
                "amount": body["amount"],
                "currency": body.get("currency", "DKK"),
                "reference": body["reference"],
                "description": str(body.get("description") or "")[:200],
                "return_url": body["return_url"],
                "webhook_url": body.get("webhook_url"),
                "metadata": body.get("metadata") or {},
                "payment_url": f"{self.public_url}/pay/{session_id}",
                "created_at": now_iso(),
                "paid_at": None,
                "payment": None,
                "last_error": None,
                "declines": 0,
            }
            self.sessions[session_id] = session
            if idempotency_key:
                self.idempotency[idempotency_key] = (fingerprint, session_id)
            return 201, public(session)

    def session_get(self, session_id: str) -> dict | None:
        with self.lock:
            session = self.sessions.get(session_id)
            return dict(session) if session else None

    def session_pay(
        self, session_id: str, card_number: str, *, force_decline: bool
    ) -> tuple[str, dict | None, dict | None]:
        """Pay a session: (outcome, session, event). Outcomes: paid, declined, invalid_card,
        not_open, not_found. A paid session is never paid again."""
        card = "".join(ch for ch in card_number if ch.isdigit())
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                return "not_found", None, None
            if session["status"] != "open":
                return "not_open", dict(session), None
            if not luhn_ok(card):
                return "invalid_card", dict(session), None
            declined = DECLINED_CARDS.get(card)
            if declined is None and force_decline:
                declined = ("processing_error", "Betalingen kunne ikke gennemføres. Prøv igen.")
            if declined is not None:
                session["declines"] += 1
                session["last_error"] = {"code": declined[0], "message": declined[1]}
                self.counters["payments_declined"] += 1
                event = self._event("payment.failed", session)
                return "declined", dict(session), event
            paid_at = now_iso()
            session["status"] = "paid"
            session["paid_at"] = paid_at
            session["last_error"] = None
            session["payment"] = {
                "id": new_id("pay"),
                "amount": session["amount"],
                "currency": session["currency"],
                "paid_at": paid_at,
                "method": "card",
                "card_last4": card[-4:],
            }
            self.counters["payments_succeeded"] += 1
            return "paid", dict(session), self._event("payment.succeeded", session)

    def session_cancel(self, session_id: str) -> tuple[str, dict | None, dict | None]:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                return "not_found", None, None
            if session["status"] != "open":
                return "not_open", dict(session), None
            session["status"] = "cancelled"
            return "cancelled", dict(session), self._event("session.cancelled", session)

    def session_list(self) -> list[dict]:
        with self.lock:
            return [dict(s) for s in self.sessions.values()]

    # -- webhook events --------------------------------------------------------------

    def _event(self, kind: str, session: dict) -> dict:
        """A new event (caller holds the lock). The body is fixed once: every delivery of
        the event sends the same bytes with the same id."""
        event_id = new_id("evt")
        created = now_iso()
        body = {
            "id": event_id,
            "type": kind,
            "created": created,
            "data": {"session": public(session)},
        }
        event = {
            "id": event_id,
            "type": kind,
            "session_id": session["id"],
            "url": session.get("webhook_url"),
            "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
            "created": created,
            "state": "pending",  # pending | delivered | lost
            "attempts": 0,
            "deliveries": 0,  # 2xx answers received (duplicates count)
            "last_status": None,
            "delivered_at": None,
        }
        self.events[event_id] = event
        self.event_order.append(event_id)
        return event

    def event_get(self, event_id: str) -> dict | None:
        with self.lock:
            return self.events.get(event_id)

    def events_pending(self) -> list[dict]:
        with self.lock:
            return [
                self.events[e] for e in self.event_order if self.events[e]["state"] == "pending"
            ]

    def event_list(self) -> list[dict]:
        with self.lock:
            return [
                {k: v for k, v in self.events[e].items() if k != "body"} for e in self.event_order
            ]

    # -- SMS gateway -----------------------------------------------------------------

    def sms_add(self, *, to: str, text: str, sender: str, reference: str) -> dict:
        with self.lock:
            message = {
                "id": new_id("sms"),
                "to": to,
                "text": text,
                "sender": sender,
                "reference": reference,
                "status": "delivered",
                "created_at": now_iso(),
            }
            self.sms.append(message)
            return message

    def stats(self) -> dict:
        with self.lock:
            states = {"pending": 0, "delivered": 0, "lost": 0}
            for event in self.events.values():
                states[event["state"]] += 1
            return {
                "sessions": len(self.sessions),
                "sessions_paid": sum(1 for s in self.sessions.values() if s["status"] == "paid"),
                "events": len(self.events),
                "webhooks_pending": states["pending"],
                "webhooks_delivered": states["delivered"],
                "webhooks_lost": states["lost"],
                "webhook_attempts": sum(e["attempts"] for e in self.events.values()),
                "webhook_acknowledged": sum(e["deliveries"] for e in self.events.values()),
                "sms": len(self.sms),
                **self.counters,
            }


def public(session: dict) -> dict:
    """A session as the API shows it (without the simulator's own counters)."""
    return {k: v for k, v in session.items() if k != "declines"}

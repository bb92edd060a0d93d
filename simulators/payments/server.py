"""HTTP front of the payment simulator: the provider API, the hosted payment page, the SMS
gateway and the control plane."""

from __future__ import annotations

import html
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .store import Store, validate_session
from .webhooks import Dispatcher

KNOB_DEFAULTS: dict[str, Any] = {
    "latency_ms": 0.0,  # sleep before each API / SMS request
    "error_rate": 0.0,  # API / SMS requests answered 503 before doing anything
    "down": False,  # every API / SMS request answers 503
    "failure_rate": 0.0,  # a payment with a good test card is declined anyway
    "webhook_loss_rate": 0.0,  # an event is never sent
    "webhook_duplicate_rate": 0.0,  # an acknowledged event is sent once more
    "webhook_delay_ms": 0.0,  # wait before each delivery attempt
    "webhook_jitter_ms": 0.0,  # plus a random 0..jitter ms (reorders events)
    "webhook_retry_base_ms": 500.0,  # first retry back-off, doubled per attempt
    "webhook_retry_max_ms": 30000.0,  # back-off cap
    "webhooks_paused": False,  # hold every delivery until unpaused
    "webhook_url": "",  # used when a session names no webhook_url
    "sms_failure_rate": 0.0,  # SMS requests answered 502
}
RATES = {"error_rate", "failure_rate", "webhook_loss_rate", "webhook_duplicate_rate"}
RATES |= {"sms_failure_rate"}
BOOLS = {"down", "webhooks_paused"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


class Knobs:
    def __init__(self, **values: Any) -> None:
        self.lock = threading.Lock()
        self.values = dict(KNOB_DEFAULTS)
        self.errors_injected = 0
        self.update(values)

    def update(self, values: dict) -> dict:
        clean = {}
        for key, value in values.items():
            if key not in KNOB_DEFAULTS:
                raise ValueError(f"unknown knob {key!r}")
            if key in BOOLS:
                value = parse_bool(value)
            elif key == "webhook_url":
                value = str(value or "")
            else:
                value = float(value)
                if value < 0 or (key in RATES and value > 1):
                    raise ValueError(f"{key} out of range")
            clean[key] = value
        with self.lock:
            self.values.update(clean)
            return dict(self.values)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


class PaymentServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, *, store: Store, knobs: Knobs, dispatcher: Dispatcher, api_key):
        self.store = store
        self.knobs = knobs
        self.dispatcher = dispatcher
        self.api_key = api_key
        self.verbose = False
        super().__init__(address, Handler)


def _error(field: str | None, code: str, message: str) -> dict:
    return {"errors": [{"field": field, "code": code, "message": message}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "PaymentSimulator/1"
    server: PaymentServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing --------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        self._raw(
            status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers
        )

    def _raw(self, status: int, data: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/pay/"):
            self._page(method, path[len("/pay/") :], raw)
            return
        try:
            body = json.loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError):
            self._send(400, _error(None, "invalid_json", "Indholdet er ikke gyldig JSON."))
            return
        if path.startswith("/_sim/"):
            self._control(method, path, body)
            return
        if self._faulty():
            return
        if self.headers.get("X-Api-Key") != self.server.api_key:
            self._send(401, _error(None, "unauthorized", "Manglende eller ugyldig API-nøgle."))
            return
        self._api(method, path, body)

    def _faulty(self) -> bool:
        knobs = self.server.knobs
        if knobs["latency_ms"]:
            time.sleep(knobs["latency_ms"] / 1000)
        if knobs["down"] or (knobs["error_rate"] and random.random() < knobs["error_rate"]):  # noqa: S311
            with knobs.lock:
                knobs.errors_injected += 1
            self._send(
                503,
                _error(None, "unavailable", "Tjenesten er midlertidigt utilgængelig."),
                {"Retry-After": "1"},
            )
            return True
        return False

    # -- provider API and SMS gateway ------------------------------------------------

    def _api(self, method: str, path: str, body: Any) -> None:
        store = self.server.store
        if path == "/v1/sessions" and method == "POST":
            errors = validate_session(body)
            if errors:
                self._send(422, {"errors": errors})
                return
            key = (self.headers.get("Idempotency-Key") or "").strip()[:200]
            self._send(*store.session_create(body, key))
        elif path.startswith("/v1/sessions/") and method == "GET":
            session = store.session_get(path[len("/v1/sessions/") :])
            if session is None:
                self._send(404, _error("id", "not_found", "Betalingen findes ikke."))
            else:
                session.pop("declines", None)
                self._send(200, session)
        elif path == "/sms" and method == "POST":
            self._sms(body)
        else:
            self._send(404, _error(None, "not_found", "Ukendt adresse."))

    def _sms(self, body: Any) -> None:
        knobs = self.server.knobs
        if not isinstance(body, dict):
            self._send(422, _error(None, "invalid_type", "Forventede et JSON-objekt."))
            return
        to = str(body.get("to") or "").replace(" ", "")
        digits = to[1:] if to.startswith("+") else to
        text = body.get("text")
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            self._send(422, _error("to", "invalid_number", "Ugyldigt telefonnummer."))
            return
        if not isinstance(text, str) or not 1 <= len(text) <= 1600:
            self._send(422, _error("text", "invalid_text", "Teksten skal være 1-1600 tegn."))
            return
        if knobs["sms_failure_rate"] and random.random() < knobs["sms_failure_rate"]:  # noqa: S311
            self._send(502, _error(None, "carrier_error", "Operatøren afviste beskeden."))
            return
        message = self.server.store.sms_add(
            to=to,
            text=text,
            sender=str(body.get("sender") or "")[:11],
            reference=str(body.get("reference") or "")[:100],
        )
        self._send(201, {"id": message["id"], "status": message["status"]})

    # -- hosted payment page ---------------------------------------------------------

    def _page(self, method: str, session_id: str, raw: bytes) -> None:
        store = self.server.store
        session = store.session_get(session_id)
        if session is None:
            self._html(404, "<h1>Betalingen findes ikke</h1>")
            return
        if method == "GET":
            self._html(200, render_page(session, None))
            return
        form = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        if form.get("action") == "cancel":
            outcome, session, event = store.session_cancel(session_id)
            if event is not None:
                self.server.dispatcher.submit(event)
            self._redirect(session, "cancelled" if outcome == "cancelled" else None)
            return
        force = bool(self.server.knobs["failure_rate"]) and (
            random.random() < self.server.knobs["failure_rate"]  # noqa: S311 - fault injection
        )
        outcome, session, event = store.session_pay(
            session_id, form.get("card_number", ""), force_decline=force
        )
        if event is not None:
            self.server.dispatcher.submit(event)
        if outcome in ("paid", "not_open"):
            self._redirect(session, None)
        elif outcome == "invalid_card":
            self._html(200, render_page(session, "Kortnummeret er ikke gyldigt."))
        else:
            self._html(200, render_page(session, session["last_error"]["message"]))

    def _redirect(self, session: dict | None, status: str | None) -> None:
        if session is None:  # reset meanwhile
            self._html(404, "<h1>Betalingen findes ikke</h1>")
            return
        url = urlsplit(session["return_url"])
        query = parse_qs(url.query)
        query["session_id"] = [session["id"]]
        if status:
            query["status"] = [status]
        location = urlunsplit(url._replace(query=urlencode(query, doseq=True)))
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _html(self, status: int, body: str) -> None:
        self._raw(status, body.encode(), "text/html")

    # -- control plane (tests and demos; the simulator binds to localhost) ----------

    def _control(self, method: str, path: str, body: Any) -> None:
        server = self.server
        store = server.store
        if path == "/_sim/config":
            if method == "POST":
                try:
                    self._send(200, server.knobs.update(body or {}))
                except (ValueError, TypeError) as exc:
                    self._send(400, _error(None, "invalid_knob", str(exc)))
                with server.dispatcher.cond:
                    server.dispatcher.cond.notify_all()
            else:
                self._send(200, dict(server.knobs.values))
        elif path == "/_sim/queue" and method == "GET":
            # O(1), for pollers (the stats below count every event and session)
            self._send(200, {"webhooks_queued": server.dispatcher.busy()})
        elif path == "/_sim/stats" and method == "GET":
            stats = store.stats()
            stats["errors_injected"] = server.knobs.errors_injected
            stats["webhooks_queued"] = server.dispatcher.busy()
            self._send(200, stats)
        elif path == "/_sim/sessions" and method == "GET":
            sessions = store.session_list()
            self._send(200, {"count": len(sessions), "sessions": sessions})
        elif path.startswith("/_sim/sessions/") and path.endswith("/pay") and method == "POST":
            session_id = path[len("/_sim/sessions/") : -len("/pay")]
            card = str((body or {}).get("card_number") or "4242424242424242")
            force = bool(server.knobs["failure_rate"]) and (
                random.random() < server.knobs["failure_rate"]  # noqa: S311
            )
            outcome, session, event = store.session_pay(session_id, card, force_decline=force)
            if event is not None:
                server.dispatcher.submit(event)
            self._send(404 if session is None else 200, {"outcome": outcome, "session": session})
        elif path == "/_sim/events" and method == "GET":
            events = store.event_list()
            self._send(200, {"count": len(events), "events": events})
        elif path == "/_sim/events/redeliver" and method == "POST":
            ok = server.dispatcher.redeliver(str((body or {}).get("event_id") or ""))
            self._send(200 if ok else 404, {"redelivered": ok})
        elif path == "/_sim/sms" and method == "GET":
            with store.lock:
                messages = list(store.sms)
            self._send(200, {"count": len(messages), "messages": messages})
        elif path == "/_sim/reset" and method == "POST":
            server.dispatcher.clear()
            store.reset()
            with server.knobs.lock:
                server.knobs.errors_injected = 0
            self._send(200, {"reset": True})
        else:
            self._send(404, _error(None, "not_found", "Ukendt simulatorkommando."))


PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>Betaling</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;color:#222}}
.box{{border:1px solid #ccc;border-radius:8px;padding:1.5rem}}label{{display:block;margin:.8rem 0 .2rem}}
input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}}.err{{color:#b00020}}
.muted{{color:#666;font-size:.85rem}}</style></head>
<body><div class="box"><p class="muted">Betalingssimulator (test)</p>
<h1>{amount} {currency}</h1><p>{description}</p><p class="muted">Reference: {reference}</p>
{body}</div></body></html>"""


def render_page(session: dict, error: str | None) -> str:
    amount = f"{session['amount'] / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    if session["status"] != "open":
        labels = {"paid": "Betalingen er gennemført.", "cancelled": "Betalingen er annulleret."}
        body = f"<p>{labels.get(session['status'], session['status'])}</p>"
    else:
        err = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
        body = (
            f'{err}<form method="post"><label for="card">Kortnummer</label>'
            '<input id="card" name="card_number" inputmode="numeric" autocomplete="off" '
            'placeholder="4242 4242 4242 4242" required>'
            '<label for="exp">Udløb (MM/ÅÅ)</label><input id="exp" name="expiry" value="12/30">'
            '<label for="cvc">Kontrolcifre</label><input id="cvc" name="cvc" value="123">'
            '<button type="submit" name="action" value="pay">Betal</button> '
            '<button type="submit" name="action" value="cancel" formnovalidate>Annullér</button>'
            '</form><p class="muted">Testkort: 4242 4242 4242 4242 betaler; '
            "4000 0000 0000 0002 afvises.</p>"
        )
    return PAGE.format(
        amount=amount,
        currency=html.escape(session["currency"]),
        description=html.escape(session["description"]),
        reference=html.escape(session["reference"]),
        body=body,
    )


def make_server(
    host: str, port: int, *, store: Store, knobs: Knobs, dispatcher: Dispatcher, api_key: str
) -> PaymentServer:
    return PaymentServer(
        (host, port), store=store, knobs=knobs, dispatcher=dispatcher, api_key=api_key
    )

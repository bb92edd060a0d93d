"""HTTP front of the HLR simulator: routing, API key, fault knobs, JSON in and out."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .store import Store
from .validation import error

API = "/api/v3"
LEASES = f"{API}/lejekontrakter"
SETTINGS_SUFFIX = "/notifikationsindstillinger"  # the notification settings of an organisation
KNOB_DEFAULTS = {
    "latency_ms": 0.0,
    "error_rate": 0.0,
    "down": False,
    "down_mode": "503",
    "lost_response_rate": 0.0,
}


class Knobs:
    """Fault knobs, changed at run time through POST /_sim/config."""

    def __init__(self, **values: Any) -> None:
        self.lock = threading.Lock()
        self.values = dict(KNOB_DEFAULTS)
        self.errors_injected = 0
        self.lost_responses = 0
        self.update(values)

    def update(self, values: dict) -> dict:
        clean = {}
        for key, value in values.items():
            if key not in KNOB_DEFAULTS:
                raise ValueError(f"unknown knob {key!r}")
            if key in ("latency_ms",):
                value = float(value)
                if value < 0:
                    raise ValueError("latency_ms must be >= 0")
            elif key in ("error_rate", "lost_response_rate"):
                value = float(value)
                if not 0 <= value <= 1:
                    raise ValueError(f"{key} must be between 0 and 1")
            elif key == "down":
                value = parse_bool(value)
            elif key == "down_mode" and value not in ("503", "close"):
                raise ValueError("down_mode must be '503' or 'close'")
            clean[key] = value
        with self.lock:
            self.values.update(clean)
            return dict(self.values)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, *, store: Store, knobs: Knobs, api_key: str, verbose: bool):
        self.store = store
        self.knobs = knobs
        self.api_key = api_key
        self.verbose = verbose
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    # Headers and body go out as separate writes; without TCP_NODELAY Nagle holds the body
    # back until the client's delayed ACK (~40 ms per request on a kept-alive connection).
    disable_nagle_algorithm = True
    server_version = "HLRSimulator/3"
    server: SimulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        # Paths carry lease numbers and BBR ids only; bodies are never logged.
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self._send(status, {"errors": [error(field, code, message)]})

    def _drop(self) -> None:
        """Close the connection without answering (a network failure as seen by a client)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _unavailable(self) -> None:
        self._send(
            503,
            {
                "errors": [
                    error(None, "unavailable", "Huslejeregisteret er midlertidigt utilgængeligt.")
                ]
            },
            {"Retry-After": "1"},
        )

    def _read_body(self) -> tuple[bool, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return True, None
        try:
            return True, json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return False, None

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        ok, body = self._read_body()
        if path.startswith("/_sim/"):
            if not ok:
                self._fail(400, "invalid_json", "Ugyldig JSON.")
                return
            self._control(method, path, body)
            return

        knobs = self.server.knobs
        if knobs["down"]:
            with knobs.lock:
                knobs.errors_injected += 1
            if knobs["down_mode"] == "close":
                self._drop()
            else:
                self._unavailable()
            return
        if knobs["latency_ms"]:
            time.sleep(knobs["latency_ms"] / 1000)
        if knobs["error_rate"] and random.random() < knobs["error_rate"]:  # noqa: S311 - fault injection
            with knobs.lock:
                knobs.errors_injected += 1
            self._unavailable()
            return
        if self.headers.get("X-Api-Key") != self.server.api_key:
            self._fail(401, "unauthorized", "Manglende eller ugyldig API-nøgle.")
            return
        if not ok:
            self._fail(400, "invalid_json", "Indholdet er ikke gyldig JSON.")
            return
        status, answer = self._route(method, path, query, body)
        if (
            method in ("POST", "PUT", "DELETE")
            and status in (200, 201)
            and knobs["lost_response_rate"]
            and random.random() < knobs["lost_response_rate"]  # noqa: S311 - fault injection
        ):
            # The filing is stored, but the answer never reaches the client.
            with knobs.lock:
                knobs.lost_responses += 1
            self._drop()
            return
        self._send(status, answer)

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any]:
        store = self.server.store
        not_found = (404, {"errors": [error(None, "not_found", "Ressourcen findes ikke.")]})
        if path == LEASES:
            if method == "POST":
                return self._filing("create", None, body)
            if method == "GET":
                rows = store.lease_list(
                    bbr_unit_id=query.get("bbr_unit_id"),
                    cvr=query.get("organisation_cvr"),
                    full=query.get("full") in ("1", "true"),
                )
                return 200, {"results": rows}
            return _not_allowed()
        if path == f"{LEASES}/validate":
            if method != "POST":
                return _not_allowed()
            return store.validate(body)
        if path.startswith(f"{LEASES}/"):
            number = unquote(path[len(LEASES) + 1 :])
            if method == "GET":
                view = store.lease_view(number)
                if view is None:
                    return 404, {
                        "errors": [
                            error("lease_number", "not_found", "Lejekontrakten findes ikke.")
                        ]
                    }
                return 200, view
            if method == "PUT":
                return self._filing("update", number, body)
            if method == "DELETE":
                return self._filing("delete", number, body)
            return _not_allowed()
        if path.startswith(f"{API}/boligorganisationer/") and path.endswith(SETTINGS_SUFFIX):
            cvr = unquote(path[len(f"{API}/boligorganisationer/") : -len(SETTINGS_SUFFIX)])
            if method == "PUT":
                return store.notification_settings_put(cvr, body)
            if method == "GET":
                return store.notification_settings_get(cvr)
            return _not_allowed()
        for prefix, view_of in (
            (f"{API}/boliger/", store.dwelling_view),
            (f"{API}/boligorganisationer/", store.organisation_view),
        ):
            if path.startswith(prefix) and method == "GET":
                view = view_of(unquote(path[len(prefix) :]))
                return (200, view) if view else not_found
        if path == f"{API}/udk/notifications" and method == "GET":
            try:
                since = int(query.get("since") or 0)
                limit = min(int(query.get("limit") or 1000), 10000)
            except ValueError:
                return 400, {
                    "errors": [error("since", "invalid_type", "since og limit skal være heltal.")]
                }
            notes = store.notifications_since(max(since, 0), max(limit, 1))
            return 200, {
                "notifications": notes,
                "last_id": notes[-1]["id"] if notes else max(since, 0),
            }
        return not_found

    def _filing(self, operation: str, number: str | None, body: Any) -> tuple[int, Any]:
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not key or len(key) > 200:
            return 400, {
                "errors": [
                    error(
                        "Idempotency-Key",
                        "required",
                        "Headeren Idempotency-Key skal angives (højst 200 tegn).",
                    )
                ]
            }
        return self.server.store.file(
            operation=operation, lease_number=number, body=body, idempotency_key=key
        )

    # -- control plane for tests and demos (no API key; bind to localhost) ---------

    def _control(self, method: str, path: str, body: Any) -> None:
        server = self.server
        if path == "/_sim/config":
            if method == "POST":
                try:
                    values = server.knobs.update(body or {})
                except (ValueError, TypeError) as exc:
                    self._fail(400, "invalid_knob", str(exc))
                    return
                self._send(200, values)
            else:
                self._send(200, dict(server.knobs.values))
        elif path == "/_sim/stats" and method == "GET":
            stats = server.store.stats()
            stats["errors_injected"] = server.knobs.errors_injected
            stats["lost_responses"] = server.knobs.lost_responses
            self._send(200, stats)
        elif path == "/_sim/filings" and method == "GET":
            with server.store.lock:
                filings = list(server.store.filings)
            self._send(200, {"count": len(filings), "filings": filings})
        elif path == "/_sim/reset" and method == "POST":
            server.store.reset()
            with server.knobs.lock:
                server.knobs.errors_injected = 0
                server.knobs.lost_responses = 0
            self._send(200, {"reset": True})
        else:
            self._fail(404, "not_found", "Ukendt simulatorkommando.")


def _not_allowed() -> tuple[int, Any]:
    return 405, {"errors": [error(None, "method_not_allowed", "Metoden er ikke tilladt.")]}


def make_server(
    host: str,
    port: int,
    *,
    store: Store,
    knobs: Knobs,
    api_key: str,
    verbose: bool = False,
) -> SimulatorServer:
    return SimulatorServer((host, port), store=store, knobs=knobs, api_key=api_key, verbose=verbose)

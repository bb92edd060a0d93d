"""Client for the rent register (Huslejeregisteret, HLR) web service.

Speaks the JSON wire format only (see docs/hlr-simulator.md); it never imports the
simulator, so the real service can be configured in its place through settings:

- ``HLR_BASE_URL``, ``HLR_API_KEY``, ``HLR_TIMEOUT`` (seconds, per attempt),
- ``HLR_RETRY_ATTEMPTS`` (default 3) and ``HLR_RETRY_BACKOFF`` (seconds, default 0.5),
  read from settings when present, else from the environment variables of the same name.

Usage::

    client = HlrClient()
    receipt = client.file(operation="update", payload=payload, idempotency_key=key)

Errors: `HlrRejected` (the register refused the filing: 400/404/409/422, never retried;
``.errors`` holds ``{"field", "code", "message"}`` dicts with Danish messages),
`HlrUnavailable` (connection refused, timeout, dropped connection, 5xx, 408, 429 after
all attempts; ``.attempts``), `HlrError` (anything else, e.g. a wrong API key).

Transient failures are retried with exponential backoff and jitter; that is safe because
every filing carries an idempotency key, so a retried filing the register already stored
is answered with the same receipt (``replayed=True``) instead of being filed twice.
Each thread keeps one keep-alive connection. Nothing personal is logged: only operation,
lease number, status, attempt count.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from django.utils.translation import gettext

logger = logging.getLogger(__name__)

OPERATIONS = {"create": "POST", "update": "PUT", "delete": "DELETE"}
LEASES_PATH = "/api/v3/lejekontrakter"
ORGANISATIONS_PATH = "/api/v3/boligorganisationer"
REJECTED_STATUSES = {400, 404, 409, 422}
TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_BACKOFF = 10.0


class HlrError(Exception):
    """Any failure talking to the rent register."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HlrRejected(HlrError):
    """The register refused the request (validation, unknown lease, key conflict)."""

    def __init__(self, errors: list[dict], *, status: int) -> None:
        self.errors = errors
        summary = "; ".join(f"{e.get('field') or '-'}: {e.get('code')}" for e in errors)
        super().__init__(
            gettext("Huslejeregisteret afviste (%(status)s): %(summary)s")
            % {"status": status, "summary": summary},
            status=status,
        )


class HlrUnavailable(HlrError):
    """A transient failure that outlasted every attempt; safe to retry later."""

    def __init__(self, message: str, *, attempts: int, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.attempts = attempts


@dataclass(frozen=True)
class Receipt:
    """The register's receipt for an accepted filing."""

    receipt_id: str
    status: str
    version: int
    warnings: list[dict] = field(default_factory=list)
    replayed: bool = False
    lease_number: str | None = None
    notifications: list[int] = field(default_factory=list)


class _Transient(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _setting(name: str, default: Any, cast: type) -> Any:
    from django.conf import settings

    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return cast(value)


class HlrClient:
    """Thread-safe HLR client; one keep-alive connection per thread."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        attempts: int | None = None,
        backoff: float | None = None,
    ) -> None:
        self.base_url = base_url or _setting("HLR_BASE_URL", "http://127.0.0.1:8102", str)
        self.api_key = api_key if api_key is not None else _setting("HLR_API_KEY", "", str)
        self.timeout = timeout if timeout is not None else _setting("HLR_TIMEOUT", 10.0, float)
        self.attempts = max(
            1, attempts if attempts is not None else _setting("HLR_RETRY_ATTEMPTS", 3, int)
        )
        self.backoff = backoff if backoff is not None else _setting("HLR_RETRY_BACKOFF", 0.5, float)
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HlrError(f"HLR_BASE_URL er ugyldig: {self.base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._local = threading.local()

    # -- public API ----------------------------------------------------------------

    def file(self, *, operation: str, payload: dict, idempotency_key: str) -> Receipt:
        """File a create/update/delete of a Lejekontrakt; retried safely on transient errors."""
        method = OPERATIONS.get(operation)
        if method is None:
            raise ValueError(f"unknown operation {operation!r}")
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        path = LEASES_PATH
        lease_number = (payload.get("lease") or {}).get("lease_number")
        if operation != "create":
            if not lease_number:
                raise ValueError("payload['lease']['lease_number'] is required for update/delete")
            path = f"{LEASES_PATH}/{quote(str(lease_number), safe='')}"
        _, body, attempts = self._request(
            method, path, payload, {"Idempotency-Key": idempotency_key}
        )
        receipt = Receipt(
            receipt_id=body["receipt_id"],
            status=body["status"],
            version=body["version"],
            warnings=list(body.get("warnings") or []),
            replayed=bool(body.get("replayed")),
            lease_number=body.get("lease_number"),
            notifications=list(body.get("notifications") or []),
        )
        logger.debug(
            "HLR %s lease=%s version=%s replayed=%s attempts=%d",
            operation,
            lease_number,
            receipt.version,
            receipt.replayed,
            attempts,
        )
        return receipt

    def validate(self, payload: dict) -> list[dict]:
        """Field errors the register would answer for this payload; [] when valid."""
        try:
            self._request("POST", f"{LEASES_PATH}/validate", payload)
        except HlrRejected as exc:
            return exc.errors
        return []

    def get_lease(self, lease_number: str) -> dict | None:
        """Current version and history of a lease, or None when the register has none."""
        try:
            _, body, _ = self._request("GET", f"{LEASES_PATH}/{quote(lease_number, safe='')}")
        except HlrRejected as exc:
            if exc.status == 404:
                return None
            raise
        return body

    def leases_filed(self, organisation_cvr: str) -> list[dict]:
        """Every lease the register holds for the organisation with what it holds now
        (`current`: the version in force, None when deleted), to compare with ours."""
        _, body, _ = self._request(
            "GET", f"{LEASES_PATH}?organisation_cvr={quote(organisation_cvr, safe='')}&full=1"
        )
        return list(body.get("results") or [])

    def notification_settings_put(self, organisation_cvr: str, contacts: list[dict]) -> dict:
        """Replace the register's notification contacts for the organisation (PUT is
        idempotent: the same list sent twice leaves the same settings)."""
        _, body, _ = self._request(
            "PUT",
            f"{ORGANISATIONS_PATH}/{quote(organisation_cvr, safe='')}/notifikationsindstillinger",
            {"contacts": contacts},
        )
        return body

    def notifications(self, since: int | None = None) -> list[dict]:
        """UDK notifications with id > since (all of them, paging through the feed)."""
        result: list[dict] = []
        cursor = since or 0
        while True:
            _, body, _ = self._request(
                "GET", f"/api/v3/udk/notifications?since={cursor}&limit=1000"
            )
            page = body.get("notifications") or []
            result.extend(page)
            if len(page) < 1000:
                return result
            cursor = page[-1]["id"]

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- transport -----------------------------------------------------------------

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout)
        self._local.conn = conn
        return conn, False

    def _request(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> tuple[int, Any, int]:
        """Send with retries; return (status, json body, attempts used)."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"X-Api-Key": self.api_key, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        last: _Transient | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                status, answer = self._send_once(method, self._prefix + path, data, all_headers)
            except _Transient as exc:
                last = exc
                logger.info(
                    "HLR %s %s attempt %d/%d failed: %s",
                    method,
                    path.split("?")[0],
                    attempt,
                    self.attempts,
                    exc.reason,
                )
                if attempt < self.attempts:
                    delay = min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))
                    time.sleep(delay / 2 + random.uniform(0, delay / 2))  # noqa: S311 - jitter
                continue
            if status in REJECTED_STATUSES:
                errors = answer.get("errors") if isinstance(answer, dict) else None
                raise HlrRejected(
                    errors or [{"field": None, "code": "rejected", "message": str(status)}],
                    status=status,
                )
            if status >= 400 or not isinstance(answer, dict):
                raise HlrError(
                    gettext("Huslejeregisteret svarede uventet (%s)") % status, status=status
                )
            return status, answer, attempt
        assert last is not None  # noqa: S101 - the loop ran at least once
        logger.warning(
            "HLR %s %s unavailable after %d attempts: %s",
            method,
            path.split("?")[0],
            self.attempts,
            last.reason,
        )
        raise HlrUnavailable(
            gettext("Huslejeregisteret svarer ikke (%(reason)s) efter %(attempts)d forsøg")
            % {"reason": last.reason, "attempts": self.attempts},
            attempts=self.attempts,
            status=last.status,
        )

    def _send_once(
        self, method: str, path: str, data: bytes | None, headers: dict
    ) -> tuple[int, Any]:
        # A keep-alive connection the server has closed fails before any byte is answered;
        # that is retried once at once on a fresh connection without using an attempt.
        for _fresh_try in range(2):
            conn, reused = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if reused:
                    continue
                raise _Transient(type(exc).__name__) from exc
            except TimeoutError as exc:
                self.close()
                raise _Transient("timeout") from exc
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise _Transient(type(exc).__name__) from exc
            if response.will_close:
                self.close()
            if response.status in TRANSIENT_STATUSES:
                raise _Transient(f"HTTP {response.status}", status=response.status)
            try:
                answer = json.loads(raw) if raw else None
            except ValueError as exc:
                raise HlrError(
                    gettext("Huslejeregisteret svarede ikke med JSON (%s)") % response.status,
                    status=response.status,
                ) from exc
            return response.status, answer
        raise _Transient("connection closed")

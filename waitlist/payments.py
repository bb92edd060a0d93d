"""HTTP client for the payment provider (and its webhook signature check).

Speaks only the provider's wire format (docs/payment-simulator.md), so the local simulator
(`python -m simulators.payments`) and a real provider configured in its place look alike.
Settings: PAYMENT_PROVIDER_URL, PAYMENT_PROVIDER_API_KEY, PAYMENT_PROVIDER_TIMEOUT,
PAYMENT_WEBHOOK_SECRET, PAYMENT_WEBHOOK_TOLERANCE_SECONDS.

Amounts cross the wire in øre (integers); the product keeps kroner as Decimal.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Webhook-Signature"
EVENT_ID_HEADER = "Webhook-Id"


class PaymentProviderError(Exception):
    """The provider refused the request or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


class SignatureError(Exception):
    """A webhook whose signature or timestamp does not check out."""


@dataclass(frozen=True)
class ProviderPayment:
    payment_id: str
    amount: Decimal
    paid_on: date
    paid_at: datetime


@dataclass(frozen=True)
class ProviderSession:
    session_id: str
    status: str  # open | paid | cancelled
    amount: Decimal
    reference: str
    payment_url: str
    payment: ProviderPayment | None
    metadata: dict


def to_ore(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_ore(value: Any) -> Decimal:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("amount must be an integer")
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def parse_session(data: Any) -> ProviderSession:
    """A session as the provider sends it (status API or webhook); ValueError if malformed."""
    if not isinstance(data, dict):
        raise ValueError("session must be an object")
    try:
        payment = None
        raw_payment = data.get("payment")
        if raw_payment:
            paid_at = datetime.fromisoformat(str(raw_payment["paid_at"]))
            if paid_at.tzinfo is None:
                raise ValueError("paid_at without time zone")
            payment = ProviderPayment(
                payment_id=str(raw_payment["id"]),
                amount=from_ore(raw_payment["amount"]),
                paid_on=paid_at.astimezone(_local_zone()).date(),
                paid_at=paid_at,
            )
        metadata = data.get("metadata")
        return ProviderSession(
            session_id=str(data["id"]),
            status=str(data["status"]),
            amount=from_ore(data["amount"]),
            reference=str(data.get("reference") or ""),
            payment_url=str(data.get("payment_url") or ""),
            payment=payment,
            metadata=metadata if isinstance(metadata, dict) else {},
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed session: {exc}") from exc


def _local_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)


# -- webhook signatures ------------------------------------------------------------------


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    *, raw_body: bytes, header: str | None, secret: str, tolerance: float, now: float | None = None
) -> None:
    """Check `Webhook-Signature: t=<unix>,v1=<hex>` (HMAC-SHA256 over "<t>." + raw body).
    Raises SignatureError when missing, malformed, wrong or outside the tolerance."""
    if not header:
        raise SignatureError("missing signature header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise SignatureError("malformed signature header") from exc
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp outside tolerance")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise SignatureError("signature mismatch")


# -- the API client ----------------------------------------------------------------------


class PaymentClient:
    """create_session / get_session over one keep-alive connection per thread."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.base_url = (base_url or settings.PAYMENT_PROVIDER_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else settings.PAYMENT_PROVIDER_API_KEY
        self.timeout = timeout if timeout is not None else settings.PAYMENT_PROVIDER_TIMEOUT
        parts = urlsplit(self.base_url)
        self._scheme = parts.scheme
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._local = threading.local()

    def create_session(
        self,
        *,
        amount: Decimal,
        reference: str,
        description: str,
        return_url: str,
        webhook_url: str,
        metadata: dict,
        idempotency_key: str,
    ) -> ProviderSession:
        body = {
            "amount": to_ore(amount),
            "currency": "DKK",
            "reference": reference,
            "description": description,
            "return_url": return_url,
            "webhook_url": webhook_url,
            "metadata": metadata,
        }
        status, data = self._request(
            "POST", "/v1/sessions", body, {"Idempotency-Key": idempotency_key}
        )
        if status not in (200, 201):
            raise PaymentProviderError(f"create session: HTTP {status}", status=status)
        return parse_session(data)

    def get_session(self, session_id: str) -> ProviderSession | None:
        status, data = self._request("GET", f"/v1/sessions/{quote(session_id, safe='')}")
        if status == 404:
            return None
        if status != 200:
            raise PaymentProviderError(f"get session: HTTP {status}", status=status)
        return parse_session(data)

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _request(
        self, method: str, path: str, body: Any = None, headers: dict | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {
            "X-Api-Key": self.api_key,
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}),
            **(headers or {}),
        }
        for attempt in (1, 2):  # a kept-alive connection the server closed: reopen once
            conn = self._connection()
            try:
                conn.request(method, self._prefix + path, body=data, headers=all_headers)
                response = conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                reused = isinstance(
                    exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                )
                if attempt == 1 and reused:
                    continue
                logger.warning(
                    "payment provider %s %s failed: %s", method, path, type(exc).__name__
                )
                raise PaymentProviderError(
                    f"{method} {path}: {type(exc).__name__}", transient=True
                ) from exc
            if response.will_close:
                self._drop()
            if response.status >= 500 or response.status in (408, 429):
                raise PaymentProviderError(
                    f"{method} {path}: HTTP {response.status}",
                    status=response.status,
                    transient=True,
                )
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError as exc:
                raise PaymentProviderError(f"{method} {path}: not JSON") from exc
        raise PaymentProviderError(f"{method} {path}: no answer", transient=True)

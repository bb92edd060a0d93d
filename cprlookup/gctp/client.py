"""The GCTP client: sign-on and token reuse, retries with backoff, one connection per thread."""

from __future__ import annotations

import http.client
import logging
import random
import ssl
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from django.conf import settings
from django.utils.translation import gettext

from .connections import IDLE_CHECK_SECONDS, Connection, TlsConnection, dropped
from .protocol import (
    ENCODING,
    KVIT_OK,
    KVIT_SIGNON_AGAIN,
    KVIT_SIGNON_OK,
    KVIT_WRONG_PASSWORD,
    parse_answer,
    parse_residents,
    refusal_message,
    search_key,
    search_xml,
    service_ts,
    signon_xml,
    token_cookie,
)
from .results import GctpError, GctpRefused, GctpUnavailable, Resident, SearchResult, Transient
from .tokens import TokenStore

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "GCTP_TIMEOUT": 10.0,
    "GCTP_MAX_ATTEMPTS": 4,
    "GCTP_BACKOFF_BASE": 0.2,
    "GCTP_BACKOFF_MAX": 5.0,
    "GCTP_TOKEN_FILE": None,  # BASE_DIR/var/gctp-token.json
}
DEFAULT_TOKEN_LIFETIME = 1800.0  # when the Set-Cookie has no Expires


def knob(name: str, value: Any = None) -> Any:
    """A client setting: `value` if given, else ``settings.<name>``, else the default."""
    if value is not None:
        return value
    value = getattr(settings, name, None)
    return DEFAULTS.get(name) if value is None else value


class GctpClient:
    """CPR Services client; safe to share between threads (one connection per thread)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        userid: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff_base: float | None = None,
        backoff_max: float | None = None,
        token_file: str | Path | None = None,
    ) -> None:
        self.base_url = knob("GCTP_BASE_URL", base_url)
        self.userid = knob("GCTP_USERID", userid)
        self.password = knob("GCTP_PASSWORD", password)
        self.timeout = float(knob("GCTP_TIMEOUT", timeout))
        self.max_attempts = max(1, int(knob("GCTP_MAX_ATTEMPTS", max_attempts)))
        self.backoff_base = float(knob("GCTP_BACKOFF_BASE", backoff_base))
        self.backoff_max = float(knob("GCTP_BACKOFF_MAX", backoff_max))
        token_path = knob("GCTP_TOKEN_FILE", token_file) or (
            Path(settings.BASE_DIR) / "var" / "gctp-token.json"
        )
        url = urlsplit(self.base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise GctpError(f"GCTP_BASE_URL er ikke en gyldig http(s)-adresse: {self.base_url}")
        self._url = url
        self._path = url.path or "/"
        self._store = TokenStore(Path(token_path), identity=f"{self.base_url}|{self.userid}")
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        self._local = threading.local()
        self._random = random.Random()  # noqa: S311 - backoff jitter, not security

    # -- public ----------------------------------------------------------------------------

    def landlord_search(
        self,
        *,
        cvr: str,
        dar_address_id: uuid.UUID | str | None = None,
        dar_house_id: uuid.UUID | str | None = None,
        address: dict | None = None,
    ) -> SearchResult:
        """Who is registered at (or moved out within a year from) an address the CVR owns.

        Exactly one key: ``dar_address_id`` (one dwelling), ``dar_house_id`` (the whole
        stairwell) or ``address`` = dict(municipality_code, road_code, house_number,
        floor="", door="") — with neither floor nor door it is the whole stairwell.
        Raises GctpRefused (not retried), GctpUnavailable (after the retries) or GctpError
        (configuration: wrong credentials, unexpected HTTP status).
        """
        kind, fields = search_key(
            cvr=cvr, dar_address_id=dar_address_id, dar_house_id=dar_house_id, address=address
        )
        body = search_xml(fields)
        started = time.monotonic()
        attempts = 0
        reached = False
        renewed = False
        while True:
            attempts += 1
            try:
                token = self._current_token()
                root, code, text = self._ask(body, token=token, reached=reached, attempts=attempts)
                if code == KVIT_SIGNON_AGAIN:
                    if renewed:
                        raise Transient("log på afvist efter ny log på (901)")
                    renewed = True
                    logger.info("gctp token refused (901): signing on again")
                    self._renew_token(bad=token)
                    attempts -= 1  # the re-sign-on is not a failed attempt
                    continue
                reached = True
                if code != KVIT_OK:
                    raise _refused(kind, code, text, attempts)
                residents = parse_residents(root)
            except Transient as exc:
                self._wait_or_give_up(exc, kind=kind, attempts=attempts, reached=reached)
                continue
            return _answered(root, residents, kind=kind, attempts=attempts, started=started)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- one attempt -----------------------------------------------------------------------

    def _ask(
        self, body: bytes, *, token: str, reached: bool, attempts: int
    ) -> tuple[ET.Element, int, str]:
        """Send a search: (root, Kvit code, Kvit text). Transient on a fault worth
        retrying; GctpError on an unexpected HTTP status."""
        status, data, _ = self._post(body, token=token)
        if status >= 500:
            raise Transient(f"HTTP {status}")
        if status != 200:
            raise GctpError(
                gettext("Uventet svar fra CPR (HTTP %s). Kontrollér GCTP_BASE_URL.") % status,
                reached_service=reached,
                attempts=attempts,
            )
        return parse_answer(data)

    def _wait_or_give_up(self, exc: Transient, *, kind: str, attempts: int, reached: bool):
        """Back off before the next attempt, or raise GctpUnavailable after the last."""
        logger.warning(
            "gctp search transient failure key=%s attempt=%d/%d: %s",
            kind,
            attempts,
            self.max_attempts,
            exc.kind,
        )
        if attempts >= self.max_attempts:
            raise GctpUnavailable(
                gettext(
                    "CPR-opslaget kunne ikke gennemføres efter %(attempts)d forsøg "
                    "(sidste fejl: %(error)s). Prøv igen senere."
                )
                % {"attempts": attempts, "error": exc.kind},
                reached_service=reached,
                attempts=attempts,
            ) from exc
        time.sleep(self._backoff(attempts))

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform(0, min(max, base * 2**(attempt-1)))."""
        return self._random.uniform(
            0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        )

    # -- token -----------------------------------------------------------------------------

    def _current_token(self) -> str:
        cached = self._token
        if cached and cached[1] > time.time():
            return cached[0]
        with self._token_lock:
            cached = self._token
            if cached and cached[1] > time.time():
                return cached[0]
            stored = self._store.read()
            if stored is None:
                with self._store.locked():
                    stored = self._store.read()  # another process may have signed on
                    if stored is None:
                        stored = self._signon()
                        self._store.write(*stored)
            self._token = stored
            return stored[0]

    def _renew_token(self, *, bad: str) -> None:
        with self._token_lock:
            cached = self._token
            if cached and cached[0] != bad and cached[1] > time.time():
                return  # another thread renewed it already
            with self._store.locked():
                stored = self._store.read()
                if stored is None or stored[0] == bad:
                    stored = self._signon()
                    self._store.write(*stored)
            self._token = stored

    def _signon(self) -> tuple[str, float]:
        """Sign on: (token, use until epoch). GctpError on 905; Transient on faults."""
        status, data, cookies = self._post(signon_xml(self.userid, self.password), token=None)
        if status >= 500:
            raise Transient(f"HTTP {status} ved log på")
        if status != 200:
            raise GctpError(gettext("Uventet svar fra CPR ved log på (HTTP %s).") % status)
        _, code, _ = parse_answer(data)
        if code == KVIT_WRONG_PASSWORD:
            logger.error("gctp sign-on refused (905): wrong user id or password")
            raise GctpError(
                "CPR afviste log på: forkert bruger-id eller adgangskode (kode 905). "
                "Ret GCTP_USERID og GCTP_PASSWORD.",
                code=KVIT_WRONG_PASSWORD,
            )
        if code != KVIT_SIGNON_OK:
            raise Transient(f"log på gav kode {code}")
        token, expires = token_cookie(cookies)
        if not token:
            raise Transient("log på uden Token-cookie")
        now = time.time()
        lifetime = (expires - now) if expires else DEFAULT_TOKEN_LIFETIME
        use_until = now + lifetime - min(60.0, lifetime * 0.1)
        logger.info("gctp signed on; token valid for %.0f s", lifetime)
        return token, use_until

    # -- HTTP ------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if (
            conn is not None
            and conn.sock is not None
            and time.monotonic() - getattr(self._local, "used_at", 0.0) > IDLE_CHECK_SECONDS
            and dropped(conn.sock)
        ):
            conn.close()  # the server closed the idle keep-alive connection
        if conn is None:
            host, port = self._url.hostname, self._url.port
            if self._url.scheme == "https":
                conn = TlsConnection(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = Connection(host, port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _post(self, body: bytes, *, token: str | None) -> tuple[int, bytes, list[str]]:
        conn = self._connection()
        headers = {"Content-Type": f"text/xml; charset={ENCODING}", "Accept": "text/xml"}
        if token:
            headers["Cookie"] = f"Token={token}"
        try:
            conn.request("POST", self._path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self._local.used_at = time.monotonic()
        except TimeoutError:
            self.close()
            raise Transient("timeout") from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Transient(f"forbindelsesfejl ({type(exc).__name__})") from None
        if resp.will_close:
            self.close()
        return resp.status, data, resp.headers.get_all("Set-Cookie") or []


def _refused(kind: str, code: int, text: str, attempts: int) -> GctpRefused:
    logger.info("gctp search refused key=%s code=%s attempts=%d", kind, code, attempts)
    return GctpRefused(
        refusal_message(code, text), code=code, reached_service=True, attempts=attempts
    )


def _answered(
    root: ET.Element, residents: list[Resident], *, kind: str, attempts: int, started: float
) -> SearchResult:
    duration_ms = (time.monotonic() - started) * 1000
    logger.debug(
        "gctp search ok key=%s rows=%d attempts=%d ms=%.0f",
        kind,
        len(residents),
        attempts,
        duration_ms,
    )
    return SearchResult(
        residents=residents,
        reached_service=True,
        attempts=attempts,
        key_kind=kind,
        duration_ms=duration_ms,
        service_ts=service_ts(root),
    )

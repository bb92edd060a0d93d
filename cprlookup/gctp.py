"""Client for CPR Services (GCTP): the landlord search (udlejersøgning).

    from cprlookup.gctp import GctpClient, GctpRefused, GctpUnavailable, GctpError

    client = GctpClient()
    result = client.landlord_search(cvr="12345678", dar_house_id=entrance.dar_id)
    for resident in result.residents: ...

What it does, so callers need not:

* Signs on once and reuses the token across calls, threads **and worker processes**: the
  token lives in a small JSON file (settings/conf ``GCTP_TOKEN_FILE``, default
  ``var/gctp-token.json``, mode 0600) written under an ``fcntl`` lock, so N workers sign on
  once, not N times. On ``901`` it signs on again (once per call) and repeats the call.
  ``905`` (wrong user id or password) raises :class:`GctpError` at once.
* Timeouts (``settings.GCTP_TIMEOUT``, per socket operation) and retries with exponential
  backoff and full jitter on transient failures only (connection errors, timeouts, HTTP 5xx,
  malformed answers); never on refusals. ``GCTP_MAX_ATTEMPTS`` (default 4) bounds a call.
* Validates input before any call (malformed input is refused locally with code 16 and
  ``reached_service=False``, so it costs nothing) and validates every answer (well-formed
  XML, the ``<root xmlns="http://www.cpr.dk"><Gctp>`` envelope, a Kvit, 10-digit CPR
  numbers, YYYYMMDD dates, UUIDs).
* ISO-8859-1 on the wire; one keep-alive HTTP connection per thread (standard library
  ``http.client``: neither requests, urllib3 nor httpx is installed and none is needed).
* Logs codes, counts and timings only: never CPR numbers, names or addresses.

``reached_service`` is True once the search service itself answered this search with a Kvit
(OK or a refusal) — an HTTP 5xx, a dropped connection, a malformed answer or a 901 token
refusal do not count. The product charges DKK 0.05 once per search with
``reached_service`` True, however many attempts it took.

Knobs (keyword argument, else ``settings.<NAME>``, else ``cprlookup.conf.<NAME>``, else the
default): ``GCTP_BASE_URL``, ``GCTP_USERID``, ``GCTP_PASSWORD``, ``GCTP_TIMEOUT`` (10 s),
``GCTP_MAX_ATTEMPTS`` (4), ``GCTP_BACKOFF_BASE`` (0.2 s), ``GCTP_BACKOFF_MAX`` (5 s),
``GCTP_TOKEN_FILE``. The UDLEJER field names and Kvit codes are the invented ones documented
in ``cprlookup/simulator.py`` and docs/gctp-simulator.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import logging
import os
import random
import re
import select
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

logger = logging.getLogger(__name__)

ENCODING = "ISO-8859-1"
NAMESPACE = "http://www.cpr.dk"
DEFAULTS: dict[str, Any] = {
    "GCTP_TIMEOUT": 10.0,
    "GCTP_MAX_ATTEMPTS": 4,
    "GCTP_BACKOFF_BASE": 0.2,
    "GCTP_BACKOFF_MAX": 5.0,
    "GCTP_TOKEN_FILE": None,  # BASE_DIR/var/gctp-token.json
}
DEFAULT_TOKEN_LIFETIME = 1800.0  # when the Set-Cookie has no Expires

# Kvit codes (see cprlookup/simulator.py for the full table).
KVIT_OK = 0
KVIT_MALFORMED = 16
KVIT_CVR_NOT_REGISTERED = 60
KVIT_CVR_NOT_OWNER = 61
KVIT_ADDRESS_NOT_FOUND = 62
KVIT_SIGNON_OK = 900
KVIT_SIGNON_AGAIN = 901
KVIT_WRONG_PASSWORD = 905

REFUSAL_MESSAGES = {
    KVIT_CVR_NOT_REGISTERED: gettext_lazy("CVR-nummeret er ikke tilmeldt CPR's udlejerservice."),
    KVIT_CVR_NOT_OWNER: gettext_lazy("CVR-nummeret er ikke registreret som ejer af adressen."),
    KVIT_ADDRESS_NOT_FOUND: gettext_lazy("Adressen findes ikke i CPR."),
}

_CVR = re.compile(r"^\d{8}$")
_CPR = re.compile(r"^\d{10}$")
_CODE = re.compile(r"^\d{1,4}$")
_HOUSE_NUMBER = re.compile(r"^[1-9]\d{0,2}[A-Z]?$")
_FLOOR = re.compile(r"^(st|kl\d?|k\d|[1-9]\d?)$")
_DOOR = re.compile(r"^[0-9a-zæøå/\-]{1,4}$")


# --------------------------------------------------------------------------------------------
# Results and errors


@dataclass(frozen=True)
class Resident:
    """One registration at the searched address: registered now or moved out within a year.

    ``name`` is '' for protected persons (CPR sends neither name nor address for them), and
    so are ``dar_address_id`` (None), ``floor`` and ``door``.
    """

    cpr: str
    name: str
    move_in: date | None
    move_out: date | None
    protected: bool
    dar_address_id: uuid.UUID | None
    floor: str
    door: str

    def __repr__(self) -> str:  # never print a CPR number or a name by accident
        return f"Resident(cpr=******-****, protected={self.protected}, move_out={self.move_out})"


@dataclass
class SearchResult:
    """The answer to one landlord search."""

    residents: list[Resident]
    reached_service: bool
    attempts: int
    key_kind: str = ""  # DARADR, DARHUS or ADRESSE
    duration_ms: float = 0.0
    service_ts: str = ""  # the ts stamp CPR put on the answer's header


class GctpError(Exception):
    """A GCTP call failed; ``message`` is Danish and fit to show a caseworker."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reached_service: bool = False,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reached_service = reached_service
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message


class GctpRefused(GctpError):
    """CPR (or the local input check) refused the search: not registered, not the owner,
    address not found, malformed input. Never retried. ``reached_service`` is True when the
    service said it, False when the input was refused locally before any call."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        reached_service: bool = True,
        attempts: int = 0,
    ):
        super().__init__(message, code=code, reached_service=reached_service, attempts=attempts)


class GctpUnavailable(GctpError):
    """A transient failure (timeout, connection, HTTP 5xx, malformed answer) that lasted
    through every retry."""


class _Transient(Exception):
    """Internal: a failure worth retrying; ``kind`` is a short Danish description."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# --------------------------------------------------------------------------------------------
# Settings


def _knob(name: str, value: Any = None) -> Any:
    if value is not None:
        return value
    value = getattr(settings, name, None)
    return DEFAULTS.get(name) if value is None else value


# --------------------------------------------------------------------------------------------
# Token shared between processes


class TokenStore:
    """The sign-on token in a JSON file shared by every process on the machine.

    Reads need no lock (writes replace the file atomically); signing on happens under an
    exclusive ``fcntl`` lock on a sibling ``.lock`` file so that only one process signs on
    and the others pick up its token.
    """

    def __init__(self, path: Path, identity: str) -> None:
        self.path = path
        self.identity = identity  # base URL + user id: a token for another service is no use
        self.lock_path = path.with_name(path.name + ".lock")

    def read(self) -> tuple[str, float] | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("identity") != self.identity:
            return None
        token, use_until = data.get("token"), data.get("use_until")
        if not isinstance(token, str) or not isinstance(use_until, int | float):
            return None
        if use_until <= time.time():
            return None
        return token, float(use_until)

    def write(self, token: str, use_until: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".gctp-token-")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump({"identity": self.identity, "token": token, "use_until": use_until}, fh)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


# --------------------------------------------------------------------------------------------
# XML helpers


# Elements of an answer are in the envelope's default namespace.
_ROOT, _GCTP, _KVIT, _ROW, _FIELD, _HEADER = (
    f"{{{NAMESPACE}}}{name}"
    for name in ("root", "Gctp", "Kvit", "Row", "Field", "CprServiceHeader")
)


def _envelope(inner: str) -> bytes:
    xml = (
        f'<?xml version="1.0" encoding="{ENCODING}"?>'
        f'<root xmlns="{NAMESPACE}"><Gctp v="2.0">{inner}</Gctp></root>'
    )
    return xml.encode(ENCODING, errors="xmlcharrefreplace")


def _parse_answer(data: bytes) -> tuple[ET.Element, int, str]:
    """(root, Kvit code, Kvit text) or _Transient when the answer is not a GCTP answer."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat resolves no external entities and caps expansion
    except ET.ParseError:
        raise _Transient("ugyldigt XML-svar") from None
    if root.tag != _ROOT or len(root) != 1 or root[0].tag != _GCTP:
        raise _Transient("ugyldig GCTP-kuvert")
    kvit = next(root.iter(_KVIT), None)
    if kvit is None or not (kvit.get("v") or "").strip().isdigit():
        raise _Transient("svar uden kvittering")
    return root, int(kvit.get("v")), kvit.get("t") or ""


def _parse_date(value: str) -> date | None:
    if not value:
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise _Transient("ugyldig dato i svar") from None


def _parse_residents(root: ET.Element) -> list[Resident]:
    residents = []
    for row in root.iter(_ROW):
        f = {e.get("r"): (e.get("v") or "").strip() for e in row.iter(_FIELD)}
        cpr = f.get("PNR", "")
        if not _CPR.match(cpr):
            raise _Transient("ugyldigt CPR-nummer i svar")
        protection = f.get("BESKYT", "")
        if protection and not protection.isdigit():
            raise _Transient("ugyldig beskyttelsesmarkering i svar")
        protected = bool(protection) and int(protection) != 0
        adr = f.get("DARADR", "")
        try:
            dar_address_id = uuid.UUID(adr) if adr and not protected else None
        except ValueError:
            raise _Transient("ugyldigt DAR-id i svar") from None
        residents.append(
            Resident(
                cpr=cpr,
                name="" if protected else f.get("ADRNVN", ""),
                move_in=_parse_date(f.get("TILFLYDTO", "")),
                move_out=_parse_date(f.get("FRAFLYDTO", "")),
                protected=protected,
                dar_address_id=dar_address_id,
                floor="" if protected else f.get("ETAGE", ""),
                door="" if protected else f.get("SIDEDOER", ""),
            )
        )
    return residents


def _service_ts(root: ET.Element) -> str:
    header = next(root.iter(_HEADER), None)
    return (header.get("ts") or "") if header is not None else ""


def _refuse_input(message: str) -> GctpRefused:
    return GctpRefused(message, code=KVIT_MALFORMED, reached_service=False, attempts=0)


def _as_uuid(value: Any, label: str) -> str:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise _refuse_input(gettext("Ugyldigt %s: det skal være et UUID.") % label) from None


def search_key(
    *,
    cvr: str,
    dar_address_id: Any = None,
    dar_house_id: Any = None,
    address: dict | None = None,
) -> tuple[str, list[tuple[str, str]]]:
    """Validate a landlord-search key: (key kind, GCTP Key fields). GctpRefused (code 16,
    not reached) on malformed input, so nothing is sent and nothing charged."""
    cvr = (cvr or "").replace(" ", "")
    if not _CVR.match(cvr):
        raise _refuse_input(gettext("Ugyldigt CVR-nummer: det skal være 8 cifre."))
    given = [k for k, v in (("id", dar_address_id), ("hus", dar_house_id), ("adr", address)) if v]
    if len(given) != 1:
        raise _refuse_input(
            gettext("Angiv præcis én af: DAR adresse-id, DAR husnummer-id eller en adresse.")
        )
    fields = [("CVR", cvr)]
    if dar_address_id:
        return "DARADR", [*fields, ("DARADR", _as_uuid(dar_address_id, "DAR adresse-id"))]
    if dar_house_id:
        return "DARHUS", [*fields, ("DARHUS", _as_uuid(dar_house_id, "DAR husnummer-id"))]
    if not isinstance(address, dict):
        raise _refuse_input(gettext("Adressen skal angives med kommunekode, vejkode og husnummer."))
    komkod = str(address.get("municipality_code") or "").strip()
    vejkod = str(address.get("road_code") or "").strip()
    husnr = str(address.get("house_number") or "").strip().upper()
    floor = str(address.get("floor") or "").strip().lower().rstrip(".")
    door = str(address.get("door") or "").strip().lower()
    if not _CODE.match(komkod):
        raise _refuse_input(gettext("Ugyldig kommunekode: 1-4 cifre."))
    if not _CODE.match(vejkod):
        raise _refuse_input(gettext("Ugyldig vejkode: 1-4 cifre."))
    if not _HOUSE_NUMBER.match(husnr):
        raise _refuse_input(gettext("Ugyldigt husnummer: 1-999 evt. med et stort bogstav, fx 12B."))
    if floor and not _FLOOR.match(floor):
        raise _refuse_input(gettext("Ugyldig etage: st, kl, k2 eller 1-99."))
    if door and not _DOOR.match(door):
        raise _refuse_input(gettext("Ugyldig dør: tv, th, mf eller op til 4 tegn."))
    fields += [("KOMKOD", komkod.zfill(4)), ("VEJKOD", vejkod.zfill(4)), ("HUSNR", husnr)]
    if floor or door:  # neither = the whole stairwell
        fields += [("ETAGE", floor), ("SIDEDOER", door)]
    return "ADRESSE", fields


def _search_xml(fields: list[tuple[str, str]]) -> bytes:
    key = "".join(f"<Field r={quoteattr(r)} v={quoteattr(v)}/>" for r, v in fields)
    return _envelope(
        '<System r="CprSoeg"><Service r="UDLEJER"><CprServiceHeader r="UDLEJER">'
        f"<Key>{key}</Key></CprServiceHeader></Service></System>"
    )


# --------------------------------------------------------------------------------------------
# The client


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
        self.base_url = _knob("GCTP_BASE_URL", base_url)
        self.userid = _knob("GCTP_USERID", userid)
        self.password = _knob("GCTP_PASSWORD", password)
        self.timeout = float(_knob("GCTP_TIMEOUT", timeout))
        self.max_attempts = max(1, int(_knob("GCTP_MAX_ATTEMPTS", max_attempts)))
        self.backoff_base = float(_knob("GCTP_BACKOFF_BASE", backoff_base))
        self.backoff_max = float(_knob("GCTP_BACKOFF_MAX", backoff_max))
        token_path = _knob("GCTP_TOKEN_FILE", token_file) or (
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
        body = _search_xml(fields)
        started = time.monotonic()
        attempts = 0
        reached = False
        renewed = False
        while True:
            attempts += 1
            try:
                token = self._current_token()
                status, data, _ = self._post(body, token=token)
                if status >= 500:
                    raise _Transient(f"HTTP {status}")
                if status != 200:
                    raise GctpError(
                        gettext("Uventet svar fra CPR (HTTP %s). Kontrollér GCTP_BASE_URL.")
                        % status,
                        reached_service=reached,
                        attempts=attempts,
                    )
                root, code, text = _parse_answer(data)
                if code == KVIT_SIGNON_AGAIN:
                    if renewed:
                        raise _Transient("log på afvist efter ny log på (901)")
                    renewed = True
                    logger.info("gctp token refused (901): signing on again")
                    self._renew_token(bad=token)
                    attempts -= 1  # the re-sign-on is not a failed attempt
                    continue
                reached = True
                if code != KVIT_OK:
                    logger.info(
                        "gctp search refused key=%s code=%s attempts=%d", kind, code, attempts
                    )
                    raise GctpRefused(
                        _refusal_message(code, text),
                        code=code,
                        reached_service=True,
                        attempts=attempts,
                    )
                residents = _parse_residents(root)
            except _Transient as exc:
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
                continue
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
                service_ts=_service_ts(root),
            )

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
        """Sign on: (token, use until epoch). GctpError on 905; _Transient on faults."""
        body = _envelope(
            f'<Sik function="signon" userid={quoteattr(self.userid)} '
            f"password={quoteattr(self.password)}/>"
        )
        status, data, cookies = self._post(body, token=None)
        if status >= 500:
            raise _Transient(f"HTTP {status} ved log på")
        if status != 200:
            raise GctpError(gettext("Uventet svar fra CPR ved log på (HTTP %s).") % status)
        _, code, _ = _parse_answer(data)
        if code == KVIT_WRONG_PASSWORD:
            logger.error("gctp sign-on refused (905): wrong user id or password")
            raise GctpError(
                "CPR afviste log på: forkert bruger-id eller adgangskode (kode 905). "
                "Ret GCTP_USERID og GCTP_PASSWORD.",
                code=KVIT_WRONG_PASSWORD,
            )
        if code != KVIT_SIGNON_OK:
            raise _Transient(f"log på gav kode {code}")
        token, expires = _token_cookie(cookies)
        if not token:
            raise _Transient("log på uden Token-cookie")
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
            and time.monotonic() - getattr(self._local, "used_at", 0.0) > _IDLE_CHECK_SECONDS
            and _dropped(conn.sock)
        ):
            conn.close()  # the server closed the idle keep-alive connection
        if conn is None:
            host, port = self._url.hostname, self._url.port
            if self._url.scheme == "https":
                conn = _TlsConnection(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = _Connection(host, port, timeout=self.timeout)
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
            raise _Transient("timeout") from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise _Transient(f"forbindelsesfejl ({type(exc).__name__})") from None
        if resp.will_close:
            self.close()
        return resp.status, data, resp.headers.get_all("Set-Cookie") or []

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform(0, min(max, base * 2**(attempt-1)))."""
        return self._random.uniform(
            0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        )


class _Connection(http.client.HTTPConnection):
    """http.client sends a request's headers and body in two writes: without TCP_NODELAY
    the body waits for the ACK of the headers (Nagle + delayed ACK)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _TlsConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# A keep-alive connection used within this many seconds is reused without first asking the
# kernel whether the server closed it (a system call per search in a busy scan); should the
# server have closed it anyway, the send fails and the search is retried on a new one.
_IDLE_CHECK_SECONDS = 1.0


def _dropped(sock) -> bool:
    """An idle keep-alive socket that is readable has been closed by the server."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _token_cookie(cookies: list[str]) -> tuple[str, float | None]:
    for cookie in cookies:
        parts = [p.strip() for p in cookie.split(";")]
        name, _, value = parts[0].partition("=")
        if name != "Token" or not value:
            continue
        expires = None
        for attr in parts[1:]:
            key, _, val = attr.partition("=")
            if key.lower() == "expires":
                try:
                    expires = parsedate_to_datetime(val).timestamp()
                except (TypeError, ValueError):
                    expires = None
        return value, expires
    return "", None


def _refusal_message(code: int, text: str) -> str:
    if code in REFUSAL_MESSAGES:
        return str(REFUSAL_MESSAGES[code])
    if code == KVIT_MALFORMED:
        return gettext("CPR afviste forespørgslen som ugyldig: %s.") % (
            text or gettext("forkert feltreference")
        )
    return gettext("CPR afviste opslaget (kode %(code)s): %(text)s.") % {
        "code": code,
        "text": text or gettext("ingen forklaring"),
    }

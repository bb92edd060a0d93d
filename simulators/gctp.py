"""GCTP simulator: a stand-in for CPR Services' landlord search (udlejersøgning).

Run it with::

    python -m simulators.gctp [--host 127.0.0.1] [--port 8101] [--data var/gctp-sim.json]
        [--latency-ms 0] [--error-rate 0] [--timeout-rate 0] [--token-lifetime 7200]
        [--timeout-sleep-ms 30000] [--today YYYY-MM-DD] [--seed N] [--verbose]

Every flag can also come from the environment (``GCTP_SIM_HOST``, ``GCTP_SIM_PORT``,
``GCTP_SIM_DATA``, ``GCTP_SIM_LATENCY_MS``, ``GCTP_SIM_ERROR_RATE``, ``GCTP_SIM_TIMEOUT_RATE``,
``GCTP_SIM_TOKEN_LIFETIME``, ``GCTP_SIM_TIMEOUT_SLEEP_MS``, ``GCTP_SIM_TODAY``,
``GCTP_SIM_SEED``); a flag wins over the environment. ``--port 0`` picks a free port; the
first line on stdout always names the URL it listens on.

This module is deliberately stand-alone: only the standard library, no Django and no product
code, because it plays an external system. The product's client (``cprlookup.gctp``) speaks
the wire format only and could be pointed at the real service instead.

Wire format (docs/interfaces.md, "CPR Services (GCTP)"): ``POST /cpr-online-gctp/gctp``,
XML, ``text/xml``, ISO-8859-1, envelope ``<root xmlns="http://www.cpr.dk"><Gctp v="2.0">``.

* Sign-on ``<Sik function="signon" userid="…" password="…"/>`` answers a ``Token`` cookie
  with ``Expires`` and ``<Sik><Kvit r="returKode" t="Signon udført" v="900"/></Sik>``; a wrong
  user or password answers ``905``. A search without a valid token answers ``901`` (sign on
  again and retry). Users come from the data file (default ``boligkontor`` / ``demo-gctp``).
* Landlord search ``<System r="CprSoeg"><Service r="UDLEJER"><CprServiceHeader r="UDLEJER">
  <Key>`` with ``Field r="CVR"`` plus exactly one key kind: ``DARADR`` (DAR adresse-id, one
  dwelling), ``DARHUS`` (DAR husnummer-id, the whole stairwell) or ``KOMKOD``/``VEJKOD``/
  ``HUSNR`` with optional ``ETAGE``/``SIDEDOER`` (neither given = the whole stairwell).
  The answer repeats the header with a ``ts`` stamp, then ``<CprData><Table r="UDLEJER">``
  with one ``<Row>`` per registration (``PNR``, ``ADRNVN``, ``TILFLYDTO``, ``FRAFLYDTO``,
  ``BESKYT``, ``DARADR``, ``ETAGE``, ``SIDEDOER``) and ``<Kvit r="Ok" t="" v="0"/>``.
  Only people registered at "today" or who moved out within the last year are returned.
  Protected persons come back with ``BESKYT v="1"`` and name and address fields empty.
  A stairwell search returns only the dwellings the CVR owns.

The real landlord service's field names and error codes are not public: the UDLEJER names
above and the codes below are invented (see docs/interfaces.md) and used consistently by
the simulator and the client.

===== ======================================================================
Code  Meaning (``<Kvit v="code" t="Danish text"/>``)
===== ======================================================================
0     OK
16    Malformed input: not well-formed XML, unknown service/field, bad CVR, bad
      UUID, bad address parts, no key or more than one key kind
52    Malformed CPR number (kept from the public examples; not used by UDLEJER)
60    The CVR number is not registered for the landlord service
61    The CVR number does not own the address (or none of the stairwell)
62    The address (adresse-id, husnummer-id or address parts) is not found
900   Sign-on done
901   Token missing, unknown or expired: sign on again and retry
905   Wrong user id or password
999   Injected technical error (only with HTTP 500/503)
===== ======================================================================

Business answers, refusals and malformed input are HTTP 200 with a Kvit, like the real
service; HTTP 5xx is used only for injected errors.

Test knobs over HTTP (JSON): ``POST /_sim/config`` with any of ``latency_ms``,
``error_rate``, ``timeout_rate``, ``token_lifetime``, ``timeout_sleep_ms``, ``today`` (answers
the whole config), ``GET /_sim/config``, ``GET /_sim/stats``, ``POST /_sim/reset-stats``,
``POST /_sim/expire-tokens`` (all issued tokens become invalid) and ``POST /_sim/reload``
(read the data file again). See docs/gctp-simulator.md for the data file format.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import re
import secrets
import socket
import sys
import threading
import time
import uuid
from datetime import date, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

GCTP_PATH = "/cpr-online-gctp/gctp"
NS = "http://www.cpr.dk"
ENCODING = "ISO-8859-1"
DEFAULT_USERS = {"boligkontor": "demo-gctp"}
MAX_BODY = 1_000_000

# Kvit codes and their Danish texts (invented for UDLEJER, see the module docstring).
OK = 0
MALFORMED = 16
BAD_CPR = 52
CVR_NOT_REGISTERED = 60
CVR_NOT_OWNER = 61
ADDRESS_NOT_FOUND = 62
SIGNON_OK = 900
SIGNON_AGAIN = 901
WRONG_PASSWORD = 905
INJECTED = 999
TEXTS = {
    MALFORMED: "Forkert feltreference eller ugyldigt input",
    BAD_CPR: "Ugyldigt CPR-nummer",
    CVR_NOT_REGISTERED: "CVR-nummeret er ikke tilmeldt CPR's udlejerservice",
    CVR_NOT_OWNER: "CVR-nummeret er ikke ejer af adressen",
    ADDRESS_NOT_FOUND: "Adressen findes ikke",
    SIGNON_OK: "Signon udført",
    SIGNON_AGAIN: "Token ugyldigt eller udløbet – log på igen",
    WRONG_PASSWORD: "Ugyldig kodeord indtastet",
    INJECTED: "Teknisk fejl – prøv igen senere",
}

KEY_KINDS = ("DARADR", "DARHUS", "ADRESSE")
_DIGITS = re.compile(r"^\d{1,4}$")
_CVR = re.compile(r"^\d{8}$")
_HOUSE_NUMBER = re.compile(r"^[1-9]\d{0,2}[A-Z]?$")
_FLOOR = re.compile(r"^(st|kl\d?|k\d|[1-9]\d?)$")
_DOOR = re.compile(r"^[0-9a-zæøå/\-]{1,4}$")


class InputError(Exception):
    """A request the service refuses with a Kvit code (HTTP 200)."""

    def __init__(self, code: int, text: str | None = None):
        super().__init__(code)
        self.code = code
        self.text = text or TEXTS[code]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _yyyymmdd(value: str | None) -> str:
    """ISO date (YYYY-MM-DD) or YYYYMMDD from the data file → YYYYMMDD ('' for none)."""
    if not value:
        return ""
    return value.replace("-", "")


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def norm_house_number(value: str) -> str:
    return value.strip().upper()


def norm_floor(value: str) -> str:
    return value.strip().lower().rstrip(".")


def norm_door(value: str) -> str:
    return value.strip().lower()


def norm_code(value: str) -> str:
    return value.strip().zfill(4)


# --------------------------------------------------------------------------------------------
# The register


class Register:
    """The simulated CPR register: addresses with their owner, and who lives where.

    Indexed by DAR adresse-id, DAR husnummer-id and (kommunekode, vejkode, husnr, etage,
    dør). Registrations keep dates as YYYYMMDD strings so that the per-search filter is a
    string comparison.
    """

    def __init__(self) -> None:
        self.users: dict[str, str] = dict(DEFAULT_USERS)
        self.registered_cvrs: set[str] = set()
        # adresse-id -> (husnummer-id, komkod, vejkod, husnr, etage, dør, owner CVR)
        self.addresses: dict[str, tuple[str, str, str, str, str, str, str]] = {}
        self.houses: dict[str, list[str]] = {}
        self.by_parts: dict[tuple[str, str, str, str, str], str] = {}
        self.house_by_parts: dict[tuple[str, str, str], str] = {}
        # adresse-id -> [(cpr, name, protected, move_in, move_out)]
        self.residents: dict[str, list[tuple[str, str, bool, str, str]]] = {}
        self.people = 0

    @classmethod
    def from_file(cls, path: Path) -> Register:
        """Load and index a data file. The cyclic GC is paused while millions of objects are
        made (it would otherwise rescan them again and again) and the result is frozen out
        of later collections, so a 600,000-dwelling register costs no GC pauses while
        serving."""
        gc.disable()
        try:
            register = cls.from_dict(json.loads(path.read_bytes()))
        finally:
            gc.enable()
        gc.freeze()
        return register

    @classmethod
    def from_dict(cls, data: dict) -> Register:
        reg = cls()
        if data.get("users"):
            reg.users = {str(k): str(v) for k, v in data["users"].items()}
        reg.registered_cvrs = {str(c) for c in data.get("registered_cvrs", [])}
        intern = sys.intern
        addresses, houses, by_parts, house_by_parts = (
            reg.addresses,
            reg.houses,
            reg.by_parts,
            reg.house_by_parts,
        )
        for a in data.get("addresses", []):
            adr_id = a["id"].lower()
            house_id = intern(a["house_id"].lower())
            komkod = intern(norm_code(a["municipality_code"]))
            vejkod = intern(norm_code(a["road_code"]))
            husnr = intern(norm_house_number(a["house_number"]))
            etage = intern(norm_floor(a.get("floor") or ""))
            doer = intern(norm_door(a.get("door") or ""))
            owner = intern(str(a["owner_cvr"]))
            addresses[adr_id] = (house_id, komkod, vejkod, husnr, etage, doer, owner)
            houses.setdefault(house_id, []).append(adr_id)
            by_parts[(komkod, vejkod, husnr, etage, doer)] = adr_id
            house_by_parts[(komkod, vejkod, husnr)] = house_id
        residents = reg.residents
        for p in data.get("people", []):
            reg.people += 1
            cpr = p["cpr"]
            name = p.get("name") or ""
            protected = bool(p.get("protected"))
            for r in p.get("registrations", []):
                adr_id = r["address_id"].lower()
                row = (
                    cpr,
                    name,
                    protected,
                    intern(_yyyymmdd(r.get("move_in"))),
                    intern(_yyyymmdd(r.get("move_out"))),
                )
                residents.setdefault(adr_id, []).append(row)
        return reg

    def summary(self) -> dict:
        return {
            "addresses": len(self.addresses),
            "houses": len(self.houses),
            "people": self.people,
            "registered_cvrs": len(self.registered_cvrs),
        }

    def search(self, *, cvr: str, kind: str, key: dict[str, str], today: date) -> list[dict]:
        """Rows for a landlord search, or InputError with the refusal code."""
        if cvr not in self.registered_cvrs:
            raise InputError(CVR_NOT_REGISTERED)
        if kind == "DARADR":
            adr_id = key["DARADR"]
            if adr_id not in self.addresses:
                raise InputError(ADDRESS_NOT_FOUND)
            adr_ids = [adr_id]
        elif kind == "DARHUS":
            adr_ids = self.houses.get(key["DARHUS"])
            if not adr_ids:
                raise InputError(ADDRESS_NOT_FOUND)
        else:
            parts = (key["KOMKOD"], key["VEJKOD"], key["HUSNR"])
            if "ETAGE" in key or "SIDEDOER" in key:
                adr_id = self.by_parts.get((*parts, key.get("ETAGE", ""), key.get("SIDEDOER", "")))
                if adr_id is None:
                    raise InputError(ADDRESS_NOT_FOUND)
                adr_ids = [adr_id]
            else:
                house_id = self.house_by_parts.get(parts)
                if house_id is None:
                    raise InputError(ADDRESS_NOT_FOUND)
                adr_ids = self.houses[house_id]
        owned = [a for a in adr_ids if self.addresses[a][6] == cvr]
        if not owned:
            raise InputError(CVR_NOT_OWNER)
        today_s = today.strftime("%Y%m%d")
        cutoff = one_year_before(today).strftime("%Y%m%d")
        rows = []
        for adr_id in owned:
            _, _, _, _, etage, doer, _ = self.addresses[adr_id]
            for cpr, name, protected, move_in, move_out in self.residents.get(adr_id, ()):
                if move_in and move_in > today_s:
                    continue  # not moved in yet
                if move_out and move_out < cutoff:
                    continue  # moved out more than a year ago
                rows.append(
                    {
                        "PNR": cpr,
                        "ADRNVN": "" if protected else name,
                        "TILFLYDTO": move_in,
                        "FRAFLYDTO": move_out if move_out and move_out <= today_s else "",
                        "BESKYT": "1" if protected else "0",
                        "DARADR": "" if protected else adr_id,
                        "ETAGE": "" if protected else etage,
                        "SIDEDOER": "" if protected else doer,
                    }
                )
        return rows


# --------------------------------------------------------------------------------------------
# Server state: knobs, tokens, statistics


class State:
    """Everything the request threads share, behind one lock."""

    def __init__(self, *, register: Register, data_path: Path | None, config: dict) -> None:
        self.register = register
        self.data_path = data_path
        self.config = config
        self.tokens: dict[str, float] = {}
        self.lock = threading.Lock()
        self.random = random.Random(config.pop("seed", None))  # noqa: S311 - fault injection, not security
        self.stats = self._empty_stats()

    @staticmethod
    def _empty_stats() -> dict:
        return {
            "requests": 0,
            "signons": 0,
            "signon_failures": 0,
            "token_rejections": 0,
            "searches": 0,
            "searches_by_key": dict.fromkeys(KEY_KINDS, 0),
            "rows_returned": 0,
            "refusals": {},
            "errors_injected": 0,
            "timeouts_injected": 0,
        }

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.stats[name] += n

    def today(self) -> date:
        value = self.config.get("today")
        return date.fromisoformat(value) if value else date.today()  # noqa: DTZ011 - local date is what CPR uses

    def issue_token(self) -> tuple[str, float]:
        token = secrets.token_urlsafe(24)
        expires = time.time() + float(self.config["token_lifetime"])
        with self.lock:
            now = time.time()
            # Drop expired tokens so a long run does not grow the table without bound.
            if len(self.tokens) > 10_000:
                self.tokens = {t: e for t, e in self.tokens.items() if e > now}
            self.tokens[token] = expires
            self.stats["signons"] += 1
        return token, expires

    def token_valid(self, token: str | None) -> bool:
        if not token:
            return False
        expires = self.tokens.get(token)
        return expires is not None and expires > time.time()


# --------------------------------------------------------------------------------------------
# XML


def _kvit(code: int, text: str | None = None, r: str = "Fejl") -> str:
    return f"<Kvit r={quoteattr(r)} t={quoteattr(TEXTS.get(code, '') if text is None else text)} v={quoteattr(str(code))}/>"


def _envelope(inner: str) -> bytes:
    xml = f'<?xml version="1.0" encoding="{ENCODING}"?>\n<root xmlns="{NS}"><Gctp v="2.0">{inner}</Gctp></root>'
    return xml.encode(ENCODING, errors="xmlcharrefreplace")


def _sik_answer(code: int) -> bytes:
    return _envelope(f'<Sik function="signon">{_kvit(code, r="returKode")}</Sik>')


def _fields_xml(fields: list[tuple[str, str]]) -> str:
    return "".join(f"<Field r={quoteattr(r)} v={quoteattr(v)}/>" for r, v in fields)


def _service_answer(key_fields: list[tuple[str, str]], inner: str) -> bytes:
    ts = datetime.now().strftime("%Y%m%d%H%M%S%f")[:17]  # noqa: DTZ005 - a session stamp, local time like CPR
    header = f'<CprServiceHeader r="UDLEJER" ts="{ts}"><Key>{_fields_xml(key_fields)}</Key></CprServiceHeader>'
    return _envelope(f'<System r="CprSoeg"><Service r="UDLEJER">{header}{inner}</Service></System>')


def _rows_xml(rows: list[dict]) -> str:
    out = ['<CprData><Table r="UDLEJER">']
    for k, row in enumerate(rows):
        out.append(f'<Row k="{k}">')
        for r in ("PNR", "ADRNVN", "TILFLYDTO", "FRAFLYDTO"):
            out.append(f"<Field r={quoteattr(r)} v={quoteattr(row[r])}/>")
        if row["BESKYT"] == "1":
            out.append('<Field r="BESKYT" v="1" t="Navne- og adresse beskyttelse"/>')
        else:
            out.append('<Field r="BESKYT" v="0"/>')
        for r in ("DARADR", "ETAGE", "SIDEDOER"):
            out.append(f"<Field r={quoteattr(r)} v={quoteattr(row[r])}/>")
        out.append("</Row>")
    out.append("</Table></CprData>")
    return "".join(out)


def parse_key(service: ET.Element) -> tuple[str, str, dict[str, str], list[tuple[str, str]]]:
    """(cvr, key kind, normalised key, echoed fields) from a UDLEJER service element."""
    header = next((e for e in service if _local(e.tag) == "CprServiceHeader"), None)
    key_el = None
    if header is not None:
        key_el = next((e for e in header if _local(e.tag) == "Key"), None)
    if key_el is None:
        raise InputError(MALFORMED)
    raw: dict[str, str] = {}
    echo: list[tuple[str, str]] = []
    for f in key_el:
        if _local(f.tag) != "Field":
            raise InputError(MALFORMED)
        r, v = f.get("r"), f.get("v")
        if r not in {"CVR", "DARADR", "DARHUS", "KOMKOD", "VEJKOD", "HUSNR", "ETAGE", "SIDEDOER"}:
            raise InputError(MALFORMED)
        if v is None or r in raw:
            raise InputError(MALFORMED)
        raw[r] = v.strip()
        echo.append((r, v))
    cvr = raw.pop("CVR", "")
    if not _CVR.match(cvr):
        raise InputError(MALFORMED, "Ugyldigt CVR-nummer")
    kinds = [k for k in ("DARADR", "DARHUS") if k in raw]
    if {"KOMKOD", "VEJKOD", "HUSNR", "ETAGE", "SIDEDOER"} & raw.keys():
        kinds.append("ADRESSE")
    if len(kinds) != 1:
        raise InputError(MALFORMED, "Angiv præcis én nøgle: DARADR, DARHUS eller adresse")
    kind = kinds[0]
    key: dict[str, str] = {}
    if kind in ("DARADR", "DARHUS"):
        try:
            key[kind] = str(uuid.UUID(raw[kind]))
        except ValueError:
            raise InputError(MALFORMED, "Ugyldigt DAR-id") from None
    else:
        try:
            komkod, vejkod, husnr = raw["KOMKOD"], raw["VEJKOD"], raw["HUSNR"]
        except KeyError:
            raise InputError(
                MALFORMED, "Adressen mangler kommunekode, vejkode eller husnr"
            ) from None
        husnr = norm_house_number(husnr)
        if not (_DIGITS.match(komkod) and _DIGITS.match(vejkod) and _HOUSE_NUMBER.match(husnr)):
            raise InputError(MALFORMED, "Ugyldig kommunekode, vejkode eller husnummer")
        key.update(KOMKOD=norm_code(komkod), VEJKOD=norm_code(vejkod), HUSNR=husnr)
        if "ETAGE" in raw or "SIDEDOER" in raw:
            etage = norm_floor(raw.get("ETAGE", ""))
            doer = norm_door(raw.get("SIDEDOER", ""))
            if (etage and not _FLOOR.match(etage)) or (doer and not _DOOR.match(doer)):
                raise InputError(MALFORMED, "Ugyldig etage eller dør")
            key.update(ETAGE=etage, SIDEDOER=doer)
    return cvr, kind, key, echo


# --------------------------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    """One GCTP endpoint plus the /_sim/ test endpoints. HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "GctpSimulator/1.0"
    disable_nagle_algorithm = True  # TCP_NODELAY: answers leave at once
    state: State  # set on the subclass made by make_server

    # -- plumbing --------------------------------------------------------------------------

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = f"text/xml; charset={ENCODING}",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # Headers and body in one send(): two small writes on a keep-alive connection meet
        # the client's delayed ACK and cost ~40 ms per answer.
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._send(413, _envelope(_kvit(MALFORMED)))
            return None
        return self.rfile.read(length) if length else b""

    def _token(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "Token":
                return value
        return None

    # -- routes ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        state = self.state
        if self.path == "/_sim/stats":
            with state.lock:
                payload = json.loads(json.dumps(state.stats))
            payload["register"] = state.register.summary()
            self._json(200, payload)
        elif self.path == "/_sim/config":
            self._json(200, dict(state.config))
        elif self.path in ("/", "/_sim/health"):
            self._json(200, {"ok": True, **state.register.summary()})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        if self.path == GCTP_PATH:
            self._gctp(body)
        elif self.path.startswith("/_sim/"):
            self._sim(self.path, body)
        else:
            self._send(404, _envelope(_kvit(MALFORMED, "Ukendt adresse")))

    def _sim(self, path: str, body: bytes) -> None:
        state = self.state
        if path == "/_sim/config":
            try:
                changes = json.loads(body or b"{}")
                apply_config(state.config, changes)
            except (ValueError, TypeError, KeyError) as exc:
                self._json(400, {"error": str(exc)})
                return
            self._json(200, dict(state.config))
        elif path == "/_sim/reset-stats":
            with state.lock:
                state.stats = state._empty_stats()
            self._json(200, {"ok": True})
        elif path == "/_sim/expire-tokens":
            with state.lock:
                n = len(state.tokens)
                state.tokens.clear()
            self._json(200, {"expired": n})
        elif path == "/_sim/reload":
            if state.data_path is None or not state.data_path.exists():
                self._json(400, {"error": "no data file"})
                return
            register = Register.from_file(state.data_path)
            state.register = register
            self._json(200, register.summary())
        else:
            self._json(404, {"error": "not found"})

    def _gctp(self, body: bytes) -> None:
        state = self.state
        cfg = state.config
        state.count("requests")
        latency = float(cfg["latency_ms"]) / 1000
        if latency > 0:
            time.sleep(latency)
        roll = state.random.random()
        if roll < float(cfg["timeout_rate"]):
            state.count("timeouts_injected")
            time.sleep(float(cfg["timeout_sleep_ms"]) / 1000)
            self.close_connection = True
            with contextlib.suppress(OSError):  # the client may have given up already
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if roll < float(cfg["timeout_rate"]) + float(cfg["error_rate"]):
            state.count("errors_injected")
            status = state.random.choice((500, 503))
            self._send(status, _envelope(_kvit(INJECTED)))
            return
        try:
            root = ET.fromstring(body)  # noqa: S314 - expat resolves no external entities and limits expansion
        except ET.ParseError:
            self._refuse(MALFORMED)
            return
        gctp = root[0] if len(root) else None
        if _local(root.tag) != "root" or gctp is None or _local(gctp.tag) != "Gctp":
            self._refuse(MALFORMED)
            return
        children = list(gctp)
        if len(children) == 1 and _local(children[0].tag) == "Sik":
            self._signon(children[0])
            return
        if not state.token_valid(self._token()):
            state.count("token_rejections")
            self._send(200, _sik_answer(SIGNON_AGAIN))
            return
        if len(children) != 1 or _local(children[0].tag) != "System":
            self._refuse(MALFORMED)
            return
        system = children[0]
        service = system[0] if len(system) == 1 else None
        if (
            system.get("r") != "CprSoeg"
            or service is None
            or _local(service.tag) != "Service"
            or service.get("r") != "UDLEJER"
        ):
            self._refuse(MALFORMED, "Ukendt system eller service")
            return
        echo: list[tuple[str, str]] = []
        try:
            cvr, kind, key, echo = parse_key(service)
            rows = state.register.search(cvr=cvr, kind=kind, key=key, today=state.today())
        except InputError as exc:
            self._refuse(exc.code, exc.text, echo)
            return
        with state.lock:
            state.stats["searches"] += 1
            state.stats["searches_by_key"][kind] += 1
            state.stats["rows_returned"] += len(rows)
        self._send(200, _service_answer(echo, _rows_xml(rows) + _kvit(OK, "", r="Ok")))

    def _refuse(self, code: int, text: str | None = None, echo=None) -> None:
        state = self.state
        with state.lock:
            refusals = state.stats["refusals"]
            refusals[str(code)] = refusals.get(str(code), 0) + 1
        if echo is None:
            self._send(200, _envelope(_kvit(code, text)))
        else:
            self._send(200, _service_answer(echo, _kvit(code, text)))

    def _signon(self, sik: ET.Element) -> None:
        state = self.state
        if sik.get("function") != "signon":
            self._refuse(MALFORMED)
            return
        userid, password = sik.get("userid") or "", sik.get("password") or ""
        expected = state.register.users.get(userid)
        if expected is None or not secrets.compare_digest(expected.encode(), password.encode()):
            state.count("signon_failures")
            self._send(200, _sik_answer(WRONG_PASSWORD))
            return
        token, expires = state.issue_token()
        cookie = f"Token={token}; Expires={formatdate(expires, usegmt=True)}; Path=/; HttpOnly"
        self._send(200, _sik_answer(SIGNON_OK), headers={"Set-Cookie": cookie})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    verbose = False


# --------------------------------------------------------------------------------------------
# Configuration and start-up

DEFAULTS = {
    "latency_ms": 0.0,
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "token_lifetime": 7200.0,
    "timeout_sleep_ms": 30000.0,
    "today": None,
}


def apply_config(config: dict, changes: dict) -> None:
    """Validate and apply knob changes (JSON from /_sim/config or the command line)."""
    if not isinstance(changes, dict):
        raise TypeError("config must be a JSON object")
    new = dict(config)
    for name, value in changes.items():
        if name not in DEFAULTS:
            raise KeyError(f"unknown knob {name!r}")
        if name == "today":
            new[name] = date.fromisoformat(value).isoformat() if value else None
            continue
        number = float(value)
        if name.endswith("_rate") and not 0 <= number <= 1:
            raise ValueError(f"{name} must be between 0 and 1")
        if number < 0:
            raise ValueError(f"{name} must not be negative")
        new[name] = number
    if new["error_rate"] + new["timeout_rate"] > 1:
        raise ValueError("error_rate + timeout_rate must not exceed 1")
    config.update(new)


def make_server(
    *, host: str, port: int, register: Register, data_path: Path | None, config: dict
) -> Server:
    state = State(register=register, data_path=data_path, config=config)
    handler = type("BoundHandler", (Handler,), {"state": state})
    return Server((host, port), handler)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="python -m simulators.gctp", description=__doc__.split("\n")[0]
    )
    p.add_argument("--host", default=env("GCTP_SIM_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env("GCTP_SIM_PORT", "8101")))
    p.add_argument("--data", default=env("GCTP_SIM_DATA", "var/gctp-sim.json"))
    p.add_argument("--latency-ms", type=float, default=float(env("GCTP_SIM_LATENCY_MS", "0")))
    p.add_argument("--error-rate", type=float, default=float(env("GCTP_SIM_ERROR_RATE", "0")))
    p.add_argument("--timeout-rate", type=float, default=float(env("GCTP_SIM_TIMEOUT_RATE", "0")))
    p.add_argument(
        "--token-lifetime", type=float, default=float(env("GCTP_SIM_TOKEN_LIFETIME", "7200"))
    )
    p.add_argument(
        "--timeout-sleep-ms", type=float, default=float(env("GCTP_SIM_TIMEOUT_SLEEP_MS", "30000"))
    )
    p.add_argument("--today", default=env("GCTP_SIM_TODAY") or None, help="YYYY-MM-DD")
    p.add_argument(
        "--seed", type=int, default=int(env("GCTP_SIM_SEED")) if env("GCTP_SIM_SEED") else None
    )
    p.add_argument("--verbose", action="store_true", help="log every request line (no bodies)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    config = dict(DEFAULTS)
    try:
        apply_config(
            config,
            {
                "latency_ms": args.latency_ms,
                "error_rate": args.error_rate,
                "timeout_rate": args.timeout_rate,
                "token_lifetime": args.token_lifetime,
                "timeout_sleep_ms": args.timeout_sleep_ms,
                "today": args.today,
            },
        )
    except (ValueError, KeyError, TypeError) as exc:
        print(f"gctp-simulator: {exc}", file=sys.stderr)
        return 2
    config["seed"] = args.seed
    data_path = Path(args.data) if args.data else None
    started = time.monotonic()
    if data_path is not None and data_path.exists():
        register = Register.from_file(data_path)
        load_note = f"loaded {data_path} in {time.monotonic() - started:.1f}s: {register.summary()}"
    else:
        register = Register()
        load_note = (
            f"no data file {data_path}: empty register "
            "(build one with: python manage.py gctp_sim_build)"
        )
    server = make_server(
        host=args.host, port=args.port, register=register, data_path=data_path, config=config
    )
    server.verbose = args.verbose
    host, port = server.server_address[:2]
    print(f"gctp-simulator: {load_note}", file=sys.stderr, flush=True)
    print(f"gctp-simulator listening on http://{host}:{port}{GCTP_PATH}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

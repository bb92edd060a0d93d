"""The GCTP wire format of the landlord search: request bodies, answers, Kvit codes.

ISO-8859-1 XML in the ``<root xmlns="http://www.cpr.dk"><Gctp v="2.0">`` envelope (see
docs/interfaces.md, CPR Services). Input is validated before any call, so malformed input
is refused locally (code 16, ``reached_service=False``) and costs nothing; every answer is
validated (well-formed XML, the envelope, a Kvit, 10-digit CPR numbers, YYYYMMDD dates,
UUIDs).
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from django.utils.translation import gettext, gettext_lazy

from .results import GctpRefused, Resident, Transient

ENCODING = "ISO-8859-1"
NAMESPACE = "http://www.cpr.dk"

# Kvit codes (the GCTP simulator, simulators/gctp.py, has the full table).
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

# Elements of an answer are in the envelope's default namespace.
_ROOT, _GCTP, _KVIT, _ROW, _FIELD, _HEADER = (
    f"{{{NAMESPACE}}}{name}"
    for name in ("root", "Gctp", "Kvit", "Row", "Field", "CprServiceHeader")
)


# --- requests ------------------------------------------------------------------------------


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
    return "ADRESSE", [*fields, *_address_fields(address)]


def _address_fields(address: Any) -> list[tuple[str, str]]:
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
    fields = [("KOMKOD", komkod.zfill(4)), ("VEJKOD", vejkod.zfill(4)), ("HUSNR", husnr)]
    if floor or door:  # neither = the whole stairwell
        fields += [("ETAGE", floor), ("SIDEDOER", door)]
    return fields


def search_xml(fields: list[tuple[str, str]]) -> bytes:
    """The request body of a landlord search with these Key fields."""
    key = "".join(f"<Field r={quoteattr(r)} v={quoteattr(v)}/>" for r, v in fields)
    return _envelope(
        '<System r="CprSoeg"><Service r="UDLEJER"><CprServiceHeader r="UDLEJER">'
        f"<Key>{key}</Key></CprServiceHeader></Service></System>"
    )


def signon_xml(userid: str, password: str) -> bytes:
    """The request body of a sign-on."""
    return _envelope(
        f'<Sik function="signon" userid={quoteattr(userid)} password={quoteattr(password)}/>'
    )


def _envelope(inner: str) -> bytes:
    xml = (
        f'<?xml version="1.0" encoding="{ENCODING}"?>'
        f'<root xmlns="{NAMESPACE}"><Gctp v="2.0">{inner}</Gctp></root>'
    )
    return xml.encode(ENCODING, errors="xmlcharrefreplace")


def _refuse_input(message: str) -> GctpRefused:
    return GctpRefused(message, code=KVIT_MALFORMED, reached_service=False, attempts=0)


def _as_uuid(value: Any, label: str) -> str:
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise _refuse_input(gettext("Ugyldigt %s: det skal være et UUID.") % label) from None


# --- answers -------------------------------------------------------------------------------


def parse_answer(data: bytes) -> tuple[ET.Element, int, str]:
    """(root, Kvit code, Kvit text) or Transient when the answer is not a GCTP answer."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat resolves no external entities and caps expansion
    except ET.ParseError:
        raise Transient("ugyldigt XML-svar") from None
    if root.tag != _ROOT or len(root) != 1 or root[0].tag != _GCTP:
        raise Transient("ugyldig GCTP-kuvert")
    kvit = next(root.iter(_KVIT), None)
    code = (kvit.get("v") or "").strip() if kvit is not None else ""
    if kvit is None or not code.isdigit():
        raise Transient("svar uden kvittering")
    return root, int(code), kvit.get("t") or ""


def parse_residents(root: ET.Element) -> list[Resident]:
    residents = []
    for row in root.iter(_ROW):
        f = {e.get("r"): (e.get("v") or "").strip() for e in row.iter(_FIELD)}
        cpr = f.get("PNR", "")
        if not _CPR.match(cpr):
            raise Transient("ugyldigt CPR-nummer i svar")
        protection = f.get("BESKYT", "")
        if protection and not protection.isdigit():
            raise Transient("ugyldig beskyttelsesmarkering i svar")
        protected = bool(protection) and int(protection) != 0
        adr = f.get("DARADR", "")
        try:
            dar_address_id = uuid.UUID(adr) if adr and not protected else None
        except ValueError:
            raise Transient("ugyldigt DAR-id i svar") from None
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


def _parse_date(value: str) -> date | None:
    if not value:
        return None
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise Transient("ugyldig dato i svar") from None


def service_ts(root: ET.Element) -> str:
    """The ts stamp CPR put on the answer's header."""
    header = next(root.iter(_HEADER), None)
    return (header.get("ts") or "") if header is not None else ""


def token_cookie(cookies: list[str]) -> tuple[str, float | None]:
    """The sign-on token and its expiry (epoch, None if not given) from Set-Cookie headers."""
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


def refusal_message(code: int, text: str) -> str:
    """A caseworker's Danish message for a refusing Kvit."""
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

"""Field validation of a Lejekontrakt filing, as the register would answer it.

Pure functions, standard library only. `validate_filing(payload)` returns
`(errors, warnings, cleaned)`: field-level errors (`field`, `code`, Danish `message`),
non-blocking warnings, and a normalised copy of the payload (amounts as strings with two
decimals) that the store keeps. Messages never echo the submitted value, so nothing
personal ends up in logs or error lists.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

HOLDER_TYPES = ("tenant", "member")
HEATING_FORMS = ("district", "gas", "oil", "electric", "heat_pump", "other")
PAYMENT_CHOICES = ("included", "aconto_utility", "aconto_organisation")
UTILITIES = ("electricity", "water", "drainage", "heating")
BOOLEANS = ("tenant_maintains", "private_kitchen", "garage_carport", "accessible", "student_room")

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CPR_RE = re.compile(r"^\d{10}$")

MESSAGES = {
    "required": "Feltet skal udfyldes.",
    "invalid_type": "Feltet har en forkert type.",
    "invalid_cvr": "CVR-nummeret er ugyldigt: det skal være 8 cifre med gyldigt kontrolciffer.",
    "invalid_department": "Afdelingsnummeret er ugyldigt: højst 10 tegn.",
    "invalid_uuid": "BBR-enhedens id skal være et UUID.",
    "invalid_lease_number": "Lejemålsnummeret er ugyldigt: 1-30 tegn.",
    "invalid_date": "Datoen er ugyldig; forventet format ÅÅÅÅ-MM-DD.",
    "future_date": "Fødselsdatoen ligger i fremtiden.",
    "end_before_start": "Slutdatoen ligger før startdatoen.",
    "invalid_amount": "Beløbet skal være et tal med højst to decimaler og må ikke være negativt.",
    "invalid_area": "Arealet skal være større end 0 m² med højst to decimaler.",
    "invalid_rooms": "Antal værelser skal være et helt tal på mindst 1.",
    "invalid_boolean": "Feltet skal være sandt eller falsk.",
    "invalid_cpr": "CPR-nummeret skal bestå af 10 cifre.",
    "no_tenants": "Lejekontrakten skal have mindst én lejer.",
    "name_only": (
        "Lejeren er kun identificeret ved navn. Det giver risiko for forkert match hos "
        "Udbetaling Danmark; angiv fødselsdato (eller CPR-nummer med samtykke)."
    ),
}


def error(field: str | None, code: str, message: str | None = None) -> dict[str, Any]:
    """One field-level error or warning in the register's format."""
    return {"field": field, "code": code, "message": message or MESSAGES[code]}


def choice_error(field: str, choices: tuple[str, ...]) -> dict[str, Any]:
    return error(field, "invalid_choice", f"Ukendt værdi. Tilladte værdier: {', '.join(choices)}.")


def cvr_is_valid(value: str) -> bool:
    """8 digits, first not 0, weighted sum mod 11 = 0."""
    if not (len(value) == 8 and value.isdigit() and value[0] != "0"):
        return False
    return sum(int(d) * w for d, w in zip(value, CVR_WEIGHTS, strict=True)) % 11 == 0


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_decimal(value: Any) -> Decimal | None:
    """A finite decimal with at most two decimals, from a string or an int."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Checker:
    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []

    def add(self, field: str | None, code: str, message: str | None = None) -> None:
        self.errors.append(error(field, code, message))

    def obj(self, data: dict, key: str, field: str) -> dict | None:
        value = data.get(key)
        if value is None:
            self.add(field, "required")
            return None
        if not isinstance(value, dict):
            self.add(field, "invalid_type")
            return None
        return value

    def text(self, data: dict, key: str, field: str, *, max_length: int = 200) -> str | None:
        value = data.get(key)
        if _blank(value):
            self.add(field, "required")
            return None
        if not isinstance(value, str):
            self.add(field, "invalid_type")
            return None
        value = value.strip()
        if len(value) > max_length:
            self.add(field, "invalid_type", f"Feltet må højst være {max_length} tegn.")
            return None
        return value

    def date(self, data: dict, key: str, field: str, *, required: bool = True) -> date | None:
        value = data.get(key)
        if _blank(value):
            if required:
                self.add(field, "required")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.add(field, "invalid_date")
        return parsed

    def amount(self, data: dict, key: str, field: str) -> str | None:
        value = data.get(key)
        if _blank(value):
            self.add(field, "required")
            return None
        number = parse_decimal(value)
        if number is None or number < 0:
            self.add(field, "invalid_amount")
            return None
        return f"{number:.2f}"

    def choice(self, data: dict, key: str, field: str, choices: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if _blank(value):
            self.add(field, "required")
            return None
        if value not in choices:
            self.errors.append(choice_error(field, choices))
            return None
        return value

    def boolean(self, data: dict, key: str, field: str) -> bool | None:
        value = data.get(key)
        if value is None:
            self.add(field, "required")
            return None
        if not isinstance(value, bool):
            self.add(field, "invalid_boolean")
            return None
        return value


def _check_tenant(check: _Checker, tenant: Any, index: int) -> dict | None:
    field = f"lease.tenants[{index}]"
    if not isinstance(tenant, dict):
        check.add(field, "invalid_type")
        return None
    name = check.text(tenant, "name", f"{field}.name")
    birth = check.date(tenant, "birth_date", f"{field}.birth_date", required=False)
    if birth is not None and birth > date.today():  # noqa: DTZ011 - a calendar date, local is right
        check.add(f"{field}.birth_date", "future_date")
    cpr = tenant.get("cpr")
    if _blank(cpr):
        cpr = None
    elif not isinstance(cpr, str) or not CPR_RE.match(cpr):
        check.add(f"{field}.cpr", "invalid_cpr")
        cpr = None
    if name and birth is None and cpr is None and _blank(tenant.get("birth_date")):
        check.warnings.append(error(field, "name_only"))
    return {
        "name": name,
        "birth_date": birth.isoformat() if birth else None,
        "cpr": cpr,
    }


def validate_filing(payload: Any) -> tuple[list[dict], list[dict], dict]:
    """Validate a create/update body; return (errors, warnings, cleaned payload)."""
    check = _Checker()
    if not isinstance(payload, dict):
        check.add(None, "invalid_type", "Indholdet skal være et JSON-objekt.")
        return check.errors, check.warnings, {}

    cleaned: dict[str, Any] = {}
    cvr = payload.get("organisation_cvr")
    if _blank(cvr):
        check.add("organisation_cvr", "required")
    elif not isinstance(cvr, str) or not cvr_is_valid(cvr.strip()):
        check.add("organisation_cvr", "invalid_cvr")
    else:
        cleaned["organisation_cvr"] = cvr.strip()

    department = payload.get("department_number")
    if _blank(department):
        check.add("department_number", "required")
    elif not isinstance(department, str) or len(department.strip()) > 10:
        check.add("department_number", "invalid_department")
    else:
        cleaned["department_number"] = department.strip()

    dwelling = check.obj(payload, "dwelling", "dwelling")
    if dwelling is not None:
        clean_dwelling: dict[str, Any] = {}
        bbr = dwelling.get("bbr_unit_id")
        if _blank(bbr):
            check.add("dwelling.bbr_unit_id", "required")
        else:
            try:
                clean_dwelling["bbr_unit_id"] = str(uuid.UUID(str(bbr)))
            except ValueError:
                check.add("dwelling.bbr_unit_id", "invalid_uuid")
        clean_dwelling["address"] = check.text(dwelling, "address", "dwelling.address")
        area = dwelling.get("area_m2")
        area_number = None if _blank(area) else parse_decimal(area)
        if _blank(area):
            check.add("dwelling.area_m2", "required")
        elif area_number is None or area_number <= 0:
            check.add("dwelling.area_m2", "invalid_area")
        else:
            clean_dwelling["area_m2"] = f"{area_number:.2f}"
        rooms = dwelling.get("rooms")
        if rooms is None:
            check.add("dwelling.rooms", "required")
        elif isinstance(rooms, bool) or not isinstance(rooms, int) or rooms < 1:
            check.add("dwelling.rooms", "invalid_rooms")
        else:
            clean_dwelling["rooms"] = rooms
        cleaned["dwelling"] = clean_dwelling

    lease = check.obj(payload, "lease", "lease")
    if lease is not None:
        clean_lease: dict[str, Any] = {}
        number = lease.get("lease_number")
        if _blank(number):
            check.add("lease.lease_number", "required")
        elif not isinstance(number, str) or len(number.strip()) > 30 or "/" in number:
            check.add("lease.lease_number", "invalid_lease_number")
        else:
            clean_lease["lease_number"] = number.strip()
        clean_lease["holder_type"] = check.choice(
            lease, "holder_type", "lease.holder_type", HOLDER_TYPES
        )
        tenants = lease.get("tenants")
        if not tenants:
            check.add("lease.tenants", "no_tenants")
        elif not isinstance(tenants, list):
            check.add("lease.tenants", "invalid_type")
        else:
            clean_lease["tenants"] = [_check_tenant(check, t, i) for i, t in enumerate(tenants)]
        start = check.date(lease, "start_date", "lease.start_date")
        end = check.date(lease, "end_date", "lease.end_date", required=False)
        if start and end and end < start:
            check.add("lease.end_date", "end_before_start")
        clean_lease["start_date"] = start.isoformat() if start else None
        clean_lease["end_date"] = end.isoformat() if end else None
        clean_lease["rent"] = check.amount(lease, "rent", "lease.rent")
        clean_lease["special_payments"] = check.amount(
            lease, "special_payments", "lease.special_payments"
        )
        clean_lease["heating_form"] = check.choice(
            lease, "heating_form", "lease.heating_form", HEATING_FORMS
        )
        for key in UTILITIES:
            clean_lease[key] = check.choice(lease, key, f"lease.{key}", PAYMENT_CHOICES)
        for key in BOOLEANS:
            clean_lease[key] = check.boolean(lease, key, f"lease.{key}")
        cleaned["lease"] = clean_lease

    effective = check.date(payload, "effective_date", "effective_date")
    cleaned["effective_date"] = effective.isoformat() if effective else None
    return check.errors, check.warnings, cleaned


def validate_delete(payload: Any) -> tuple[list[dict], dict]:
    """A delete body is optional; when given, only `effective_date` is read."""
    check = _Checker()
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        check.add(None, "invalid_type", "Indholdet skal være et JSON-objekt.")
        return check.errors, {}
    effective = check.date(payload, "effective_date", "effective_date", required=False)
    return check.errors, {"effective_date": effective.isoformat() if effective else None}

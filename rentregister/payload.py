"""The filing payload: what the rent register holds per lease (docs/interfaces.md, rent
register), built from our data, and checked locally with the register's own rules before
anything is sent.

The rules mirror the register's published field rules (the simulator in this repository
answers with the same codes); the product never imports simulator code, so the rules are
kept here on our side of the wire. Messages are Danish and never echo the value.
"""

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import DecimalField
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from tenancy.models import Lease, Person
from tenancy.terms import FILED_TERMS

HOLDER_TYPES = ("tenant", "member")
HEATING_FORMS = ("district", "gas", "oil", "electric", "heat_pump", "other")
PAYMENT_CHOICES = ("included", "aconto_utility", "aconto_organisation")
UTILITIES = ("electricity", "water", "drainage", "heating")
BOOLEANS = ("tenant_maintains", "private_kitchen", "garage_carport", "accessible", "student_room")
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CPR_RE = re.compile(r"^\d{10}$")

# Danish labels for the register's field paths, for messages shown to caseworkers.
FIELD_LABELS = {
    "organisation_cvr": _l("CVR-nummer"),
    "department_number": _l("Afdelingsnummer"),
    "dwelling": _l("Bolig"),
    "dwelling.bbr_unit_id": _l("BBR-enheds-id"),
    "dwelling.address": _l("Adresse"),
    "dwelling.area_m2": _l("Areal (m²)"),
    "dwelling.rooms": _l("Antal værelser"),
    "lease": _l("Lejekontrakt"),
    "lease.lease_number": _l("Lejemålsnummer"),
    "lease.holder_type": _l("Lejer eller andelshaver"),
    "lease.tenants": _l("Lejere"),
    "lease.start_date": _l("Startdato"),
    "lease.end_date": _l("Slutdato"),
    "lease.rent": _l("Husleje"),
    "lease.special_payments": _l("Særlige ydelser"),
    "lease.heating_form": _l("Opvarmningsform"),
    "lease.electricity": _l("El"),
    "lease.water": _l("Vand"),
    "lease.drainage": _l("Vandafledning"),
    "lease.heating": _l("Varme"),
    "lease.tenant_maintains": _l("Lejers vedligeholdelsespligt"),
    "lease.private_kitchen": _l("Eget køkken"),
    "lease.garage_carport": _l("Garage/carport"),
    "lease.accessible": _l("Egnet for bevægelseshæmmede"),
    "lease.student_room": _l("Ungdoms-/kollegieværelse"),
    "effective_date": _l("Gælder fra"),
}

TENANT_RE = re.compile(r"^lease\.tenants\[(\d+)\](?:\.(\w+))?$")
TENANT_PARTS = {"name": _l("navn"), "birth_date": _l("fødselsdato"), "cpr": _l("CPR-nummer")}


def _messages() -> dict[str, str]:
    return {
        "required": _("Feltet skal udfyldes."),
        "invalid_type": _("Feltet har en forkert type."),
        "invalid_cvr": _(
            "CVR-nummeret er ugyldigt: det skal være 8 cifre med gyldigt kontrolciffer."
        ),
        "invalid_department": _("Afdelingsnummeret er ugyldigt: højst 10 tegn."),
        "invalid_uuid": _("BBR-enhedens id skal være et UUID."),
        "invalid_lease_number": _("Lejemålsnummeret er ugyldigt: 1-30 tegn uden skråstreg."),
        "invalid_date": _("Datoen er ugyldig; forventet format ÅÅÅÅ-MM-DD."),
        "future_date": _("Fødselsdatoen ligger i fremtiden."),
        "end_before_start": _("Slutdatoen ligger før startdatoen."),
        "invalid_amount": _(
            "Beløbet skal være et tal med højst to decimaler og må ikke være negativt."
        ),
        "invalid_area": _("Arealet skal være større end 0 m² med højst to decimaler."),
        "invalid_rooms": _("Antal værelser skal være et helt tal på mindst 1."),
        "invalid_boolean": _("Feltet skal være sandt eller falsk."),
        "invalid_cpr": _("CPR-nummeret skal bestå af 10 cifre."),
        "invalid_choice": _("Ukendt værdi."),
        "no_tenants": _("Lejekontrakten skal have mindst én lejer."),
        "name_only": _(
            "Lejeren er kun identificeret ved navn. Det giver risiko for forkert match hos "
            "Udbetaling Danmark; angiv fødselsdato (eller CPR-nummer med samtykke)."
        ),
    }


def field_label(field: str | None) -> str:
    """'dwelling.bbr_unit_id' -> 'BBR-enheds-id'; 'lease.tenants[1].name' -> 'Lejer 2: navn'."""
    if not field:
        return _("Indberetningen")
    match = TENANT_RE.match(field)
    if match:
        label = _("Lejer %d") % (int(match.group(1)) + 1)
        part = match.group(2)
        return f"{label}: {TENANT_PARTS.get(part, part)}" if part else label
    return str(FIELD_LABELS.get(field, field))


def message_da(error: dict) -> str:
    """A register error or warning as one Danish line naming the field. The register's own
    message is used when it has one (it answers in Danish); our text when it has none."""
    text = error.get("message") or _messages().get(error.get("code", ""), "")
    if not text:
        text = _("Registret afviste feltet (kode %s).") % error.get("code", "?")
    return f"{field_label(error.get('field'))}: {text}"


# --- building ---------------------------------------------------------------------------


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _filed_term(lease: Lease, name: str):
    """A lease term as the register takes it: amounts as "1234.50", the rest as stored."""
    value = getattr(lease, name)
    return _money(value) if isinstance(Lease._meta.get_field(name), DecimalField) else value


def tenant_identity(person: Person) -> dict:
    """How a tenant is identified in the stored payload: name (a protected person's name
    never leaves the organisation) and birth date. The CPR number is never stored in the
    payload (CPR only encrypted at rest): `with_cpr` adds it at send time when consent is
    recorded."""
    return {
        "name": person.name,  # the register is an authority: the real name (domain.md)
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "cpr": None,
    }


def build_payload(
    *,
    lease: Lease,
    effective_date: date,
    consented_person_ids: set[int],
    filed_rent: Decimal | None = None,
) -> tuple[dict, list[int | None]]:
    """The full state of a lease as the register holds it, and per tenant the person id
    whose CPR number goes with it (None without consent). `filed_rent` replaces the rent
    during a temporary rehousing (lower temporary rent, or 0 kr paid by an insurer)."""
    unit = lease.unit
    entrance = unit.entrance
    department = entrance.building.property.department
    parties = sorted(lease.parties.all(), key=lambda p: p.pk)
    cpr_refs = [p.pk if p.pk in consented_person_ids and p.cpr_encrypted else None for p in parties]
    tenants = [tenant_identity(p) for p in parties]
    terms = {name: _filed_term(lease, name) for name in FILED_TERMS}  # (tenancy.terms)
    # Rent by period: the amounts in force on the date this filing takes effect (a rent
    # change from a date, a correction of a past period), not necessarily today's.
    period = lease.period_at(effective_date)
    rent = lease.rent if period is None else period.rent
    if period is not None:
        terms["special_payments"] = _money(period.special_payments)
    payload = {
        "organisation_cvr": lease.organisation.cvr,
        "department_number": department.number if department else "",
        "dwelling": {
            "bbr_unit_id": str(unit.bbr_unit_id) if unit.bbr_unit_id else None,
            "address": unit.address,
            "area_m2": _money(unit.area_m2),
            "rooms": unit.rooms,
        },
        "lease": {
            "lease_number": lease.number,
            "holder_type": terms.pop("holder_type"),
            "tenants": tenants,
            "start_date": lease.start_date.isoformat(),
            "end_date": lease.end_date.isoformat() if lease.end_date else None,
            "rent": _money(rent if filed_rent is None else filed_rent),
            **terms,
        },
        "effective_date": effective_date.isoformat(),
    }
    return payload, cpr_refs


def with_cpr(payload: dict, cpr_by_index: dict[int, str]) -> dict:
    """A copy of the payload with the CPR numbers (10 digits) of consenting tenants."""
    if not cpr_by_index:
        return payload
    out = {**payload, "lease": {**payload["lease"]}}
    tenants = [dict(t) for t in payload["lease"]["tenants"]]
    for index, cpr in cpr_by_index.items():
        if 0 <= index < len(tenants):
            tenants[index]["cpr"] = cpr
    out["lease"]["tenants"] = tenants
    return out


# --- local validation (the register's rules) --------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return number


def _cvr_ok(value: str) -> bool:
    if not (len(value) == 8 and value.isdigit() and value[0] != "0"):
        return False
    return sum(int(d) * w for d, w in zip(value, CVR_WEIGHTS, strict=True)) % 11 == 0


class _Findings:
    """Errors and warnings collected while a payload is checked, in the register's format."""

    def __init__(self) -> None:
        self.msgs = _messages()
        self.errors: list[dict] = []
        self.warnings: list[dict] = []

    def add(self, field: str, code: str, target: list[dict] | None = None) -> None:
        (self.errors if target is None else target).append(
            {"field": field, "code": code, "message": self.msgs[code]}
        )

    def required_text(self, data: dict, key: str, field: str, max_length: int = 200) -> None:
        value = data.get(key)
        if _blank(value):
            self.add(field, "required")
        elif not isinstance(value, str) or len(value.strip()) > max_length:
            self.add(field, "invalid_type")

    def required_date(self, value: Any, field: str) -> date | None:
        if _blank(value):
            self.add(field, "required")
            return None
        parsed = _date(value)
        if parsed is None:
            self.add(field, "invalid_date")
        return parsed


def validate_payload(payload: dict) -> tuple[list[dict], list[dict]]:
    """(errors, warnings) in the register's format ({field, code, message}), Danish."""
    found = _Findings()
    _check_landlord(payload, found)
    dwelling = payload.get("dwelling")
    if not isinstance(dwelling, dict):
        found.add("dwelling", "required" if dwelling is None else "invalid_type")
    else:
        _check_dwelling(dwelling, found)
    lease = payload.get("lease")
    if not isinstance(lease, dict):
        found.add("lease", "required" if lease is None else "invalid_type")
    else:
        _check_lease(lease, found)
    found.required_date(payload.get("effective_date"), "effective_date")
    return found.errors, found.warnings


def _check_landlord(payload: dict, found: _Findings) -> None:
    cvr = payload.get("organisation_cvr")
    if _blank(cvr):
        found.add("organisation_cvr", "required")
    elif not isinstance(cvr, str) or not _cvr_ok(cvr.strip()):
        found.add("organisation_cvr", "invalid_cvr")
    department = payload.get("department_number")
    if _blank(department):
        found.add("department_number", "required")
    elif not isinstance(department, str) or len(department.strip()) > 10:
        found.add("department_number", "invalid_department")


def _check_dwelling(dwelling: dict, found: _Findings) -> None:
    bbr = dwelling.get("bbr_unit_id")
    if _blank(bbr):
        found.add("dwelling.bbr_unit_id", "required")
    else:
        try:
            uuid.UUID(str(bbr))
        except ValueError:
            found.add("dwelling.bbr_unit_id", "invalid_uuid")
    found.required_text(dwelling, "address", "dwelling.address")
    area = _decimal(dwelling.get("area_m2"))
    if _blank(dwelling.get("area_m2")):
        found.add("dwelling.area_m2", "required")
    elif area is None or area <= 0:
        found.add("dwelling.area_m2", "invalid_area")
    rooms = dwelling.get("rooms")
    if rooms is None:
        found.add("dwelling.rooms", "required")
    elif isinstance(rooms, bool) or not isinstance(rooms, int) or rooms < 1:
        found.add("dwelling.rooms", "invalid_rooms")


def _check_lease(lease: dict, found: _Findings) -> None:
    number = lease.get("lease_number")
    if _blank(number):
        found.add("lease.lease_number", "required")
    elif not isinstance(number, str) or len(number.strip()) > 30 or "/" in number:
        found.add("lease.lease_number", "invalid_lease_number")
    _choice(lease, "holder_type", HOLDER_TYPES, found.add)
    _check_tenants(lease.get("tenants"), found)
    _check_lease_dates(lease, found)
    _check_lease_terms(lease, found)


def _check_tenants(tenants: Any, found: _Findings) -> None:
    if not tenants:
        found.add("lease.tenants", "no_tenants")
    elif not isinstance(tenants, list):
        found.add("lease.tenants", "invalid_type")
    else:
        for index, tenant in enumerate(tenants):
            _check_tenant(tenant, index, found.add, found.warnings)


def _check_lease_dates(lease: dict, found: _Findings) -> None:
    start = found.required_date(lease.get("start_date"), "lease.start_date")
    end = None
    if not _blank(lease.get("end_date")):
        end = _date(lease.get("end_date"))
        if end is None:
            found.add("lease.end_date", "invalid_date")
    if start and end and end < start:
        found.add("lease.end_date", "end_before_start")


def _check_lease_terms(lease: dict, found: _Findings) -> None:
    for key in ("rent", "special_payments"):
        value = lease.get(key)
        amount = _decimal(value)
        if _blank(value):
            found.add(f"lease.{key}", "required")
        elif amount is None or amount < 0:
            found.add(f"lease.{key}", "invalid_amount")
    _choice(lease, "heating_form", HEATING_FORMS, found.add)
    for key in UTILITIES:
        _choice(lease, key, PAYMENT_CHOICES, found.add)
    for key in BOOLEANS:
        value = lease.get(key)
        if value is None:
            found.add(f"lease.{key}", "required")
        elif not isinstance(value, bool):
            found.add(f"lease.{key}", "invalid_boolean")


def _choice(data: dict, key: str, choices: tuple[str, ...], add) -> None:
    value = data.get(key)
    if _blank(value):
        add(f"lease.{key}", "required")
    elif value not in choices:
        add(f"lease.{key}", "invalid_choice")


def _check_tenant(tenant: Any, index: int, add, warnings: list[dict]) -> None:
    field = f"lease.tenants[{index}]"
    if not isinstance(tenant, dict):
        add(field, "invalid_type")
        return
    name = tenant.get("name")
    if _blank(name):
        add(f"{field}.name", "required")
    elif not isinstance(name, str) or len(name.strip()) > 200:
        add(f"{field}.name", "invalid_type")
    birth = None
    if not _blank(tenant.get("birth_date")):
        birth = _date(tenant.get("birth_date"))
        if birth is None:
            add(f"{field}.birth_date", "invalid_date")
        elif birth > timezone.localdate():
            add(f"{field}.birth_date", "future_date")
    cpr = tenant.get("cpr")
    if not _blank(cpr) and (not isinstance(cpr, str) or not CPR_RE.match(cpr)):
        add(f"{field}.cpr", "invalid_cpr")
    if not _blank(name) and _blank(tenant.get("birth_date")) and _blank(cpr):
        add(field, "name_only", warnings)

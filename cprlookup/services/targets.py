"""What a lookup is about: the unit or stairwell, checked before the paid call.

Every rule that can be checked without CPR is checked here: the target's format and that the
organisation owns the address (a landlord may only look up its own dwellings; docs/domain.md,
CPR lookups).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.models import Entrance, Organisation, Unit, normalise_search
from tenancy.validators import (
    validate_door,
    validate_floor,
    validate_four_digits,
    validate_house_number,
)

from ..models import LookupTarget


@dataclass
class Target:
    """A resolved, owned lookup target and how to ask CPR about it."""

    kind: str
    label: str
    entrance: Entrance
    unit: Unit | None = None
    dar_id: uuid.UUID | None = None
    search: dict = field(default_factory=dict)
    cvr: str = ""  # the owner's CVR when already known (scans read it with the items)

    @property
    def units(self) -> list[Unit]:
        """The units the answer covers (one dwelling or the whole stairwell)."""
        if self.unit is not None:
            return [self.unit]
        return list(self.entrance.units.all())

    @property
    def owner_cvr(self) -> str:
        # CPR is asked with the property owner's CVR, not whoever is asking.
        return self.cvr or self.entrance.building.property.organisation.cvr


def resolve_target(
    *,
    organisation: Organisation,
    unit_id=None,
    entrance_id=None,
    dar_address_id=None,
    dar_house_id=None,
    address: str | None = None,
) -> Target:
    """Find the unit or entrance to look up, refusing (DomainError) malformed input and
    anything outside the organisation's own properties."""
    _require_one_key(
        unit_id=unit_id,
        entrance_id=entrance_id,
        dar_address_id=dar_address_id,
        dar_house_id=dar_house_id,
        address=address,
    )
    kind, unit, entrance, dar_id = _find_owned(
        organisation,
        unit_id=unit_id,
        entrance_id=entrance_id,
        dar_address_id=dar_address_id,
        dar_house_id=dar_house_id,
        address=address,
    )
    if unit is not None:
        entrance = unit.entrance
    if entrance is None:
        raise _not_owned()
    # The denormalised organisation must agree with the property's owner.
    if entrance.building.property.organisation_id != organisation.pk:
        raise _not_owned()
    label = unit.address if unit is not None else entrance.address
    search: dict[str, Any]
    if kind == LookupTarget.DAR_ADDRESS:
        search = {"dar_address_id": dar_id}
    elif kind == LookupTarget.DAR_HOUSE:
        search = {"dar_house_id": dar_id}
    else:
        search = {"address": _address_parts(entrance, unit)}
    return Target(
        kind=kind, label=label, entrance=entrance, unit=unit, dar_id=dar_id, search=search
    )


def scan_target(entrance: Entrance, cvr: str = "") -> Target:
    """A scan's search: the whole stairwell by its DAR house id."""
    return Target(
        kind=LookupTarget.DAR_HOUSE,
        label=entrance.address,
        entrance=entrance,
        dar_id=entrance.dar_id,
        search={"dar_house_id": entrance.dar_id},
        cvr=cvr,
    )


def _require_one_key(**keys) -> None:
    if len([v for v in keys.values() if v not in (None, "")]) != 1:
        raise DomainError(
            _(
                "Angiv præcis én ting at slå op på: en enhed, en opgang, et DAR adresse-id, "
                "et DAR husnummer-id eller en adresse."
            )
        )


def _find_owned(
    organisation: Organisation, *, unit_id, entrance_id, dar_address_id, dar_house_id, address
) -> tuple[str, Unit | None, Entrance | None, uuid.UUID | None]:
    """(target kind, unit, entrance, DAR id) by the one key given, among the organisation's
    units and entrances; unit and entrance are None when it has no such address."""
    units = Unit.objects.filter(organisation=organisation).select_related(
        "entrance__building__property__organisation"
    )
    entrances = Entrance.objects.filter(organisation=organisation).select_related(
        "building__property__organisation"
    )
    if unit_id not in (None, ""):
        unit = units.filter(pk=_parse_pk(unit_id, "unit_id")).first()
        return LookupTarget.UNIT, unit, None, None
    if entrance_id not in (None, ""):
        entrance = entrances.filter(pk=_parse_pk(entrance_id, "entrance_id")).first()
        return LookupTarget.ENTRANCE, None, entrance, None
    if dar_address_id not in (None, ""):
        dar_id = _parse_uuid(dar_address_id, "dar_address_id")
        return LookupTarget.DAR_ADDRESS, units.filter(dar_id=dar_id).first(), None, dar_id
    if dar_house_id not in (None, ""):
        dar_id = _parse_uuid(dar_house_id, "dar_house_id")
        return LookupTarget.DAR_HOUSE, None, entrances.filter(dar_id=dar_id).first(), dar_id
    text = normalise_search(address)
    if len(text) > 200 or not any(ch.isdigit() for ch in text):
        raise DomainError(
            {"address": [_("Skriv vejnavn og husnummer, evt. etage og dør: Vejen 12, 2. tv.")]}
        )
    unit = units.filter(search_text=text).first()
    if unit is not None:
        return LookupTarget.UNIT, unit, None, None
    entrance = entrances.filter(search_text=text).first()
    if entrance is None:
        raise _unknown_address(address, text, entrances)
    return LookupTarget.ENTRANCE, None, entrance, None


def _unknown_address(typed: str, text: str, entrances) -> DomainError:
    """A typed address that matches none of the organisation's: most often a typing error,
    so say so and suggest stairwells on streets that start like the one typed (no paid
    call is made)."""
    street = text.split(" ")[0]
    suggestions = list(
        entrances.filter(search_text__startswith=street[:4])
        .order_by("search_text")
        .values_list("street_name", "house_number")[:3]
    )
    message = (
        _(
            "Vi fandt ikke adressen “%s” i organisationens ejendomme. Tjek stavning, husnummer, "
            "etage og dør (fx Vejen 12, 2. tv)."
        )
        % typed.strip()[:100]
    )
    if suggestions:
        message += " " + _("Mente du: %s?") % ", ".join(f"{s} {n}" for s, n in suggestions)
    return DomainError({"address": [message]})


def _parse_uuid(value, field_name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        raise DomainError(
            {
                field_name: [
                    _(
                        "Ugyldigt DAR-id. Et DAR-id er et UUID som "
                        "0a3f50a0-73bf-32b8-e044-0003ba298018."
                    )
                ]
            }
        ) from None


def _parse_pk(value, field_name: str) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise DomainError({field_name: [_("Ugyldigt id.")]}) from None
    if pk <= 0:
        raise DomainError({field_name: [_("Ugyldigt id.")]})
    return pk


def _address_parts(entrance: Entrance, unit: Unit | None) -> dict:
    """Address parts for GCTP, validated like any user input before the paid call."""
    parts = {
        "municipality_code": entrance.municipality_code,
        "road_code": entrance.road_code,
        "house_number": entrance.house_number,
        "floor": unit.floor if unit else "",
        "door": unit.door if unit else "",
    }
    try:
        validate_four_digits(parts["municipality_code"])
        validate_four_digits(parts["road_code"])
        validate_house_number(parts["house_number"])
        validate_floor(parts["floor"])
        validate_door(parts["door"])
    except DomainError:
        raise
    except Exception as exc:  # a Django ValidationError from a validator
        raise DomainError(
            _("Adressen er ufuldstændig eller ugyldig i registeret og kan ikke slås op: %s")
            % "; ".join(getattr(exc, "messages", [str(exc)]))
        ) from exc
    return parts


def _not_owned() -> DomainError:
    return DomainError(
        _(
            "Adressen ligger ikke i en af organisationens ejendomme. Der kan kun slås op på "
            "boliger, organisationen selv ejer."
        )
    )

"""The portfolio: properties, BBR buildings, entrances and units, with the BBR letting
code (field 322) and its H reference."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import hooks
from ..history import record_change, snapshot
from ..models import Building, Entrance, Organisation, Property, Unit
from .common import full_clean


def property_create(*, organisation: Organisation, actor=None, **fields) -> Property:
    """Create a property owned by the organisation (the owner CVR used for CPR lookups)."""
    department = fields.get("department")
    if department is not None and department.organisation_id != organisation.pk:
        raise DomainError({"department": [_("Afdelingen skal høre til ejendommens organisation.")]})
    prop = Property(organisation=organisation, **fields)
    full_clean(prop)
    with transaction.atomic():
        prop.save()
        record_change(
            instance=prop, action="create", actor=actor, before=None, after=snapshot(prop)
        )
    return prop


PROPERTY_EDITABLE = {"name", "department", "bfe_number", "municipality_code"}


def property_update(*, property: Property, actor=None, **fields) -> Property:
    """Change a property's name, department, BFE number or municipality. The owner is not
    changed here: a sale moves data to another organisation, which is a GDPR disclosure."""
    unknown = set(fields) - PROPERTY_EDITABLE
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    department = fields.get("department")
    if department is not None and department.organisation_id != property.organisation_id:
        raise DomainError({"department": [_("Afdelingen skal høre til ejendommens organisation.")]})
    before = snapshot(property)
    for key, value in fields.items():
        setattr(property, key, value)
    full_clean(property)
    with transaction.atomic():
        property.save()
        record_change(
            instance=property,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(property),
        )
    return property


def property_delete(*, property: Property, actor=None) -> None:
    """Delete an empty property (buildings protect it: ProtectedError otherwise)."""
    with transaction.atomic():
        record_change(
            instance=property,
            action="delete",
            actor=actor,
            before=snapshot(property),
            after=None,
        )
        property.delete()


ENTRANCE_EDITABLE = {
    "street_name",
    "house_number",
    "postcode",
    "city",
    "municipality_code",
    "road_code",
}


def entrance_update(*, entrance: Entrance, actor=None, **fields) -> Entrance:
    """Correct an entrance's DAR address parts; the search keys of the entrance and its
    units are rebuilt in the same transaction."""
    unknown = set(fields) - ENTRANCE_EDITABLE
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    before = snapshot(entrance)
    for key, value in fields.items():
        setattr(entrance, key, value)
    entrance.search_text = entrance.build_search_text()
    full_clean(entrance)
    with transaction.atomic():
        entrance.save()
        units = list(entrance.units.all())
        for unit in units:
            unit.entrance = entrance
            unit.search_text = unit.build_search_text()
        Unit.objects.bulk_update(units, ["search_text"], batch_size=500)
        record_change(
            instance=entrance,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(entrance),
        )
    return entrance


BUILDING_EDITABLE = {"number", "letting_code", "letting_reference"}


def building_update(*, building: Building, actor=None, **fields) -> Building:
    """Change a building's number or BBR letting code (field 322, H rule enforced)."""
    unknown = set(fields) - BUILDING_EDITABLE
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    before = snapshot(building)
    ref = fields.pop("letting_reference", _NO_REF)
    for key, value in fields.items():
        setattr(building, key, value)
    _set_letting_reference(building, ref)
    full_clean(building)
    with transaction.atomic():
        building.save()
        record_change(
            instance=building,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(building),
        )
    return building


def entrance_create(*, building: Building, actor=None, **fields) -> Entrance:
    entrance = Entrance(building=building, organisation_id=building.organisation_id, **fields)
    entrance.search_text = entrance.build_search_text()
    full_clean(entrance)
    with transaction.atomic():
        entrance.save()
        record_change(
            instance=entrance, action="create", actor=actor, before=None, after=snapshot(entrance)
        )
    return entrance


def building_create(*, property: Property, actor=None, **fields) -> Building:
    ref = fields.pop("letting_reference", None)
    building = Building(property=property, organisation_id=property.organisation_id, **fields)
    _set_letting_reference(building, ref)
    full_clean(building)
    with transaction.atomic():
        building.save()
        record_change(
            instance=building, action="create", actor=actor, before=None, after=snapshot(building)
        )
    return building


_NO_REF = object()


def _set_letting_reference(obj: Building | Unit, ref=_NO_REF) -> None:
    """BBR field 322: H needs a reference of the same kind (building->building or
    unit->unit, never across), in the same organisation, and only H has one. Checked
    before assignment so a wrong kind gets a message, not a crash."""
    kind = _("bygning") if isinstance(obj, Building) else _("enhed")
    if ref is not _NO_REF:
        if ref is not None and not isinstance(ref, type(obj)):
            raise DomainError(
                {
                    "letting_reference": [
                        _(
                            "En H-henvisning må kun gå fra bygning til bygning eller fra enhed til "
                            "enhed, aldrig mellem bygning og enhed."
                        )
                    ]
                }
            )
        obj.letting_reference = ref
    ref = obj.letting_reference
    if obj.letting_code == "H":
        if ref is None:
            raise DomainError(
                {
                    "letting_reference": [
                        _(
                            "Udlejningsforhold H kræver en henvisning til den %s, hvor huslejen er "
                            "registreret."
                        )
                        % kind
                    ]
                }
            )
        if obj.pk and ref.pk == obj.pk:
            raise DomainError(
                {"letting_reference": [_("En H-henvisning kan ikke pege på sig selv.")]}
            )
        if ref.organisation_id != obj.organisation_id:
            raise DomainError(
                {
                    "letting_reference": [
                        _("H-henvisningen skal pege på en %s i samme organisation.") % kind
                    ]
                }
            )
    elif ref is not None:
        raise DomainError(
            {"letting_reference": [_("Kun udlejningsforhold H må have en henvisning.")]}
        )


def unit_create(*, entrance: Entrance, actor=None, **fields) -> Unit:
    ref = fields.pop("letting_reference", None)
    unit = Unit(entrance=entrance, organisation_id=entrance.organisation_id, **fields)
    _set_letting_reference(unit, ref)
    unit.search_text = unit.build_search_text()
    full_clean(unit)
    with transaction.atomic():
        unit.save()
        record_change(
            instance=unit, action="create", actor=actor, before=None, after=snapshot(unit)
        )
    return unit


UNIT_EDITABLE = {
    "floor",
    "door",
    "bbr_unit_id",
    "use_code",
    "area_m2",
    "rooms",
    "letting_code",
    "letting_reference",
}


def unit_update(
    *, unit: Unit, actor=None, correction: bool = False, reason: str = "", **fields
) -> Unit:
    """Change BBR data or the letting code of a unit. `correction` (with a `reason`): the
    change corrects wrong data rather than recording a new fact (what the rent register
    tells UDK differs)."""
    unknown = set(fields) - UNIT_EDITABLE
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    before = snapshot(unit)
    ref = fields.pop("letting_reference", _NO_REF)
    for key, value in fields.items():
        setattr(unit, key, value)
    _set_letting_reference(unit, ref)
    unit.search_text = unit.build_search_text()
    full_clean(unit)
    with transaction.atomic():
        unit.save()
        record = record_change(
            instance=unit,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(unit),
            correction=correction,
            reason=(reason or "").strip(),
        )
        hooks.unit_changed.call(
            hooks.UnitChange(record=record, unit=unit, correction=correction, reason=reason)
        )
    return unit

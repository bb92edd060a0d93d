"""Business operations that write tenancy data. Views, API, admin, commands and tasks all
call these; none re-implements a rule. Each validates, writes atomically, records history."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.cpr import cpr_birth_date, normalise_cpr, validate_cpr
from core.errors import DomainError

from . import hooks
from .choices import LeaseStatus
from .errors import TenantChangeError
from .history import record_change, snapshot
from .models import Building, Entrance, Lease, Organisation, Person, Property, Unit
from .selectors import can_reveal_cpr

FAR_FUTURE = date(9999, 12, 31)
# The reveal log's purpose column (gdpr.CprReveal.purpose) holds this many characters.
REVEAL_PURPOSE_MAX_LENGTH = 300


def _full_clean(obj, **kwargs) -> None:
    """Model validation as a domain error, so every caller handles one error type."""
    try:
        obj.full_clean(**kwargs)
    except DomainError:
        raise
    except ValidationError as exc:
        raise DomainError(exc.error_dict if hasattr(exc, "error_dict") else exc.messages) from exc


# --- people -----------------------------------------------------------------------------


def person_create(
    *,
    organisation: Organisation,
    name: str,
    cpr: str = "",
    birth_date: date | None = None,
    email: str = "",
    phone: str = "",
    protected: bool = False,
    actor=None,
) -> Person:
    """Create a person; a CPR number is validated, encrypted and gives the birth date."""
    person = Person(
        organisation=organisation,
        name=name.strip(),
        email=email,
        phone=phone,
        protected=protected,
        birth_date=birth_date,
    )
    _apply_cpr(person, cpr)
    _full_clean(person)
    with transaction.atomic():
        person.save()
        record_change(
            instance=person, action="create", actor=actor, before=None, after=snapshot(person)
        )
    return person


def person_cpr_reveal(*, user, person: Person, purpose: str) -> str:
    """Return the person's full CPR number ("DDMMYY-SSSS") and log the reveal. Only a CPR
    officer of the person's organisation may do this (most staff never see the last four
    digits; each reveal is logged with its purpose, docs/domain.md "Personal data").

    Raises PermissionDenied for anyone else, DomainError when the purpose is missing or
    the person has no CPR number stored (nothing is logged then), and DomainError when no
    app logs reveals (tenancy.hooks.cpr_reveal_loggers is empty). The reveal is logged
    before the number is returned, in one transaction, so no number is shown unlogged.
    """
    if not getattr(user, "is_authenticated", False) or not can_reveal_cpr(
        user=user, organisation_id=person.organisation_id
    ):
        raise PermissionDenied(_("Kun CPR-ansvarlige i personens organisation kan se CPR-numre."))
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError({"purpose": [_("Skriv formålet med at se CPR-nummeret.")]})
    if len(purpose) > REVEAL_PURPOSE_MAX_LENGTH:
        raise DomainError(
            {"purpose": [_("Formålet må højst være %d tegn.") % REVEAL_PURPOSE_MAX_LENGTH]}
        )
    if not person.cpr_encrypted:
        raise DomainError(_("Der er ikke registreret et CPR-nummer for personen."))
    if not len(hooks.cpr_reveal_loggers):
        raise DomainError(_("Visning af CPR-numre er ikke tilgængelig: ingen logning."))
    with transaction.atomic():
        hooks.cpr_reveal_loggers.call(user=user, person=person, purpose=purpose)
    return person.reveal_cpr()


def _apply_cpr(person: Person, cpr: str) -> None:
    cpr = normalise_cpr(cpr)
    if not cpr:
        return
    try:
        validate_cpr(cpr)
    except ValidationError as exc:
        raise DomainError({"cpr": exc.messages}) from exc
    born = cpr_birth_date(cpr)
    if person.birth_date and person.birth_date != born:
        raise DomainError({"birth_date": [_("Fødselsdatoen passer ikke med CPR-nummeret.")]})
    person.birth_date = born
    person.set_cpr(cpr)


def person_update(*, person: Person, actor=None, cpr: str | None = None, **fields) -> Person:
    """Update contact details, name, protection or CPR number."""
    allowed = {"name", "birth_date", "email", "phone", "protected"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    before = snapshot(person)
    for key, value in fields.items():
        setattr(person, key, value)
    if cpr is not None:
        if cpr:
            if "birth_date" not in fields:
                person.birth_date = None
            _apply_cpr(person, cpr)
        else:
            person.set_cpr("")
    _full_clean(person)
    with transaction.atomic():
        person.save()
        record_change(
            instance=person, action="update", actor=actor, before=before, after=snapshot(person)
        )
    return person


# --- portfolio --------------------------------------------------------------------------


def property_create(*, organisation: Organisation, actor=None, **fields) -> Property:
    """Create a property owned by the organisation (the owner CVR used for CPR lookups)."""
    department = fields.get("department")
    if department is not None and department.organisation_id != organisation.pk:
        raise DomainError({"department": [_("Afdelingen skal høre til ejendommens organisation.")]})
    prop = Property(organisation=organisation, **fields)
    _full_clean(prop)
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
    _full_clean(property)
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
    _full_clean(entrance)
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
    _full_clean(building)
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
    _full_clean(entrance)
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
    _full_clean(building)
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
    _full_clean(unit)
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


def unit_update(*, unit: Unit, actor=None, correction: bool = False, **fields) -> Unit:
    """Change BBR data or the letting code of a unit. `correction`: the change corrects
    wrong data rather than recording a new fact (what the rent register tells UDK differs)."""
    unknown = set(fields) - UNIT_EDITABLE
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    before = snapshot(unit)
    ref = fields.pop("letting_reference", _NO_REF)
    for key, value in fields.items():
        setattr(unit, key, value)
    _set_letting_reference(unit, ref)
    unit.search_text = unit.build_search_text()
    _full_clean(unit)
    with transaction.atomic():
        unit.save()
        record = record_change(
            instance=unit, action="update", actor=actor, before=before, after=snapshot(unit)
        )
        hooks.unit_changed.call(hooks.UnitChange(record=record, unit=unit, correction=correction))
    return unit


# --- leases -----------------------------------------------------------------------------

LEASE_TERMS = {
    "holder_type",
    "special_payments",
    "heating_aconto",
    "water_aconto",
    "electricity",
    "water",
    "drainage",
    "heating",
    "heating_form",
    "tenant_maintains",
    "private_kitchen",
    "garage_carport",
    "accessible",
    "student_room",
}


def _overlapping(*, unit: Unit, start: date, end: date | None, exclude_pk=None):
    qs = Lease.objects.filter(unit=unit, start_date__lte=end or FAR_FUTURE).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("start_date").first()


def _overlap_error(other: Lease) -> DomainError:
    if other.end_date:
        period = _("%(start)s–%(end)s") % {
            "start": f"{other.start_date:%d.%m.%Y}",
            "end": f"{other.end_date:%d.%m.%Y}",
        }
    else:
        period = _("fra %(start)s uden slutdato") % {"start": f"{other.start_date:%d.%m.%Y}"}
    return DomainError(
        {
            "start_date": [
                _(
                    "Enheden har allerede lejemål %(number)s i perioden %(period)s. Afslut det først; "
                    "to lejemål på samme enhed må ikke overlappe."
                )
                % {"number": other.number, "period": period}
            ]
        }
    )


def _save_checked(lease: Lease, **kwargs) -> None:
    """Save; the database constraint against overlaps backs up the service check when two
    caseworkers act at the same moment."""
    try:
        with transaction.atomic():
            lease.save(**kwargs)
    except IntegrityError as exc:
        other = _overlapping(
            unit=lease.unit, start=lease.start_date, end=lease.end_date, exclude_pk=lease.pk
        )
        if other:
            raise _overlap_error(other) from exc
        raise


def _next_lease_number(unit: Unit) -> str:
    count = Lease.objects.filter(unit=unit).count()
    return f"{unit.pk:07d}-{count + 1:02d}"


def lease_create(
    *,
    unit: Unit,
    parties: Iterable[Person],
    start_date: date,
    rent: Decimal,
    actor=None,
    **terms,
) -> Lease:
    """Create a lease on a unit for one or more people of the same organisation."""
    parties = list(parties)
    unknown = set(terms) - LEASE_TERMS
    if unknown:
        raise DomainError(_("Ukendte lejemålsfelter: %s") % ", ".join(sorted(unknown)))
    if not parties:
        raise DomainError({"parties": [_("Et lejemål skal have mindst én lejer.")]})
    if any(p.organisation_id != unit.organisation_id for p in parties):
        raise DomainError({"parties": [_("Lejerne skal høre til samme organisation som enheden.")]})
    lease = Lease(
        unit=unit,
        organisation_id=unit.organisation_id,
        start_date=start_date,
        rent=rent,
        status=LeaseStatus.ACTIVE,
        **terms,
    )
    lease.number = "pending"
    _full_clean(lease, exclude=["number"])
    with transaction.atomic():
        # Lock the unit so two simultaneous creations cannot both pass the overlap check.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        other = _overlapping(unit=unit, start=start_date, end=None)
        if other:
            raise _overlap_error(other)
        lease.number = _next_lease_number(unit)
        _save_checked(lease)
        lease.parties.set(parties)
        record = record_change(
            instance=lease,
            action="create",
            actor=actor,
            before=None,
            after=snapshot(lease),
            people=parties,
        )
        hooks.lease_changed.call(hooks.LeaseChange(record=record, lease=lease))
    return lease


def lease_update(*, lease: Lease, actor=None, correction: bool = False, **fields) -> Lease:
    """Change the terms of a lease. The tenant (parties) and start date are not terms: a
    tenant change is always end + new lease (DOMAIN.md §3)."""
    if "parties" in fields:
        new = {p.pk for p in fields.pop("parties")}
        if new != set(lease.parties.values_list("pk", flat=True)):
            raise TenantChangeError(
                {
                    "parties": [
                        _(
                            "Lejeren på et eksisterende lejemål kan ikke ændres. Et lejerskifte er altid: "
                            "afslut det gamle lejemål og opret et nyt. Ellers går boligstøtten til den "
                            "forkerte person."
                        )
                    ]
                }
            )
    if "start_date" in fields and fields.pop("start_date") != lease.start_date:
        raise TenantChangeError(
            {
                "start_date": [
                    _(
                        "Startdatoen på et eksisterende lejemål kan ikke ændres. Er det en ny lejer, "
                        "så afslut lejemålet og opret et nyt lejemål med den nye startdato."
                    )
                ]
            }
        )
    if "rent" in fields:
        raise DomainError({"rent": [_("Brug 'Ændr husleje' til at ændre huslejen.")]})
    unknown = set(fields) - LEASE_TERMS
    if unknown:
        raise DomainError(_("Disse felter kan ikke ændres her: %s") % ", ".join(sorted(unknown)))
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Et ophørt lejemål kan ikke ændres. Genoptag det først."))
    before = snapshot(lease)
    for key, value in fields.items():
        setattr(lease, key, value)
    _full_clean(lease)
    with transaction.atomic():
        lease.save()
        record = record_change(
            instance=lease,
            action="update",
            actor=actor,
            before=before,
            after=snapshot(lease),
            people=lease.parties.all(),
        )
        hooks.lease_changed.call(
            hooks.LeaseChange(record=record, lease=lease, correction=correction)
        )
    return lease


def lease_end(*, lease: Lease, end_date: date, reason: str = "", actor=None) -> Lease:
    """End a lease on a date (the last day of the tenancy)."""
    if lease.status == LeaseStatus.ENDED:
        raise DomainError(
            _("Lejemålet er allerede afsluttet pr. %s.") % f"{lease.end_date:%d.%m.%Y}"
        )
    if end_date < lease.start_date:
        raise DomainError(
            {
                "end_date": [
                    _("Slutdatoen kan ikke ligge før startdatoen %s.")
                    % f"{lease.start_date:%d.%m.%Y}"
                ]
            }
        )
    before = snapshot(lease)
    lease.end_date = end_date
    lease.end_reason = reason
    lease.status = LeaseStatus.ENDED
    with transaction.atomic():
        _save_checked(lease)
        record = record_change(
            instance=lease,
            action="end",
            actor=actor,
            before=before,
            after=snapshot(lease),
            people=lease.parties.all(),
        )
        hooks.lease_changed.call(hooks.LeaseChange(record=record, lease=lease))
    return lease


def lease_reinstate(*, lease: Lease, actor=None) -> Lease:
    """Undo a mistaken end: the lease runs on without an end date."""
    if lease.status != LeaseStatus.ENDED:
        raise DomainError(_("Kun et afsluttet lejemål kan genoptages."))
    other = _overlapping(unit=lease.unit, start=lease.start_date, end=None, exclude_pk=lease.pk)
    if other:
        raise DomainError(
            _(
                "Lejemålet kan ikke genoptages, fordi enheden har lejemål %(number)s fra "
                "%(start)s. Afslut eller ret det først."
            )
            % {"number": other.number, "start": f"{other.start_date:%d.%m.%Y}"}
        )
    before = snapshot(lease)
    lease.end_date = None
    lease.end_reason = ""
    lease.status = LeaseStatus.ACTIVE
    with transaction.atomic():
        _save_checked(lease)
        record = record_change(
            instance=lease,
            action="reinstate",
            actor=actor,
            before=before,
            after=snapshot(lease),
            people=lease.parties.all(),
        )
        hooks.lease_changed.call(hooks.LeaseChange(record=record, lease=lease))
    return lease


def lease_change_rent(
    *,
    lease: Lease,
    rent: Decimal,
    effective_date: date,
    actor=None,
    correction: bool = False,
) -> Lease:
    """Change the monthly rent from a date (recorded in the history)."""
    if lease.status != LeaseStatus.ACTIVE:
        raise DomainError(_("Huslejen kan kun ændres på et aktivt lejemål."))
    if rent is None or Decimal(rent) < 0:
        raise DomainError({"rent": [_("Huslejen skal være et beløb på 0 kr. eller mere.")]})
    if effective_date < lease.start_date:
        raise DomainError(
            {
                "effective_date": [
                    _("Ændringen kan ikke gælde fra før lejemålets start %s.")
                    % f"{lease.start_date:%d.%m.%Y}"
                ]
            }
        )
    before = snapshot(lease)
    lease.rent = Decimal(rent)
    _full_clean(lease)
    after = snapshot(lease)
    after["rent_effective_date"] = effective_date.isoformat()
    with transaction.atomic():
        lease.save(update_fields=["rent"])
        record = record_change(
            instance=lease,
            action="rent_change",
            actor=actor,
            before=before,
            after=after,
            people=lease.parties.all(),
        )
        hooks.lease_changed.call(
            hooks.LeaseChange(record=record, lease=lease, correction=correction)
        )
    return lease

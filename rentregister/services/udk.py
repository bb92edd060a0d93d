"""The UDK rules: which lease and unit changes need a message to Udbetaling Danmark, and
the drafted message the caseworker sends.

UDK learns rent, water/drainage/heating and lease ends from the register itself; it must
be told by the caseworker about terms and BBR data the register does not pass on, about
corrections of a wrong filing made on a later day, and about rent corrected back before
1 June 2014 (docs/domain.md, the rent register)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import DecimalField
from django.utils import timezone
from django.utils.translation import gettext as _

from core import formatting
from core.errors import DomainError
from tenancy.models import ChangeRecord, Lease, Unit

from ..models import Filing, FilingState, UdkTask, UdkTaskKind, UdkTaskStatus

# Rent corrections dated before this do not reach UDK through the register.
UDK_AUTOMATIC_SINCE = date(2014, 6, 1)
# Lease terms UDK does not learn from the register: the caseworker must tell UDK.
LEASE_FIELDS_NOT_AUTOMATIC = ("tenant_maintains", "heating_form", "electricity")
# BBR data of the unit UDK does not learn from the register.
UNIT_FIELDS_NOT_AUTOMATIC = ("area_m2", "rooms", "use_code")


# --- rules ------------------------------------------------------------------------------


def _corrected_later(previous: Filing | None) -> bool:
    """A wrong filing corrected the same day needs nothing more; corrected on a later day,
    UDK must be told, unless the wrong filing never reached the register."""
    if previous is None:
        return False
    if previous.state not in (FilingState.SENT, FilingState.ACCEPTED):
        return False
    return timezone.localdate(previous.created_at) < timezone.localdate()


def _udk_rules_for_lease(
    *,
    filing: Filing,
    record: ChangeRecord,
    lease: Lease,
    previous: Filing | None,
    correction: bool = False,
) -> None:
    """Draft the UDK tasks a lease change needs (`previous`: the lease's filing before
    this one, to tell a same-day correction from a later one)."""
    action = record.action
    if action == "rent_change" and filing.effective_date < UDK_AUTOMATIC_SINCE:
        _task_pre_2014(filing=filing, lease=lease, record=record)
    if action == "reinstate":
        if _corrected_later(previous):
            _task_reinstate(filing=filing, lease=lease, record=record)
        return
    if correction:
        if _corrected_later(previous):
            _task_correction(filing=filing, lease=lease, record=record, model=Lease)
        return
    if action == "update":
        changed = {k for k, _b, _a in record.changed_fields}
        fields = [f for f in LEASE_FIELDS_NOT_AUTOMATIC if f in changed]
        if fields:
            _task_notify(filing=filing, lease=lease, record=record, model=Lease, fields=fields)
    # rent, water/drainage/heating and lease end reach UDK automatically: nothing more.


def _udk_rules_for_unit(
    *,
    filing: Filing,
    record: ChangeRecord,
    lease: Lease,
    previous: Filing | None,
    changed: set[str],
    correction: bool = False,
) -> None:
    """Draft the UDK task a unit change needs for one of its leases: area, rooms or use
    code changed, or a later correction of wrong BBR data."""
    fields = [f for f in UNIT_FIELDS_NOT_AUTOMATIC if f in changed]
    if correction:
        if _corrected_later(previous):
            _task_correction(filing=filing, lease=lease, record=record, model=Unit)
    elif fields:
        _task_notify(filing=filing, lease=lease, record=record, model=Unit, fields=fields)


# --- drafting the message ---------------------------------------------------------------


def _display(model, name: str, value) -> str:
    try:
        field_obj = model._meta.get_field(name)
    except FieldDoesNotExist:  # an unknown key in an old snapshot: show it as it is
        return str(value)
    if value is None or value == "":
        return _("(tom)")
    if field_obj.choices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(field_obj, DecimalField):
        return formatting.area(value) if name.endswith("m2") else _kr(value)
    return str(value)


def _kr(value) -> str:
    """7.808,00 kr. (core.formatting: the same form as on the screens)."""
    return formatting.money(value) if value not in (None, "", "-") else "-"


def _change_lines(model, record: ChangeRecord, fields=None) -> list[str]:
    lines = []
    for name, before, after in record.changed_fields:
        if fields is not None and name not in fields:
            continue
        if name in ("rent_effective_date", "search_text"):
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # not a model field
            label = name
        lines.append(
            f"- {label.capitalize()}: {_display(model, name, before)} → {_display(model, name, after)}"
        )
    return lines


def _header(lease: Lease) -> str:
    names = ", ".join(p.public_name for p in lease.parties.all())
    return _(
        "Vedrørende lejemål %(number)s, %(address)s\nLejer(e): %(names)s\nAfdeling: %(dept)s"
    ) % {
        "number": lease.number,
        "address": lease.unit.address,
        "names": names,
        "dept": _department_number(lease) or "-",
    }


def _department_number(lease: Lease) -> str:
    department = lease.unit.entrance.building.property.department
    return department.number if department else ""


def _signature(lease: Lease) -> str:
    org = lease.organisation
    return _("Med venlig hilsen\n%(name)s (CVR %(cvr)s)") % {"name": org.name, "cvr": org.cvr}


def _task(*, filing, lease, kind, recipient, subject, body) -> UdkTask:
    message = "\n\n".join([_("Til %s") % recipient, _header(lease), body, _signature(lease)])
    return UdkTask.objects.create(
        organisation_id=lease.organisation_id,
        lease=lease,
        filing=filing,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        message=message,
    )


def _task_notify(*, filing, lease, record, model, fields) -> UdkTask:
    lines = _change_lines(model, record, fields)
    body = _(
        "Vi har %(date)s ændret følgende oplysninger, som Udbetaling Danmark ikke automatisk "
        "får besked om fra Huslejeregisteret:\n%(lines)s\n\nÆndringen gælder fra %(effective)s."
    ) % {
        "date": f"{timezone.localdate():%d.%m.%Y}",
        "lines": "\n".join(lines),
        "effective": formatting.day(filing.effective_date),
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.NOTIFY_CHANGE,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Ændring af %(what)s på lejemål %(number)s")
        % {
            "what": ", ".join(str(model._meta.get_field(f).verbose_name) for f in fields),
            "number": lease.number,
        },
        body=body,
    )


def _task_correction(*, filing, lease, record, model) -> UdkTask:
    lines = _change_lines(model, record)
    body = _(
        "Vi har ved en fejl indberettet forkerte oplysninger til Huslejeregisteret og har "
        "%(date)s rettet dem:\n%(lines)s\n\nVi beder Udbetaling Danmark rette boligstøtten, "
        "inden fejlen rammer lejeren."
    ) % {"date": formatting.day(timezone.localdate()), "lines": "\n".join(lines) or "-"}
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.CORRECTION,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Rettelse af fejlindberetning for lejemål %s") % lease.number,
        body=body,
    )


def _task_pre_2014(*, filing, lease, record) -> UdkTask:
    body = _(
        "Vi har rettet huslejen for lejemålet med virkning fra %(effective)s, som er før "
        "1. juni 2014. Udbetaling Danmark får derfor ikke automatisk besked fra "
        "Huslejeregisteret.\nHusleje før: %(before)s\nHusleje efter: %(after)s\n\n"
        "Vi beder jer rette boligstøtten for perioden fra og med %(effective)s."
    ) % {
        "effective": formatting.day(filing.effective_date),
        "before": _kr(record.before.get("rent", "-")),
        "after": _kr(record.after.get("rent", "-")),
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.PRE_2014_RENT,
        recipient=settings.UDK_SUPPORT_EMAIL,
        subject=_("Huslejerettelse før 1. juni 2014 for lejemål %s") % lease.number,
        body=body,
    )


def _task_reinstate(*, filing, lease, record) -> UdkTask:
    ended = record.before.get("end_date")
    body = _(
        "Lejemålet blev ved en fejl indberettet som ophørt pr. %(end)s. Lejemålet fortsætter, "
        "og vi har %(date)s genoptaget det i Huslejeregisteret. Vi beder Udbetaling Danmark "
        "genoptage boligstøtten, så lejeren ikke mister den."
    ) % {
        "end": formatting.day(ended) if ended else "-",
        "date": formatting.day(timezone.localdate()),
    }
    return _task(
        filing=filing,
        lease=lease,
        kind=UdkTaskKind.REINSTATE,
        recipient=str(_("Udbetaling Danmark")),
        subject=_("Lejemål %s er genoptaget efter fejlagtig opsigelse") % lease.number,
        body=body,
    )


# --- the caseworker's side --------------------------------------------------------------


def udk_task_done(*, task: UdkTask, actor) -> UdkTask:
    """The caseworker has sent the message to UDK."""
    with transaction.atomic():
        task = UdkTask.objects.select_for_update().get(pk=task.pk)
        if task.status == UdkTaskStatus.DONE:
            raise DomainError(_("Opgaven er allerede markeret som udført."))
        task.status = UdkTaskStatus.DONE
        task.done_at = timezone.now()
        task.done_by = actor if getattr(actor, "is_authenticated", False) else None
        task.save(update_fields=["status", "done_at", "done_by"])
    return task

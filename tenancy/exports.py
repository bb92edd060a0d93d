"""Excel downloads of the tenancy lists (properties, entrances, units, people, leases).

Each list is exported from the same scoped selector and the same FilterSet as the browser
list and the API, so "the filtered set" means one thing everywhere. Rows are read with
`values_list(...)` of only the needed columns and `.iterator(chunk_size=...)`, so memory stays
flat on a 600,000-unit portfolio; lease parties come in one extra query per chunk.

Small exports are built inside the request (`export_rows` + `core.excel.xlsx_response`);
larger ones are an `ExportJob` that a Celery worker runs with `export_job_run`.

People: the CPR number is only ever read in its masked form (DDMMYY-xxxx); protected persons
are shown by name (the download stays inside the organisation) with a "Beskyttet" column.
"""

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.excel import Column, write_xlsx, xlsx_filename

from . import selectors
from .choices import LeaseStatus, LettingCode
from .filters import EntranceFilter, LeaseFilter, PersonFilter, PropertyFilter, UnitFilter
from .models import ExportJob, Lease, Organisation
from .terms import LEASE_TERMS

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
EXPORT_DIR = "exports"
KEEP_DAYS = 7  # finished export files are deleted after this many days


@dataclass(frozen=True)
class ExportSpec:
    """How one list becomes a sheet: which rows (selector + FilterSet), which database
    columns to read, and the sheet columns built from them."""

    kind: str
    stem: str  # file name stem, e.g. "enheder"
    title: str
    selector: Callable[..., QuerySet]
    filterset: type
    fields: tuple[str, ...]
    columns: list[Column]
    rows: Callable[[QuerySet, tuple[str, ...]], Iterable[tuple]] | None = None


def _yes_no(value: bool) -> str:
    return _("Ja") if value else _("Nej")


def _labels(choices) -> dict[str, str]:
    """Choice labels as plain strings in the active language (looked up once, not per row)."""
    return {value: str(label) for value, label in choices.choices}


def _floor_door(floor: str, door: str) -> str:
    if floor and door:
        return f"{floor}. {door}"
    return f"{floor}." if floor else door


class _Fields:
    """Maps a `values_list` field name to a fast getter on the row tuple."""

    def __init__(self, fields: tuple[str, ...]):
        self.fields = fields
        self._index = {name: i for i, name in enumerate(fields)}

    def __call__(self, name: str) -> Callable[[tuple], Any]:
        return itemgetter(self._index[name])

    def idx(self, name: str) -> int:
        return self._index[name]


def _as_str(get: Callable[[tuple], Any]) -> Callable[[tuple], str | None]:
    def value(row):
        v = get(row)
        return None if v is None else str(v)

    return value


def _property_spec() -> ExportSpec:
    f = _Fields(
        ("name", "department__number", "department__name", "bfe_number", "municipality_code")
    )
    dep_no, dep_name = f.idx("department__number"), f.idx("department__name")
    columns = [
        Column(_("Navn"), f("name"), width=30),
        Column(
            _("Afdeling"),
            lambda r: f"{r[dep_no]} {r[dep_name]}" if r[dep_no] else None,
            width=24,
        ),
        Column(_("BFE-nummer"), f("bfe_number"), kind="int"),
        Column(_("Kommunekode"), f("municipality_code"), width=12),
    ]
    return ExportSpec(
        "properties",
        "ejendomme",
        _("Ejendomme"),
        selectors.property_list,
        PropertyFilter,
        f.fields,
        columns,
    )


def _entrance_spec() -> ExportSpec:
    f = _Fields(
        (
            "street_name",
            "house_number",
            "postcode",
            "city",
            "municipality_code",
            "road_code",
            "dar_id",
            "building__property__name",
        )
    )
    street, number = f.idx("street_name"), f.idx("house_number")
    columns = [
        Column(_("Adresse"), lambda r: f"{r[street]} {r[number]}", width=30),
        Column(_("Postnr."), f("postcode"), width=8),
        Column(_("By"), f("city"), width=18),
        Column(_("Kommunekode"), f("municipality_code"), width=12),
        Column(_("Vejkode"), f("road_code"), width=10),
        Column(_("DAR husnummer-id"), _as_str(f("dar_id")), width=38),
        Column(_("Ejendom"), f("building__property__name"), width=24),
    ]
    return ExportSpec(
        "entrances",
        "opgange",
        _("Opgange"),
        selectors.entrance_list,
        EntranceFilter,
        f.fields,
        columns,
    )


def _unit_spec() -> ExportSpec:
    f = _Fields(
        (
            "entrance__street_name",
            "entrance__house_number",
            "floor",
            "door",
            "entrance__postcode",
            "entrance__city",
            "dar_id",
            "bbr_unit_id",
            "use_code",
            "area_m2",
            "rooms",
            "letting_code",
        )
    )
    letting = _labels(LettingCode)
    get_letting = f("letting_code")

    def address(r):
        fd = _floor_door(r[2], r[3])
        return f"{r[0]} {r[1]}, {fd}" if fd else f"{r[0]} {r[1]}"

    columns = [
        Column(_("Adresse"), address, width=32),
        Column(_("Postnr."), f("entrance__postcode"), width=8),
        Column(_("By"), f("entrance__city"), width=18),
        Column(_("Etage"), f("floor"), width=7),
        Column(_("Dør"), f("door"), width=7),
        Column(_("DAR adresse-id"), _as_str(f("dar_id")), width=38),
        Column(_("BBR enheds-id"), _as_str(f("bbr_unit_id")), width=38),
        Column(_("Anvendelse"), f("use_code"), kind="int", width=11),
        Column(_("Areal m²"), f("area_m2"), kind="decimal", width=10),
        Column(_("Værelser"), f("rooms"), kind="int", width=9),
        Column(_("Udlejningsforhold"), lambda r: letting.get(get_letting(r)), width=30),
    ]
    return ExportSpec(
        "units", "enheder", _("Enheder"), selectors.unit_list, UnitFilter, f.fields, columns
    )


def _person_spec() -> ExportSpec:
    # Never the encrypted CPR: only the masked form is read from the database.
    f = _Fields(("name", "cpr_masked", "birth_date", "email", "phone", "protected"))
    get_protected = f("protected")
    yes, no = _("Ja"), _("Nej")
    columns = [
        Column(_("Navn"), f("name"), width=28),
        Column(_("CPR-nummer"), f("cpr_masked"), width=13),
        Column(_("Fødselsdato"), f("birth_date"), kind="date", width=12),
        Column(_("E-mail"), f("email"), width=28),
        Column(_("Telefon"), f("phone"), width=14),
        Column(_("Beskyttet"), lambda r: yes if get_protected(r) else no, width=10),
    ]
    return ExportSpec(
        "people", "personer", _("Personer"), selectors.person_list, PersonFilter, f.fields, columns
    )


def _lease_rows(queryset: QuerySet, fields: tuple[str, ...]) -> Iterator[tuple]:
    """Lease rows with the parties' names appended, one parties query per chunk (no N+1)."""
    protected_mark = " (" + _("beskyttet") + ")"
    through = Lease.parties.through
    rows = queryset.values_list("pk", *fields).iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(rows, CHUNK_SIZE)):
        names: dict[int, list[str]] = {}
        links = (
            through.objects.filter(lease_id__in=[r[0] for r in chunk])
            .order_by("lease_id", "person__name", "person_id")
            .values_list("lease_id", "person__name", "person__protected")
        )
        for lease_id, name, protected in links:
            names.setdefault(lease_id, []).append(name + protected_mark if protected else name)
        for row in chunk:
            yield (*row[1:], ", ".join(names.get(row[0], ())))


def _term_columns(f: _Fields) -> dict[str, Column]:
    """One column per lease term (tenancy.terms), typed from the model field: amounts as
    money, choices by their label, flags as Ja/Nej. The headers are the sheet's own short
    wording."""
    headers = {
        "holder_type": (_("Type"), 11),
        "special_payments": (_("Særlige ydelser"), 14),
        "heating_aconto": (_("Aconto varme"), 14),
        "water_aconto": (_("Aconto vand"), 14),
        "electricity": (_("El"), 22),
        "water": (_("Vand"), 22),
        "drainage": (_("Afledning"), 22),
        "heating": (_("Varme"), 22),
        "heating_form": (_("Opvarmning"), 12),
        "tenant_maintains": (_("Lejer vedligeholder"), 10),
        "private_kitchen": (_("Eget køkken"), 10),
        "garage_carport": (_("Garage/carport"), 10),
        "accessible": (_("Egnet for bevægelseshæmmede"), 10),
        "student_room": (_("Ungdomsbolig"), 10),
    }
    yes, no = _("Ja"), _("Nej")
    columns = {}
    for name in LEASE_TERMS:
        header, width = headers[name]
        field = Lease._meta.get_field(name)
        get = f(name)
        if isinstance(field, models.BooleanField):
            columns[name] = Column(header, lambda r, get=get: yes if get(r) else no, width=width)
        elif field.choices:
            labels = {value: str(label) for value, label in field.choices}
            columns[name] = Column(
                header, lambda r, get=get, labels=labels: labels.get(get(r), get(r)), width=width
            )
        else:
            columns[name] = Column(header, get, kind="money", width=width)
    return columns


def _lease_spec() -> ExportSpec:
    f = _Fields(
        (
            "number",
            "unit__entrance__street_name",
            "unit__entrance__house_number",
            "unit__floor",
            "unit__door",
            "unit__entrance__postcode",
            "unit__entrance__city",
            "status",
            "start_date",
            "end_date",
            "rent",
            *LEASE_TERMS,
        )
    )
    parties_idx = len(f.fields)  # appended by _lease_rows
    status, get_status = _labels(LeaseStatus), f("status")

    def address(r):
        fd = _floor_door(r[3], r[4])
        street = f"{r[1]} {r[2]}, {fd}" if fd else f"{r[1]} {r[2]}"
        return f"{street}, {r[5]} {r[6]}"

    terms = _term_columns(f)
    columns = [
        Column(_("Lejemålsnr."), f("number"), width=12),
        Column(_("Adresse"), address, width=40),
        Column(_("Lejere"), itemgetter(parties_idx), width=32),
        terms.pop("holder_type"),  # the kind of lease, before its dates and amounts
        Column(_("Status"), lambda r: status.get(get_status(r), get_status(r)), width=9),
        Column(_("Startdato"), f("start_date"), kind="date", width=11),
        Column(_("Slutdato"), f("end_date"), kind="date", width=11),
        Column(_("Husleje"), f("rent"), kind="money", width=14),
        *terms.values(),
    ]
    return ExportSpec(
        "leases",
        "lejemaal",
        _("Lejemål"),
        selectors.lease_list,
        LeaseFilter,
        f.fields,
        columns,
        rows=_lease_rows,
    )


_SPECS: dict[str, Callable[[], ExportSpec]] = {
    "properties": _property_spec,
    "entrances": _entrance_spec,
    "units": _unit_spec,
    "people": _person_spec,
    "leases": _lease_spec,
}
EXPORT_KINDS = tuple(_SPECS)


def export_spec(kind: str) -> ExportSpec | None:
    """The export description for `kind` (headers in the active language), or None."""
    builder = _SPECS.get(kind)
    return builder() if builder else None


# --- reads --------------------------------------------------------------------------------


def export_queryset(
    *, spec: ExportSpec, user, organisation: Organisation, query: QueryDict | str
) -> QuerySet:
    """The filtered, scoped rows of a list, exactly as the browser list and the API see
    them. Invalid filter values are refused (an export must never silently widen)."""
    data = query if isinstance(query, QueryDict) else QueryDict(query)
    base = spec.selector(user=user, organisation=organisation)
    filterset = spec.filterset(data=data, queryset=base)
    if not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(errors)}"
            if name in filterset.form.fields
            else " ".join(errors)
            for name, errors in filterset.errors.items()
        )
        raise DomainError(_("Filtrene er ugyldige: %(problems)s") % {"problems": problems})
    # Plain rows: the selectors' select_related/prefetch_related are for model instances.
    queryset = filterset.qs.select_related(None).prefetch_related(None)
    order_by = _list_order_by(spec.kind, data.get("sort", ""))
    return queryset.order_by(*order_by) if order_by else queryset


def _list_order_by(kind: str, sort: str) -> list[str] | None:
    """The browser list's order for its `sort` parameter, so the file has the rows in the
    order the caseworker saw them."""
    from .views.lists import LISTS, ordering  # the list screens own the sort whitelist

    config = LISTS.get(kind)
    return ordering(config, sort)[1] if config else None


def export_rows(spec: ExportSpec, queryset: QuerySet) -> Iterable[tuple]:
    """Stream the rows for `spec.columns` with bounded memory."""
    if spec.rows is not None:
        return spec.rows(queryset, spec.fields)
    return queryset.values_list(*spec.fields).iterator(chunk_size=CHUNK_SIZE)


def export_job_get(*, user, pk: int) -> ExportJob | None:
    """A job as its owner sees it while still a member of the job's organisation; None for
    anyone else, and for an owner since removed from that organisation (the view answers
    404: the file holds that organisation's data)."""
    return ExportJob.objects.filter(
        pk=pk, user=user, organisation_id__in=selectors.organisation_ids_for(user)
    ).first()


def export_job_path(job: ExportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / job.file


# --- writes -------------------------------------------------------------------------------


def export_job_create(
    *, user, organisation: Organisation, kind: str, query: str, total: int, language: str = "da"
) -> ExportJob:
    """Queue a background export. Asking again for the same list while one is still queued
    or running returns that job instead of starting another."""
    from .tasks import export_job_run_task

    if kind not in _SPECS:
        raise DomainError(_("Ukendt liste: %(kind)s") % {"kind": kind})
    with transaction.atomic():
        job = (
            ExportJob.objects.filter(
                user=user,
                organisation=organisation,
                kind=kind,
                query=query,
                status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
            )
            .order_by("-pk")
            .first()
        )
        if job is not None:
            return job
        job = ExportJob.objects.create(
            user=user,
            organisation=organisation,
            kind=kind,
            query=query,
            total=total,
            language=language,
        )
        export_job_run_task.delay_on_commit(job.pk)
    return job


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's workbook under MEDIA_ROOT/exports/. Idempotent: running a job again
    (a redelivered message) rewrites its file from the current data. Headers are in the
    language the user asked in."""
    job = ExportJob.objects.filter(pk=job_id).select_related("user", "organisation").first()
    if job is None:
        logger.warning("Export job %s no longer exists", job_id)
        return None
    with translation.override(job.language):
        _export_job_write(job)
    job.refresh_from_db()
    return job


def _export_job_write(job: ExportJob) -> None:
    spec = export_spec(job.kind)
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, started_at=now, done=0, error=""
    )
    tmp_path: Path | None = None
    try:
        if spec is None:
            raise DomainError(_("Ukendt liste: %(kind)s") % {"kind": job.kind})
        if job.organisation_id not in selectors.organisation_ids_for(job.user):
            raise DomainError(_("Brugeren har ikke længere adgang til organisationen."))
        queryset = export_queryset(
            spec=spec, user=job.user, organisation=job.organisation, query=job.query
        )
        total = queryset.count()
        ExportJob.objects.filter(pk=job.pk).update(total=total)
        relative = (
            job.file or f"{EXPORT_DIR}/{job.pk}-{uuid.uuid4().hex}/{xlsx_filename(spec.stem)}"
        )
        final = Path(settings.MEDIA_ROOT) / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = final.with_name(final.name + ".part")

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(done=done)

        with tmp_path.open("wb") as fileobj:
            written = write_xlsx(
                fileobj,
                title=spec.title,
                columns=spec.columns,
                rows=export_rows(spec, queryset),
                progress=progress,
            )
        os.replace(tmp_path, final)
        tmp_path = None
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            file=relative,
            total=written,
            done=written,
            finished_at=timezone.now(),
        )
    except DomainError as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=" ".join(exc.messages), finished_at=timezone.now()
        )
    except Exception:
        logger.exception("Export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=_("Eksporten fejlede. Prøv igen, eller kontakt support."),
            finished_at=timezone.now(),
        )
    finally:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)


def export_jobs_purge(*, older_than_days: int = KEEP_DAYS) -> int:
    """Delete finished jobs (and their files) older than `older_than_days`."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    count = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    ):
        if job.file:
            path = export_job_path(job)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()
        job.delete()
        count += 1
    return count

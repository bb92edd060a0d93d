"""What tenancy holds about a person (core.personal_data): the person record, their leases,
the change history that mentions them, and Excel exports written from tenancy's lists."""

import contextlib
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto, formatting
from core.personal_data import (
    Due,
    Keep,
    Provider,
    Section,
    Subject,
    cpr_forms,
    mentions,
    scrub_rows,
)

from .choices import LeaseStatus
from .history import field_changes, history_scrub_people
from .models import ChangeRecord, ExportJob, Lease, LeaseRentPeriod, Person

ANONYMISED_NAME = "Anonymiseret person"


def plain(value):
    """A value as the access bundle's JSON holds it."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def people_in(subject: Subject):
    return Person.objects.filter(
        pk__in=subject.person_ids, organisation_id__in=subject.organisation_ids
    ).order_by("pk")


def person_identifiers(person: Person) -> list[str]:
    """The strings that identify the person in free text and files."""
    values = [person.name, person.email, person.phone]
    if person.cpr_encrypted:
        with contextlib.suppress(InvalidToken):  # a token under a retired key: hash still works
            values += cpr_forms(crypto.decrypt(person.cpr_encrypted))
    return values


class TenancyPersonalData(Provider):
    app = "tenancy"

    def match(self, subject: Subject, *, link: bool) -> Subject:
        people = list(people_in(subject))
        if link and subject.cpr_hashes:
            people += Person.objects.filter(
                cpr_hash__in=subject.cpr_hashes, organisation_id__in=subject.organisation_ids
            ).exclude(pk__in=subject.person_ids)
        return subject.add(
            person_ids=[p.pk for p in people],
            cpr_hashes=[p.cpr_hash for p in people],
            identifiers=[i for p in people for i in person_identifiers(p)],
        )

    def collect(self, subject: Subject) -> list[Section]:
        people = list(people_in(subject))
        leases = (
            Lease.objects.filter(parties__in=people)
            .distinct()
            .select_related("unit__entrance")
            .order_by("start_date", "pk")
        )
        history = (
            ChangeRecord.objects.filter(people__in=people)
            .distinct()
            .select_related("content_type")
            .order_by("at", "pk")
        )
        return [
            Section(
                self.app,
                "tenancy.person",
                _("Personoplysninger"),
                [
                    {
                        _("Navn"): p.name,
                        _("Fødselsdato"): plain(p.birth_date),
                        _("CPR-nummer"): p.cpr_masked,
                        _("E-mail"): p.email,
                        _("Telefon"): p.phone,
                        _("Navne- og adressebeskyttelse"): p.protected,
                        _("Behandling begrænset"): p.restricted,
                        _("Oprettet"): plain(p.created_at),
                    }
                    for p in people
                ],
                provided_by_subject=True,
            ),
            Section(
                self.app,
                "tenancy.leases",
                _("Lejemål"),
                [
                    {
                        _("Lejemålsnummer"): lease.number,
                        _("Adresse"): lease.unit.address,
                        _("Startdato"): plain(lease.start_date),
                        _("Slutdato"): plain(lease.end_date),
                        _("Status"): str(lease.get_status_display()),
                        _("Husleje pr. måned"): plain(lease.rent),
                    }
                    for lease in leases
                ],
            ),
            Section(
                self.app,
                "tenancy.history",
                _("Ændringshistorik"),
                [
                    {
                        _("Tidspunkt"): plain(r.at),
                        _("Handling"): r.action,
                        _("Post"): r.object_repr,
                        _("Ændringer"): {
                            c.label: [plain(c.before), plain(c.after)] for c in field_changes(r)
                        },
                    }
                    for r in history
                ],
            ),
        ]

    def must_keep(self, subject: Subject) -> list[Keep]:
        leases = Lease.objects.filter(parties__in=people_in(subject)).distinct()
        running = leases.filter(status__in=[LeaseStatus.ACTIVE, LeaseStatus.UPCOMING])
        keep = [
            Keep(
                self.app,
                _(
                    "Lejemål %(number)s er ikke ophørt (lejeloven: lejer og udlejer skal kunne "
                    "identificeres, så længe lejeforholdet består)."
                )
                % {"number": lease.number},
                blocks=True,
            )
            for lease in running.order_by("number")
        ]
        if leases.exists():
            keep.append(
                Keep(
                    self.app,
                    _(
                        "Lejemålene (nummer, adresse, periode og husleje) bevares uden navn som "
                        "dokumentation for lejeforholdet (lejeloven)."
                    ),
                )
            )
        return keep

    def anonymise(self, subject: Subject) -> int:
        people = list(people_in(subject).filter(anonymised_at__isnull=True).only("pk"))
        changed = history_scrub_people(
            person_ids=subject.person_ids, identifiers=subject.identifiers
        )
        changed += export_files_scrub(subject)
        leases = Lease.objects.filter(parties__in=subject.person_ids)
        changed += scrub_rows(leases, subject.identifiers, "end_reason")
        periods = LeaseRentPeriod.objects.filter(lease__in=leases.values("pk"))
        changed += scrub_rows(periods, subject.identifiers, "reason")
        changed += Person.objects.filter(pk__in=[p.pk for p in people]).update(
            name=ANONYMISED_NAME,
            birth_date=None,
            cpr_encrypted="",
            cpr_hash="",
            cpr_masked="",
            email="",
            phone="",
            restricted=False,
            anonymised_at=timezone.now(),
        )
        return changed

    def restrict(self, subject: Subject, *, on: bool) -> int:
        return people_in(subject).exclude(restricted=on).update(restricted=on)

    # --- retention: former tenants (people) and Excel exports (records) ---

    def retention_keys(self) -> list[str]:
        return [TENANTS, EXPORT_FILES]

    def retention_due(self, key, *, before, scope, after, limit) -> list[Due]:
        if key != TENANTS:
            return []
        people = tenants_due(before=before, scope=scope).filter(pk__gt=after).order_by("pk")
        people = people.annotate(moved_out=Max("leases__end_date"))
        return [
            Due(
                Subject.of(organisation_ids=[p.organisation_id], person_ids=[p.pk]),
                p.name,
                _("Fraflyttet %s") % formatting.day(p.moved_out)
                if p.moved_out
                else _("Intet lejemål, oprettet %s") % formatting.day(p.created_at),
                p.pk,
            )
            for p in people[:limit]
        ]

    def retention_count(self, key, *, before, scope) -> int:
        if key == TENANTS:
            return tenants_due(before=before, scope=scope).count()
        return export_jobs_due(before=before, scope=scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        if key != EXPORT_FILES:
            return 0
        jobs = list(export_jobs_due(before=before, scope=scope)[:limit])
        for job in jobs:
            export_job_delete(job)
        return len(jobs)


TENANTS = "tenants"
EXPORT_FILES = "export_files"


def tenants_due(*, before: datetime, scope):
    """People not yet anonymised with no lease running on or after `before` (moved out
    before it), or with no lease at all and registered before it."""
    day = timezone.localdate(before) if timezone.is_aware(before) else before.date()
    running = Lease.objects.filter(parties=OuterRef("pk")).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)
    )
    any_lease = Lease.objects.filter(parties=OuterRef("pk"))
    people = Person.objects.filter(anonymised_at__isnull=True).filter(~Exists(running))
    people = people.filter(Exists(any_lease) | Q(created_at__lt=before))
    if scope is not None:
        people = people.filter(organisation_id__in=scope)
    return people


def export_jobs_due(*, before: datetime, scope):
    jobs = ExportJob.objects.filter(created_at__lt=before).exclude(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    )
    if scope is not None:
        jobs = jobs.filter(organisation_id__in=scope)
    return jobs.order_by("pk")


def export_job_delete(job: ExportJob) -> None:
    """The job row and its file (and the file's own folder when empty)."""
    if job.file:
        path = Path(settings.MEDIA_ROOT) / job.file
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()
    job.delete()


def _xlsx_mentions(path: Path, identifiers) -> bool:
    """Whether the workbook's text (any part of the zip) holds one of the identifiers."""
    try:
        with zipfile.ZipFile(path) as book:
            for name in book.namelist():
                if name.endswith(".xml") and mentions(
                    book.read(name).decode("utf-8", "replace"), identifiers
                ):
                    return True
    except (OSError, zipfile.BadZipFile):
        return True  # unreadable: it cannot be shown clean, so it goes
    return False


def export_files_scrub(subject: Subject) -> int:
    """Delete the scope's finished Excel exports that mention the subject (file and job
    row): a workbook cannot be anonymised cell by cell, and the list can be exported
    again. Returns the number of jobs deleted."""
    if not subject.identifiers:
        return 0
    count = 0
    jobs = ExportJob.objects.filter(organisation_id__in=subject.organisation_ids).exclude(file="")
    for job in jobs.exclude(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]):
        path = Path(settings.MEDIA_ROOT) / job.file
        if path.exists() and not _xlsx_mentions(path, subject.identifiers):
            continue
        export_job_delete(job)
        count += 1
    return count

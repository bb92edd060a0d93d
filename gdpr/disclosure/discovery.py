"""Data discovery (docs/disclosures.md): find CPR numbers, e-mail addresses and phone
numbers lying in free text (every text column of our apps' models, found by introspection),
uploaded documents and export files on disk; list them for caseworkers to redact or dismiss.

- CPR numbers: 10 digits with or without the dash, with a plausible birth date (day, month
  and the century from the 7th digit, not in the future); modulus 11 is not required.
- Nothing found is stored in clear: a masked form for display, a keyed hash of the value
  (for a CPR number the same as Person.cpr_hash, so a finding names a known person) and a
  fingerprint of place + value. A dismissed finding keeps its fingerprint, so it stays
  dismissed when the next scan finds the same value in the same place again.
- Fast path: a chunk of values is joined with NUL separators and searched with one
  compiled pattern, so the Python work per value is a list append; only matches cost more.
"""

import bisect
import hashlib
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core import crypto
from core.errors import DomainError
from tenancy.models import ExportJob, Organisation, Person

from ..models import DiscoveryFinding, DiscoveryRun, FindingKind, FindingStatus, OutboundExport

logger = logging.getLogger(__name__)

APPS = ("core", "tenancy", "cprlookup", "rentregister", "waitlist", "gdpr")
SKIP_MODELS = {"gdpr.discoveryfinding", "gdpr.discoveryrun"}
CHUNK = 2000
SEP = "\x00"
TEXT_SUFFIXES = {".csv", ".txt", ".json", ".html", ".htm", ".xml", ".md"}
ZIP_SUFFIXES = {".xlsx", ".docx", ".zip", ".ods", ".odt"}
# Our own exports: regenerable, so a file holding a number is deleted, not edited.
EXPORT_DIRS = ("exports", "outbound")
REPLACEMENT: dict[str, str] = {
    FindingKind.CPR: "[CPR fjernet]",
    FindingKind.EMAIL: "[e-mail fjernet]",
    FindingKind.PHONE: "[telefon fjernet]",
}

PATTERN = re.compile(
    r"(?<![\w-])(?P<cpr>[0-3]\d[01]\d\d\d-?\d{4})(?![\w]|-\d)"
    r"|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,})"
    r"|(?<![\w+-])(?:\+45 ?)?(?P<phone>[2-9]\d(?: ?\d\d){3})(?![\w-])"
)


def cpr_plausible(digits: str) -> bool:
    """A real date of birth: day, month, and the century from the 7th digit; not later
    than today. No modulus 11 (valid numbers without it exist since 2007)."""
    day, month, yy, seventh = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    if seventh <= 3:
        year = 1900 + yy
    elif seventh in (4, 9):
        year = 2000 + yy if yy <= 36 else 1900 + yy
    else:
        year = 2000 + yy if yy <= 57 else 1800 + yy
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return born <= timezone.localdate()


def _normalise(kind: str, value: str) -> str:
    if kind == FindingKind.EMAIL:
        return value.lower()
    return re.sub(r"\D", "", value)


def mask(kind: str, value: str) -> str:
    norm = _normalise(kind, value)
    if kind == FindingKind.CPR:
        return f"{norm[:6]}-xxxx"
    if kind == FindingKind.PHONE:
        return f"{norm[:2]}xxxx{norm[-2:]}"
    local, _at, domain = norm.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class Hit:
    kind: str
    value: str  # in clear: kept in memory during the scan only, never stored
    start: int
    end: int


def _hit(match: re.Match) -> Hit | None:
    kind = match.lastgroup or ""
    value = match.group(kind)
    if kind == "cpr" and not cpr_plausible(value.replace("-", "")):
        return None
    start, end = match.span(kind)
    return Hit(kind, value, start, end)


def find(text: str) -> list[Hit]:
    """Every plausible hit in one text."""
    hits = []
    for match in PATTERN.finditer(text):
        hit = _hit(match)
        if hit is not None:
            hits.append(hit)
    return hits


def scan_values(values: list[str]) -> Iterator[tuple[int, Hit]]:
    """(index of the value, hit) for a list of texts: one search over the joined chunk,
    positions mapped back with bisect (the fast path of a scan)."""
    if not values:
        return
    starts = []
    position = 0
    for value in values:
        starts.append(position)
        position += len(value) + 1
    text = SEP.join(values)
    for match in PATTERN.finditer(text):
        hit = _hit(match)
        if hit is None:
            continue
        index = bisect.bisect_right(starts, hit.start) - 1
        offset = starts[index]
        yield index, Hit(hit.kind, hit.value, hit.start - offset, hit.end - offset)


def value_hash(kind: str, value: str) -> str:
    """Keyed hash of the normalised value; for a CPR number equal to Person.cpr_hash."""
    norm = _normalise(kind, value)
    return crypto.search_hash(norm if kind == FindingKind.CPR else f"{kind}:{norm}")


def fingerprint(*, place: str, kind: str, hashed: str) -> str:
    return hashlib.sha256(f"{place}|{kind}|{hashed}".encode()).hexdigest()


def _context(text: str, hit: Hit) -> str:
    """About 60 characters around the hit, every number and address in it masked."""
    start, end = max(hit.start - 60, 0), min(hit.end + 60, len(text))
    window = text[start:end].replace(SEP, " ")
    return PATTERN.sub(lambda m: mask(m.lastgroup or "", m.group(m.lastgroup or "")), window)[:300]


# --- what to scan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSource:
    """One model's free-text columns and the path to its organisation (None: the record
    belongs to no single organisation, e.g. the joint waiting list's applicants)."""

    model: type[models.Model]
    fields: tuple[str, ...]
    organisation: str | None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def _is_free_text(field: models.Field) -> bool:
    if not field.editable or field.choices:
        return False
    if isinstance(field, (models.EmailField, models.URLField, models.SlugField)):
        return False
    if isinstance(field, models.TextField):
        return True
    return isinstance(field, models.CharField) and (field.max_length or 0) >= 100


def _organisation_path(model: type[models.Model]) -> str | None:
    names = {f.name: f for f in model._meta.concrete_fields}
    if "organisation" in names:
        return "organisation_id"
    for field in model._meta.concrete_fields:
        target = field.related_model if field.many_to_one else None
        if isinstance(target, type) and any(
            f.name == "organisation" for f in target._meta.concrete_fields
        ):
            return f"{field.name}__organisation_id"
    return None


def field_sources() -> list[FieldSource]:
    """Every model of our apps with free-text columns (found by introspection, so a model
    added later is scanned without touching this code)."""
    sources = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in APPS or meta.label_lower in SKIP_MODELS or meta.proxy:
            continue
        fields = tuple(f.name for f in meta.concrete_fields if _is_free_text(f))
        if fields:
            sources.append(FieldSource(model, fields, _organisation_path(model)))
    return sources


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def file_text(path: Path) -> str:
    """The text of a file: PDF through pypdf, zip-based office files member by member,
    plain text as is; other files are not read."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(path)
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except (PdfReadError, OSError, ValueError) as exc:
            logger.warning("discovery: cannot read %s: %s", path.name, type(exc).__name__)
            return ""
    if suffix in ZIP_SUFFIXES:
        try:
            with zipfile.ZipFile(path) as archive:
                return SEP.join(
                    re.sub(r"<[^>]+>", " ", archive.read(n).decode("utf-8", "replace"))
                    for n in archive.namelist()
                    if not n.endswith("/")
                )
        except (OSError, zipfile.BadZipFile):
            return ""
    if suffix in TEXT_SUFFIXES:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    return ""


def _file_organisations() -> dict[str, int]:
    """Relative path -> organisation for the files the product wrote (exports, outbound
    files) and, by folder, outbound/<organisation id>/."""
    owners = dict(ExportJob.objects.exclude(file="").values_list("file", "organisation_id"))
    owners.update(OutboundExport.objects.exclude(file="").values_list("file", "organisation_id"))
    return owners


def _file_organisation(relative: str, owners: dict[str, int], known: set[int]) -> int | None:
    if relative in owners:
        return owners[relative]
    parts = relative.split("/")
    if len(parts) > 2 and parts[0] == "outbound" and parts[1].isdigit():
        candidate = int(parts[1])
        return candidate if candidate in known else None
    return None


# --- a run ------------------------------------------------------------------------------------


@dataclass
class Found:
    organisation_id: int | None
    kind: str
    source: str
    model: str
    object_id: str
    field: str
    path: str
    masked: str
    context: str
    value_hash: str


class Scanner:
    """Collects the hits of one run keyed by fingerprint."""

    def __init__(self) -> None:
        self.found: dict[str, Found] = {}
        self.values = 0
        self.files = 0

    def add(
        self,
        *,
        text: str,
        hit: Hit,
        organisation_id,
        source,
        model="",
        object_id="",
        field="",
        path="",
    ) -> None:
        hashed = value_hash(hit.kind, hit.value)
        place = f"{source}|{model}|{object_id}|{field}|{path}"
        key = fingerprint(place=place, kind=hit.kind, hashed=hashed)
        if key not in self.found:
            self.found[key] = Found(
                organisation_id,
                hit.kind,
                source,
                model,
                object_id,
                field,
                path,
                mask(hit.kind, hit.value),
                _context(text, hit),
                hashed,
            )

    def scan_rows(self, source: FieldSource, rows: Iterable[tuple]) -> None:
        """rows: (pk, organisation id, *field values)."""
        batch_values: list[str] = []
        batch_meta: list[tuple] = []
        for row in rows:
            pk, org = row[0], row[1]
            for name, value in zip(source.fields, row[2:], strict=True):
                if value:
                    batch_values.append(value)
                    batch_meta.append((pk, org, name))
            if len(batch_values) >= CHUNK:
                self._flush(source, batch_values, batch_meta)
                batch_values, batch_meta = [], []
        self._flush(source, batch_values, batch_meta)

    def _flush(self, source: FieldSource, values: list[str], meta: list[tuple]) -> None:
        self.values += len(values)
        for index, hit in scan_values(values):
            pk, org, name = meta[index]
            self.add(
                text=values[index],
                hit=hit,
                organisation_id=org,
                source="field",
                model=source.label,
                object_id=str(pk),
                field=name,
            )

    def scan_file(self, path: Path, relative: str, organisation_id: int | None) -> None:
        """A file's hits. Our own exports (exports/, outbound/) carry e-mails and phones by
        design (the recipient needs them): there only CPR numbers are findings."""
        text = file_text(path)
        self.files += 1
        ours = relative.split("/")[0] in EXPORT_DIRS
        for hit in find(text):
            if ours and hit.kind != FindingKind.CPR:
                continue
            self.add(
                text=text, hit=hit, organisation_id=organisation_id, source="file", path=relative
            )


def _rows(source: FieldSource) -> Iterator[tuple]:
    qs: QuerySet = models.QuerySet(model=source.model)  # also append-only models' rows
    org = source.organisation or "pk"
    rows = qs.order_by("pk").values_list("pk", org, *source.fields)
    for row in rows.iterator(chunk_size=CHUNK):
        yield row if source.organisation else (row[0], None, *row[2:])


def discovery_run_create(*, actor=None) -> DiscoveryRun:
    """Queue a scan (the screen's button; the beat schedule runs one nightly)."""
    from .tasks import discovery_run_task

    active = DiscoveryRun.objects.filter(
        status__in=[DiscoveryRun.Status.QUEUED, DiscoveryRun.Status.RUNNING]
    ).first()
    if active is not None:
        return active
    run = DiscoveryRun.objects.create(started_by=actor)
    transaction.on_commit(lambda: discovery_run_task.delay(run.pk))
    return run


def discovery_run(*, run_id: int | None = None) -> DiscoveryRun:
    """Scan everything and record the findings (a new run when `run_id` is None)."""
    run = DiscoveryRun.objects.get(pk=run_id) if run_id else DiscoveryRun.objects.create()
    if run.is_finished:
        return run
    sources = field_sources()
    root = Path(settings.MEDIA_ROOT)
    files = _files(root)
    DiscoveryRun.objects.filter(pk=run.pk).update(
        status=DiscoveryRun.Status.RUNNING, total=len(sources) + len(files), done=0
    )
    scanner = Scanner()
    done = 0
    for source in sources:
        scanner.scan_rows(source, _rows(source))
        done += 1
        DiscoveryRun.objects.filter(pk=run.pk).update(done=done, values_scanned=scanner.values)
    owners = _file_organisations()
    known = set(Organisation.objects.values_list("pk", flat=True))
    for path in files:
        relative = path.relative_to(root).as_posix()
        scanner.scan_file(path, relative, _file_organisation(relative, owners, known))
        done += 1
        if done % 50 == 0:
            DiscoveryRun.objects.filter(pk=run.pk).update(done=done)
    new = _record(run, scanner)
    DiscoveryRun.objects.filter(pk=run.pk).update(
        status=DiscoveryRun.Status.DONE,
        done=done,
        values_scanned=scanner.values,
        files_scanned=scanner.files,
        findings=len(scanner.found),
        new_findings=new,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def _record(run: DiscoveryRun, scanner: Scanner) -> int:
    """Upsert the findings by fingerprint (a decision taken stays), link CPR findings to
    known people, and mark open findings no longer seen as gone. Returns the new ones."""
    now = timezone.now()
    keys = list(scanner.found)
    cpr_hashes = {f.value_hash for f in scanner.found.values() if f.kind == FindingKind.CPR}
    people: dict[tuple[str, int | None], int] = {
        (h, org): pk
        for pk, h, org in Person.objects.filter(cpr_hash__in=cpr_hashes).values_list(
            "pk", "cpr_hash", "organisation_id"
        )
    }
    new = 0
    with transaction.atomic():
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            existing = set(
                DiscoveryFinding.objects.filter(fingerprint__in=chunk).values_list(
                    "fingerprint", flat=True
                )
            )
            DiscoveryFinding.objects.filter(fingerprint__in=existing).update(
                last_seen=now, last_run=run
            )
            DiscoveryFinding.objects.filter(
                fingerprint__in=existing, status=FindingStatus.GONE
            ).update(status=FindingStatus.OPEN)
            rows = []
            for key in chunk:
                if key in existing:
                    continue
                f = scanner.found[key]
                rows.append(
                    DiscoveryFinding(
                        fingerprint=key,
                        last_seen=now,
                        last_run=run,
                        person_id=people.get((f.value_hash, f.organisation_id)),
                        organisation_id=f.organisation_id,
                        kind=f.kind,
                        source=f.source,
                        model=f.model,
                        object_id=f.object_id,
                        field=f.field,
                        path=f.path,
                        masked=f.masked,
                        context=f.context,
                        value_hash=f.value_hash,
                    )
                )
            DiscoveryFinding.objects.bulk_create(rows)
            new += len(rows)
        DiscoveryFinding.objects.filter(status=FindingStatus.OPEN).exclude(last_run=run).update(
            status=FindingStatus.GONE
        )
    return new


# --- caseworkers' decisions -------------------------------------------------------------------


def finding_list(*, organisation: Organisation | None) -> QuerySet[DiscoveryFinding]:
    if organisation is None:
        return DiscoveryFinding.objects.none()
    return (
        DiscoveryFinding.objects.filter(organisation=organisation)
        .select_related("person", "resolved_by")
        .order_by("-last_seen", "-pk")
    )


def _resolve(finding: DiscoveryFinding, *, status: str, actor, resolution: str) -> None:
    DiscoveryFinding.objects.filter(pk=finding.pk).update(
        status=status, resolved_by=actor, resolved_at=timezone.now(), resolution=resolution[:300]
    )
    finding.refresh_from_db()


def finding_dismiss(*, finding: DiscoveryFinding, actor, reason: str = "") -> DiscoveryFinding:
    """Not personal data (a lease number that looks like a date ...): stays dismissed."""
    if finding.status != FindingStatus.OPEN:
        raise DomainError(_("Fundet er allerede behandlet."))
    _resolve(
        finding,
        status=FindingStatus.DISMISSED,
        actor=actor,
        resolution=reason.strip() or _("Afvist: ikke persondata"),
    )
    return finding


def _matching(text: str, finding: DiscoveryFinding) -> list[Hit]:
    place = f"{finding.source}|{finding.model}|{finding.object_id}|{finding.field}|{finding.path}"
    return [
        hit
        for hit in find(text)
        if hit.kind == finding.kind
        and fingerprint(place=place, kind=hit.kind, hashed=value_hash(hit.kind, hit.value))
        == finding.fingerprint
    ]


def _replace(text: str, hits: list[Hit], kind: str) -> str:
    for hit in sorted(hits, key=lambda h: h.start, reverse=True):
        text = text[: hit.start] + REPLACEMENT[kind] + text[hit.end :]
    return text


def finding_redact(*, finding: DiscoveryFinding, actor) -> DiscoveryFinding:
    """Remove the found value from where it lies:

    - a field: the value is replaced by "[CPR fjernet]" (e-mail, telefon) in that row;
    - one of our export files (exports/, outbound/): the file is deleted (it can be made
      again from the data) and the export marked as without file;
    - another text or office file: rewritten with the value replaced;
    - a PDF: refused (a PDF cannot be edited safely): upload a redacted copy instead."""
    if finding.status != FindingStatus.OPEN:
        raise DomainError(_("Fundet er allerede behandlet."))
    with transaction.atomic():
        redact = _redact_field if finding.source == "field" else _redact_file
        resolution = redact(finding)
        _resolve(finding, status=FindingStatus.REDACTED, actor=actor, resolution=resolution)
    return finding


def _redact_field(finding: DiscoveryFinding) -> str:
    model = apps.get_model(finding.model)
    qs: QuerySet = models.QuerySet(model=model).filter(pk=finding.object_id)
    current = qs.values_list(finding.field, flat=True).first() or ""
    hits = _matching(current, finding)
    if not hits:
        raise DomainError(_("Værdien findes ikke længere i feltet. Kør en ny scanning."))
    qs.update(**{finding.field: _replace(current, hits, finding.kind)})
    return _("Fjernet fra feltet %s") % finding.field


def _redact_file(finding: DiscoveryFinding) -> str:
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / finding.path).resolve()
    if root not in path.parents or not path.is_file():
        raise DomainError(_("Filen findes ikke længere. Kør en ny scanning."))
    if finding.path.split("/")[0] in EXPORT_DIRS:
        path.unlink()
        ExportJob.objects.filter(file=finding.path).update(file="")
        OutboundExport.objects.filter(file=finding.path).update(file="")
        DiscoveryFinding.objects.filter(path=finding.path, status=FindingStatus.OPEN).exclude(
            pk=finding.pk
        ).update(status=FindingStatus.REDACTED, resolution=_("Filen er slettet"))
        return _("Udtræksfilen er slettet (kan dannes igen)")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
        hits = _matching(text, finding)
        if not hits:
            raise DomainError(_("Værdien findes ikke længere i filen. Kør en ny scanning."))
        path.write_text(_replace(text, hits, finding.kind), encoding="utf-8")
        return _("Fjernet fra filen")
    if suffix in ZIP_SUFFIXES:
        return _redact_zip(path, finding)
    raise DomainError(
        _(
            "En PDF-fil kan ikke rettes automatisk. Upload en kopi, hvor oplysningen er "
            "sløret, og slet originalen; afvis derefter fundet."
        )
    )


def _redact_zip(path: Path, finding: DiscoveryFinding) -> str:
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    changed = False
    for name, data in members.items():
        text = data.decode("utf-8", "replace")
        hits = [
            h
            for h in find(text)
            if mask(h.kind, h.value) == finding.masked and h.kind == finding.kind
        ]
        hits = [h for h in hits if value_hash(h.kind, h.value) == finding.value_hash]
        if hits:
            members[name] = _replace(text, hits, finding.kind).encode("utf-8")
            changed = True
    if not changed:
        raise DomainError(_("Værdien findes ikke længere i filen. Kør en ny scanning."))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return _("Fjernet fra filen")

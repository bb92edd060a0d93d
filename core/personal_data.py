"""What every app holds about a person: one registry every app fills and `gdpr` reads.

core imports no app, so it knows nothing of people, leases or applicants. Each app writes
one provider in `<app>/personal_data.py` (a subclass of `Provider`) and registers it in its
`AppConfig.ready()` with `registry.register(...)`; `gdpr` (access bundles, portability,
erasure, restriction, the retention run) only ever calls the module functions below.

The data subject
    `Subject` names one human (or, for the retention run, a batch of humans of one
    organisation) by the records that are theirs: tenancy `Person` ids, waiting-list
    `Applicant` ids, login user ids, keyed CPR hashes, and `identifiers` (the strings that
    identify them in free text: names, e-mails, phones, CPR numbers with and without dash).
    `organisation_ids` is the scope: records of other organisations are never touched or
    shown, even when the CPR hash matches.

What a provider answers (every method gets the subject and must stay inside its scope)
    - `match(subject, link=...)`: the subject with what this app holds added: CPR hashes,
      identifiers and login user ids of the records named, and with `link=True` also the
      ids of its records found by CPR hash (a tenant found as an applicant, and back).
      `resolve()` calls every provider until nothing new is found, so one request covers
      every app. The retention run resolves with `link=False`: a former tenant is
      anonymised, not the same human's current application.
    - `collect(subject)`: titled `Section`s of rows for the access bundle; a section says
      whether the person provided the data themselves (`provided_by_subject`, portability).
    - `must_keep(subject)`: `Keep` reasons something must stay: `blocks=True` when the
      person may not be anonymised yet (an active lease, an unresolved debt); `False` for
      what survives anonymisation (lease documents, bookkeeping records without the name).
    - `anonymise(subject)`: remove the subject's personal data from every row the app
      holds (and files it wrote), copies included; return the number of rows changed.
      Idempotent: a second call finds nothing left and returns 0.
    - `restrict(subject, on=...)`: flag (or unflag) the app's own rows; the app's services
      refuse processing a flagged person (no offers, no CPR lookups, no exports except
      legal ones). Return the number of rows flagged or unflagged.

Providers run in registration order (app order in INSTALLED_APPS). `anonymise()` is called
inside the caller's transaction; providers must not commit on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

SCRUBBED = "[slettet]"


@dataclass(frozen=True)
class Subject:
    """A data subject (or a batch of them in one organisation), by their records."""

    organisation_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()
    applicant_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()
    cpr_hashes: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        organisation_ids: Iterable[int] = (),
        person_ids: Iterable[int] = (),
        applicant_ids: Iterable[int] = (),
        user_ids: Iterable[int] = (),
        cpr_hashes: Iterable[str] = (),
        identifiers: Iterable[str] = (),
    ) -> Subject:
        return cls(
            frozenset(organisation_ids),
            frozenset(person_ids),
            frozenset(applicant_ids),
            frozenset(user_ids),
            frozenset(h for h in cpr_hashes if h),
            frozenset(i for i in identifiers if i and i.strip()),
        )

    def add(self, **more: Iterable) -> Subject:
        """This subject with more ids, hashes or identifiers (empty values are dropped)."""
        values = {}
        for name, extra in more.items():
            current = getattr(self, name)
            values[name] = current | frozenset(v for v in extra if v not in ("", None))
        return replace(self, **values)

    @property
    def is_empty(self) -> bool:
        return not (self.person_ids or self.applicant_ids or self.cpr_hashes)


@dataclass(frozen=True)
class Section:
    """One titled table of the access bundle: rows of label -> JSON-safe value."""

    app: str
    key: str  # stable, e.g. "tenancy.person"
    title: str  # Danish, for the readable document
    rows: list[dict[str, object]] = field(default_factory=list)
    provided_by_subject: bool = False  # the person gave it (portability)


@dataclass(frozen=True)
class Keep:
    """Why something must stay. `blocks`: the person may not be anonymised yet."""

    app: str
    reason: str  # Danish, shown to the caseworker and in the answer to the person
    blocks: bool = False


@dataclass(frozen=True)
class Due:
    """One person whose retention period has passed: the subject to anonymise, how the
    preview names them (`label`, `detail`) and the cursor to resume after them."""

    subject: Subject
    label: str
    detail: str
    cursor: int


class Provider:
    """What one app holds about a person. Subclass in `<app>/personal_data.py`.

    Retention (gdpr's schedule and nightly run): an app handles the categories named by
    `retention_keys()` (keys of gdpr's RetentionRule rows). For a category of people the
    run asks `retention_due()` for the next people past `before` (by cursor) and anonymises
    them through the registry; for a category of records it calls `retention_purge()` until
    it returns 0. `retention_count()` feeds the preview. `scope` is the organisation ids
    (None: every organisation, the nightly run)."""

    app: str = ""

    def match(self, subject: Subject, *, link: bool) -> Subject:
        return subject

    def collect(self, subject: Subject) -> list[Section]:
        raise NotImplementedError

    def must_keep(self, subject: Subject) -> list[Keep]:
        return []

    def anonymise(self, subject: Subject) -> int:
        raise NotImplementedError

    def restrict(self, subject: Subject, *, on: bool) -> int:
        return 0

    def retention_keys(self) -> list[str]:
        return []

    def retention_due(
        self, key: str, *, before: datetime, scope: frozenset[int] | None, after: int, limit: int
    ) -> list[Due]:
        return []

    def retention_count(self, key: str, *, before: datetime, scope: frozenset[int] | None) -> int:
        return 0

    def retention_purge(
        self, key: str, *, before: datetime, scope: frozenset[int] | None, limit: int
    ) -> int:
        return 0


class Registry:
    """The registered providers in order; registering a provider class again replaces the
    earlier instance (an app may register more than one class, one per area)."""

    def __init__(self) -> None:
        self._providers: dict[type, Provider] = {}

    def register(self, provider: Provider) -> Provider:
        if not provider.app:
            raise ValueError("A personal-data provider names its app.")
        self._providers[type(provider)] = provider
        return provider

    def unregister(self, provider_class: type) -> None:
        self._providers.pop(provider_class, None)

    def __iter__(self):
        return iter(list(self._providers.values()))

    def for_retention(self, key: str) -> Provider | None:
        """The provider that handles a retention category (None: no app does)."""
        return next((p for p in self if key in p.retention_keys()), None)


registry = Registry()


def resolve(subject: Subject, *, link: bool = True) -> Subject:
    """Every record of the subject across apps (see the module docstring)."""
    for _round in range(5):
        found = subject
        for provider in registry:
            found = provider.match(found, link=link)
        if found == subject:
            break
        subject = found
    return subject


def collect(subject: Subject) -> list[Section]:
    return [section for provider in registry for section in provider.collect(subject)]


def must_keep(subject: Subject) -> list[Keep]:
    return [keep for provider in registry for keep in provider.must_keep(subject)]


def anonymise(subject: Subject) -> dict[str, int]:
    """Run every provider's anonymisation; rows changed per app."""
    counts: dict[str, int] = {}
    for provider in registry:
        counts[provider.app] = counts.get(provider.app, 0) + provider.anonymise(subject)
    return counts


def restrict(subject: Subject, *, on: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for provider in registry:
        counts[provider.app] = counts.get(provider.app, 0) + provider.restrict(subject, on=on)
    return counts


# --- helpers for providers ------------------------------------------------------------------


def cpr_forms(cpr: str) -> list[str]:
    """A CPR number as it may be written: 10 digits and DDMMYY-SSSS."""
    digits = re.sub(r"\D", "", cpr or "")
    return [digits, f"{digits[:6]}-{digits[6:]}"] if len(digits) == 10 else []


class _Matcher:
    """Finds any of many identifiers in a text, case-insensitively, in one pass: the
    needles are indexed by their first three letters, so a batch of thousands of people's
    names costs no more per character of text than one (a regex alternation of thousands
    takes seconds to compile and is slow to run)."""

    def __init__(self, needles: Iterable[str]) -> None:
        self.index: dict[str, list[str]] = {}
        for needle in sorted({n.strip().lower() for n in needles}, key=len, reverse=True):
            if len(needle) >= 3:
                self.index.setdefault(needle[:3], []).append(needle)

    def __bool__(self) -> bool:
        return bool(self.index)

    def spans(self, text: str):
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer: no offsets
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        i, end = 0, len(lowered) - 2
        index = self.index
        while i < end:
            candidates = index.get(lowered[i : i + 3])
            if candidates:
                hit = next((n for n in candidates if lowered.startswith(n, i)), None)
                if hit:
                    yield i, i + len(hit)
                    i += len(hit)
                    continue
            i += 1

    def search(self, text: str) -> bool:
        return next(self.spans(text), None) is not None

    def sub(self, replacement: str, text: str) -> str:
        parts, last = [], 0
        for start, stop in self.spans(text):
            parts += [text[last:start], replacement]
            last = stop
        return "".join(parts) + text[last:] if parts else text


@lru_cache(maxsize=64)
def _compiled(needles: frozenset[str]) -> _Matcher | None:
    matcher = _Matcher(needles)
    return matcher if matcher else None


def _pattern(identifiers: Iterable[str]) -> _Matcher | None:
    return _compiled(identifiers if isinstance(identifiers, frozenset) else frozenset(identifiers))


def scrub_text(text: str, identifiers: Iterable[str]) -> str:
    """`text` with every identifier (case-insensitive) replaced by SCRUBBED."""
    if not text:
        return text
    pattern = _pattern(identifiers)
    return pattern.sub(SCRUBBED, text) if pattern else text


def scrub_value(value, identifiers: Iterable[str]):
    """A JSON value (dict/list/str) with every identifier in its strings scrubbed."""
    pattern = _pattern(identifiers)
    if pattern is None:
        return value

    def walk(v):
        if isinstance(v, str):
            return pattern.sub(SCRUBBED, v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    return walk(value)


def mentions(text: str, identifiers: Iterable[str]) -> bool:
    pattern = _pattern(identifiers)
    return bool(text and pattern and pattern.search(text))


def scrub_rows(queryset, identifiers, *fields: str) -> int:
    """Scrub the identifiers out of the text fields of the rows; rows changed."""
    changed = []
    for row in queryset.distinct().only("pk", *fields):
        before = [getattr(row, f) for f in fields]
        after = [scrub_text(v, identifiers) for v in before]
        if after != before:
            for name, value in zip(fields, after, strict=True):
                setattr(row, name, value)
            changed.append(row)
    rows_update(changed, list(fields))
    return len(changed)


def rows_update(rows: list, fields: list[str], *, chunk: int = 1000) -> int:
    """Save `fields` of many rows of one model, each with its own values. On PostgreSQL one
    UPDATE ... FROM (VALUES ...) per chunk (Django's bulk_update builds a CASE per field and
    row, which costs seconds for a batch of a retention run); elsewhere bulk_update."""
    from django.db import connections, router

    if not rows:
        return 0
    model = type(rows[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(rows, fields, batch_size=200)
        return len(rows)
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    pk = meta.pk
    casts = [pk.db_type(connection)] + [f.db_type(connection) for f in columns]
    names = [quote(pk.column)] + [quote(f.column) for f in columns]
    assignments = ", ".join(f"{n} = v.{n}" for n in names[1:])
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values, params = [], []
        for row in part:
            values.append("(" + ", ".join(f"%s::{cast}" for cast in casts) + ")")
            params.append(pk.get_db_prep_save(row.pk, connection))
            params += [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
        sql = (
            f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
            f"FROM (VALUES {', '.join(values)}) AS v({', '.join(names)}) "
            f"WHERE t.{names[0]} = v.{names[0]}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    return len(rows)


# --- core's own provider: the security log, logins' sessions, the admin log, login attempts --


class CorePersonalData(Provider):
    """The security log names people only by id (what happened to their record, their own
    logins); the admin log and the login-attempt log can hold names and e-mails as text;
    sessions belong to the subject's logins."""

    app = "core"

    def _events(self, subject: Subject):
        from django.db.models import Q

        from .models import SecurityEvent

        about = Q(object_type="person", object_id__in=[str(i) for i in subject.person_ids])
        about |= Q(object_type="applicant", object_id__in=[str(i) for i in subject.applicant_ids])
        return SecurityEvent.objects.filter(about | Q(user_id__in=subject.user_ids))

    def collect(self, subject: Subject) -> list[Section]:
        return [
            Section(
                self.app,
                "core.security_events",
                "Sikkerhedslog",
                [
                    {"Tidspunkt": e.at.isoformat(), "Hændelse": str(e.get_kind_display())}
                    for e in self._events(subject).order_by("at", "pk")
                ],
            )
        ]

    def anonymise(self, subject: Subject) -> int:
        """End the logins' sessions; scrub the admin log's entries about the subject's
        records; delete the login attempts made with an identifier as username."""
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import Q

        changed = sessions_delete(subject.user_ids)
        about = Q(pk__in=[])
        for label, ids in (
            ("tenancy.person", subject.person_ids),
            ("waitlist.applicant", subject.applicant_ids),
            ("auth.user", subject.user_ids),
        ):
            app_label, model = label.split(".")
            kind = ContentType.objects.filter(app_label=app_label, model=model).first()
            if kind is not None and ids:
                about |= Q(content_type=kind, object_id__in=[str(i) for i in ids])
        entries = LogEntry.objects.filter(about)
        changed += scrub_rows(entries, subject.identifiers, "object_repr", "change_message")
        changed += entries.exclude(object_repr=SCRUBBED).update(object_repr=SCRUBBED)
        return changed + _login_attempts_delete(subject.identifiers)

    # --- retention: expired sessions (the whole installation; no organisation scope) ---

    def retention_keys(self) -> list[str]:
        return [SESSIONS]

    def _expired(self, before: datetime):
        from django.contrib.sessions.models import Session

        return Session.objects.filter(expire_date__lt=before)

    def retention_count(self, key, *, before, scope) -> int:
        return self._expired(before).count() if scope is None else 0

    def retention_purge(self, key, *, before, scope, limit) -> int:
        if scope is not None:
            return 0
        keys = list(self._expired(before).values_list("pk", flat=True)[:limit])
        return self._expired(before).filter(pk__in=keys).delete()[0]


SESSIONS = "sessions"


def _login_attempts_delete(identifiers) -> int:
    """django-axes keeps the username typed at each login attempt: an e-mail, often."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.db.models.functions import Lower

    wanted = sorted({i.strip().casefold() for i in identifiers if i.strip()})
    if not wanted:
        return 0
    count = 0
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        rows = model.objects.annotate(typed=Lower("username")).filter(typed__in=wanted)
        count += model.objects.filter(pk__in=rows.values("pk")).delete()[0]
    return count


def sessions_delete(user_ids) -> int:
    """End every stored session of the given logins (the session data holds the user id)."""
    if not user_ids:
        return 0
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    wanted = {str(u) for u in user_ids}
    doomed = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if str(s.get_decoded().get("_auth_user_id")) in wanted
    ]
    return Session.objects.filter(pk__in=doomed).delete()[0]

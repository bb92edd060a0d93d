"""The retention schedule carried out: the preview, the runs and anonymising one person.

Every app says what it holds and how it is removed (core.personal_data); this module only
walks the schedule (gdpr.models.RetentionRule) and asks the app that handles each category.

A run is resumable and idempotent. It works in batches, each in its own transaction with
the run row's progress and cursor, so a worker killed half-way loses at most the batch it
was in, and `run_process` started again continues after the last committed cursor. People
already anonymised and records already deleted are not due any more, so a second run over
the same data finds nothing to do.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import personal_data
from core.errors import DomainError
from core.personal_data import Due, Keep, Subject
from tenancy.models import Organisation, Person
from tenancy.personal_data import TENANTS, tenants_due

from ..models import RetentionKept, RetentionRule, RetentionRun
from ..models.retention import RetentionAction, RunStatus

BATCH = 500
PREVIEW_PEOPLE = 25


def rules(*, enabled_only: bool = False):
    rows = RetentionRule.objects.select_related("updated_by").order_by("position", "pk")
    return rows.filter(enabled=True) if enabled_only else rows


def is_people_rule(rule: RetentionRule) -> bool:
    return rule.action == RetentionAction.ANONYMISE


def _scope(organisation: Organisation | None) -> frozenset[int] | None:
    return None if organisation is None else frozenset([organisation.pk])


# --- the preview -------------------------------------------------------------------------


@dataclass
class PreviewPerson:
    label: str
    detail: str
    keep: list[Keep]
    person_id: int | None
    applicant_id: int | None

    @property
    def blocked(self) -> bool:
        return any(k.blocks for k in self.keep)


@dataclass
class PreviewRow:
    rule: RetentionRule
    cutoff: datetime
    handled: bool
    count: int = 0
    people: list[PreviewPerson] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.people)) if is_people_rule(self.rule) else 0


def _preview_person(due: Due) -> PreviewPerson:
    subject = personal_data.resolve(due.subject, link=False)
    return PreviewPerson(
        label=due.label,
        detail=due.detail,
        keep=personal_data.must_keep(subject),
        person_id=next(iter(due.subject.person_ids), None),
        applicant_id=next(iter(due.subject.applicant_ids), None),
    )


def preview(
    *, organisation: Organisation | None, now: datetime | None = None, sample: int = PREVIEW_PEOPLE
) -> list[PreviewRow]:
    """What the next run will do: per rule the cut-off, how much is due and, for people,
    who (the first `sample`, each with what keeps them)."""
    now = now or timezone.now()
    scope = _scope(organisation)
    rows = []
    for rule in rules(enabled_only=True):
        cutoff = rule.cutoff(now)
        provider = personal_data.registry.for_retention(rule.key)
        row = PreviewRow(rule=rule, cutoff=cutoff, handled=provider is not None)
        if provider is not None:
            row.count = provider.retention_count(rule.key, before=cutoff, scope=scope)
            if is_people_rule(rule) and row.count:
                due = provider.retention_due(
                    rule.key, before=cutoff, scope=scope, after=0, limit=sample
                )
                row.people = [_preview_person(d) for d in due]
        rows.append(row)
    return rows


# --- runs ----------------------------------------------------------------------------------


def run_unfinished(*, organisation: Organisation | None) -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(organisation=organisation)
        .exclude(status__in=[RunStatus.DONE, RunStatus.FAILED])
        .order_by("pk")
        .first()
    )


def run_create(
    *,
    organisation: Organisation | None,
    user=None,
    scheduled: bool = False,
    now: datetime | None = None,
) -> RetentionRun:
    """A new run for one organisation (None: every organisation, the nightly run), with its
    total counted from the preview. Refused while another run of the same scope is open."""
    now = now or timezone.now()
    with transaction.atomic():
        if organisation is not None:  # serialise two clicks on "run now"
            Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        if run_unfinished(organisation=organisation) is not None:
            raise DomainError(_("En sletningskørsel er allerede i gang. Vent til den er færdig."))
        scope = _scope(organisation)
        total = 0
        for rule in rules(enabled_only=True):
            provider = personal_data.registry.for_retention(rule.key)
            if provider is not None:
                total += provider.retention_count(rule.key, before=rule.cutoff(now), scope=scope)
        return RetentionRun.objects.create(
            organisation=organisation,
            started_by=user if getattr(user, "is_authenticated", False) else None,
            scheduled=scheduled,
            as_of=now,
            total=total,
        )


def run_resume(*, run: RetentionRun) -> RetentionRun:
    """Put a failed or stalled run back in the queue; it continues from its cursors."""
    if run.status == RunStatus.DONE:
        raise DomainError(_("Kørslen er færdig og kan ikke genoptages."))
    RetentionRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, error="")
    run.refresh_from_db()
    return run


def run_process(*, run_id: int, batch: int = BATCH) -> RetentionRun:
    """Carry out the run (or what is left of it). Safe to call twice or after a crash."""
    run = RetentionRun.objects.get(pk=run_id)
    if run.status == RunStatus.DONE:
        return run
    RetentionRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=run.started_at or timezone.now(), error=""
    )
    try:
        for rule in rules(enabled_only=True):
            if rule.key in run.finished_keys:
                continue
            provider = personal_data.registry.for_retention(rule.key)
            if provider is not None:
                _rule_process(run, rule, provider, batch)
            _key_finished(run, rule.key)
    except Exception as exc:
        RetentionRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    RetentionRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _key_finished(run: RetentionRun, key: str) -> None:
    run.refresh_from_db(fields=["finished_keys"])
    if key not in run.finished_keys:
        run.finished_keys = [*run.finished_keys, key]
        RetentionRun.objects.filter(pk=run.pk).update(finished_keys=run.finished_keys)


def _rule_process(run: RetentionRun, rule: RetentionRule, provider, batch: int) -> None:
    scope = _scope(run.organisation)
    cutoff = rule.cutoff(run.as_of)
    while True:
        run.refresh_from_db(fields=["cursors", "counts"])
        with transaction.atomic():
            if is_people_rule(rule):
                after = int(run.cursors.get(rule.key, 0))
                due = provider.retention_due(
                    rule.key, before=cutoff, scope=scope, after=after, limit=batch
                )
                if not due:
                    return
                done, kept = _people_anonymise(run, rule.key, due)
                cursor = max(d.cursor for d in due)
            else:
                done = provider.retention_purge(rule.key, before=cutoff, scope=scope, limit=batch)
                if not done:
                    return
                kept, cursor = 0, 0
            _progress(run, rule.key, done=done, kept=kept, cursor=cursor)


def _progress(run: RetentionRun, key: str, *, done: int, kept: int, cursor: int) -> None:
    counts = dict(run.counts)
    counts[key] = counts.get(key, 0) + done
    cursors = dict(run.cursors)
    if cursor:
        cursors[key] = cursor
    RetentionRun.objects.filter(pk=run.pk).update(
        counts=counts,
        cursors=cursors,
        done=F("done") + done,
        failed=F("failed") + kept,
        progress_at=timezone.now(),
    )


def _people_anonymise(run: RetentionRun, key: str, due: list[Due]) -> tuple[int, int]:
    """Anonymise a batch: grouped by scope, all at once when nothing in the group must stay,
    else one by one so that only the kept are kept. Returns (anonymised, kept)."""
    groups: dict[frozenset[int], list[Due]] = defaultdict(list)
    for item in due:
        groups[item.subject.organisation_ids].append(item)
    done = kept = 0
    for orgs, items in groups.items():
        subject = personal_data.resolve(_merged(orgs, items), link=False)
        if not any(k.blocks for k in personal_data.must_keep(subject)):
            personal_data.anonymise(subject)
            done += len(items)
            continue
        for item in items:
            one = personal_data.resolve(item.subject, link=False)
            blocking = [k for k in personal_data.must_keep(one) if k.blocks]
            if blocking:
                _kept(run, key, item, blocking)
                kept += 1
            else:
                personal_data.anonymise(one)
                done += 1
    return done, kept


def _merged(orgs: frozenset[int], items: Iterable[Due]) -> Subject:
    return Subject.of(
        organisation_ids=orgs,
        person_ids=[i for d in items for i in d.subject.person_ids],
        applicant_ids=[i for d in items for i in d.subject.applicant_ids],
    )


def _kept(run: RetentionRun, key: str, item: Due, blocking: list[Keep]) -> None:
    RetentionKept.objects.create(
        run=run,
        key=key,
        person_id=next(iter(item.subject.person_ids), None),
        applicant_id=next(iter(item.subject.applicant_ids), None),
        reason=" ".join(k.reason for k in blocking)[:500],
    )


# --- one person, from the person page ----------------------------------------------------


@dataclass
class PersonRetention:
    rule: RetentionRule
    cutoff: datetime
    due: bool
    keep: list[Keep]

    @property
    def blocked(self) -> bool:
        return any(k.blocks for k in self.keep)


def person_retention(*, person: Person, now: datetime | None = None) -> PersonRetention | None:
    """Whether the tenants' period has passed for the person, and what keeps them."""
    rule = RetentionRule.objects.filter(key=TENANTS, enabled=True).first()
    if rule is None or person.anonymised_at is not None:
        return None
    cutoff = rule.cutoff(now or timezone.now())
    due = tenants_due(before=cutoff, scope=frozenset([person.organisation_id]))
    subject = personal_data.resolve(
        Subject.of(organisation_ids=[person.organisation_id], person_ids=[person.pk]), link=False
    )
    return PersonRetention(
        rule=rule,
        cutoff=cutoff,
        due=due.filter(pk=person.pk).exists(),
        keep=personal_data.must_keep(subject),
    )


def person_anonymise_due(*, person: Person, user, now: datetime | None = None) -> RetentionRun:
    """Run retention for one former tenant whose period has passed (the caseworker's button
    on the person page). Recorded as a run of one, with who started it."""
    now = now or timezone.now()
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        state = person_retention(person=person, now=now)
        if state is None or not state.due:
            raise DomainError(
                _(
                    "Opbevaringsperioden for personen er ikke udløbet; personen kan ikke "
                    "anonymiseres efter sletteguiden endnu."
                )
            )
        if state.blocked:
            raise DomainError(" ".join(k.reason for k in state.keep if k.blocks))
        subject = personal_data.resolve(
            Subject.of(organisation_ids=[person.organisation_id], person_ids=[person.pk]),
            link=False,
        )
        personal_data.anonymise(subject)
        return RetentionRun.objects.create(
            organisation_id=person.organisation_id,
            started_by=user if getattr(user, "is_authenticated", False) else None,
            as_of=now,
            status=RunStatus.DONE,
            total=1,
            done=1,
            counts={TENANTS: 1},
            finished_keys=[TENANTS],
            started_at=now,
            finished_at=timezone.now(),
        )

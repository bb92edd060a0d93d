"""Change history: snapshots of tenancy records before and after each service call, and
the one way they are read back (`history_entries`) for the caseworker pages and the admin."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import formatting
from core.middleware import current_request_id
from core.personal_data import SCRUBBED, mentions, rows_update, scrub_text, scrub_value

from .models import ChangeRecord, Lease, Person

# Never put in a snapshot: the encrypted CPR and its hash are not history anyone reads.
EXCLUDED_FIELDS = {"cpr_encrypted", "cpr_hash", "search_text", "created_at"}
# Fields that carry a person's own data, scrubbed on GDPR erasure.
PERSONAL_FIELDS = {"name", "birth_date", "cpr_masked", "email", "phone", "parties"}


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict:
    """A JSON-safe dict of the instance's concrete fields (and lease parties by name)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in EXCLUDED_FIELDS:
            continue
        data[field.name] = _plain(getattr(instance, field.attname))
    if isinstance(instance, Lease) and instance.pk:
        data["parties"] = sorted(
            f"{p.name} ({p.cpr_masked})" if p.cpr_masked else p.name for p in instance.parties.all()
        )
    return data


def record_change(
    *,
    instance: models.Model,
    action: str,
    actor,
    before: dict | None,
    after: dict | None,
    people: Iterable[Person] = (),
    correction: bool = False,
    reason: str = "",
) -> ChangeRecord:
    # Every tenancy record carries its organisation (the model base class does not say so).
    record = ChangeRecord.objects.create(
        organisation_id=instance.organisation_id,  # type: ignore[attr-defined]
        content_type=ContentType.objects.get_for_model(instance),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        request_id=current_request_id.get(),
        before=before or {},
        after=after or {},
        correction=correction,
        reason=reason[:300],
    )
    people = list(people)
    if isinstance(instance, Person):
        people.append(instance)
    if people:
        record.people.add(*people)
    return record


def history_for(instance: models.Model):
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_id=instance.pk
    ).select_related("actor")


def history_scrub_person(*, person: Person) -> int:
    """Remove a person's data from every change record that mentions them (GDPR erasure).
    Returns the number of records scrubbed."""
    return history_scrub_people(person_ids=[person.pk], identifiers=[person.name])


def history_scrub_people(*, person_ids: Iterable[int], identifiers: Iterable[str] = ()) -> int:
    """Remove the people's data from every change record linked to them: the personal
    fields of the snapshots, and every identifier (name, e-mail, phone, CPR) wherever else
    it appears in them (another record's snapshot, the object label, the reason). Returns
    the number of records changed; a second call changes none."""
    identifiers = frozenset(identifiers)
    changed = []
    records = (
        ChangeRecord.objects.filter(people__in=list(person_ids))
        .distinct()
        .select_related("content_type")
        .order_by("pk")
    )
    for record in records.iterator(chunk_size=500):
        before = _scrub_snapshot(record.before, identifiers)
        after = _scrub_snapshot(record.after, identifiers)
        label = record.object_repr
        if record.content_type.model == "person":
            label = SCRUBBED
        label = scrub_text(label, identifiers)
        reason = scrub_text(record.reason, identifiers)
        if (before, after, label, reason) != (
            record.before,
            record.after,
            record.object_repr,
            record.reason,
        ):
            record.before, record.after, record.object_repr, record.reason = (
                before,
                after,
                label,
                reason,
            )
            changed.append(record)
    rows_update(changed, ["before", "after", "object_repr", "reason"])
    return len(changed)


def _scrub_snapshot(snap: dict, identifiers: frozenset[str]) -> dict:
    """A lease's parties lose only the entries naming the people (a co-tenant stays); a
    person's own snapshot loses every personal field."""
    snap = dict(snap)
    for key in PERSONAL_FIELDS & set(snap):
        value = snap[key]
        if key == "parties" and isinstance(value, list):
            snap[key] = [SCRUBBED if mentions(str(p), identifiers) else p for p in value]
        elif value not in (None, "", [], SCRUBBED):
            snap[key] = SCRUBBED
    return scrub_value(snap, identifiers)


# --- reading the history back ---------------------------------------------------------------

ACTION_LABELS = {
    "create": gettext_lazy("Oprettet"),
    "update": gettext_lazy("Ændret"),
    "end": gettext_lazy("Afsluttet"),
    "reinstate": gettext_lazy("Genoptaget"),
    "rent_change": gettext_lazy("Huslejeændring"),
}
# Snapshot keys the caseworker pages leave out: ids and links the page shows elsewhere.
LINK_FIELDS = {"id", "organisation", "unit", "entrance", "building", "letting_reference"}


def display_value(field, value):
    """A snapshot value as a caseworker reads it (Danish labels, dates, yes/no)."""
    if value is None or value == "":
        return value
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    choices = dict(getattr(field, "choices", None) or ())
    if value in choices:
        return choices[value]
    if isinstance(field, models.DecimalField):  # issue 11: 7.808,00 kr. / 72,5 m²
        return formatting.area(value) if field.name.endswith("m2") else formatting.money(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return value


class FieldChange(NamedTuple):
    """One field of a change record: `before`/`after` as stored in the snapshots, the
    `_text` forms as a caseworker reads them."""

    name: str
    label: str
    before: object
    after: object
    before_text: object
    after_text: object


def _model_fields(model) -> dict:
    return {f.name: f for f in model._meta.get_fields() if hasattr(f, "verbose_name")}


def field_changes(record: ChangeRecord, fields: dict | None = None) -> list[FieldChange]:
    """The fields the record changed, with labels and readable values. `fields` (name ->
    model field) saves the lookup when many records of one model are read."""
    if fields is None:
        model = record.content_type.model_class()
        fields = _model_fields(model) if model else {}
    changes = []
    for name, before, after in record.changed_fields:
        field = fields.get(name)
        if name == "rent_effective_date":
            label = _("gælder fra")
        else:
            label = str(getattr(field, "verbose_name", name))
        changes.append(
            FieldChange(
                name,
                label,
                before,
                after,
                display_value(field, before),
                display_value(field, after),
            )
        )
    return changes


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a record's history: when, what, who, and which fields changed."""

    record: ChangeRecord
    changes: list[FieldChange]

    @property
    def at(self) -> datetime:
        return timezone.localtime(self.record.at)

    @property
    def action(self) -> str:
        return self.record.action

    @property
    def action_label(self) -> str:
        label = str(ACTION_LABELS.get(self.record.action, self.record.action))
        if self.record.correction:  # a correction of wrong data, with the reason
            label = _("%(label)s (rettelse: %(reason)s)") % {
                "label": label,
                "reason": self.record.reason or "-",
            }
        return label

    @property
    def actor_name(self) -> str:
        """The user's full name, else username; empty for a change made by the system."""
        actor = self.record.actor
        if actor is None:
            return ""
        return actor.get_full_name() or actor.get_username()

    @property
    def readable_changes(self) -> list[FieldChange]:
        """What the caseworker pages list: no field list for a creation, no ids or links."""
        if self.record.action == "create":
            return []
        return [c for c in self.changes if c.name not in LINK_FIELDS]


def history_entries(instance: models.Model, *, limit: int = 100) -> list[HistoryEntry]:
    """The instance's history, newest first."""
    fields = _model_fields(type(instance))
    return [
        HistoryEntry(record=record, changes=field_changes(record, fields))
        for record in history_for(instance)[:limit]
    ]

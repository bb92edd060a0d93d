"""Change history: snapshots of tenancy records before and after each service call."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.middleware import current_request_id

from .models import ChangeRecord, Person

# Never put in a snapshot: the encrypted CPR and its hash are not history anyone reads.
EXCLUDED_FIELDS = {"cpr_encrypted", "cpr_hash", "search_text", "created_at"}
SCRUBBED = "[slettet]"
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
    if instance._meta.model_name == "lease" and instance.pk:
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
) -> ChangeRecord:
    record = ChangeRecord.objects.create(
        organisation_id=instance.organisation_id,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        request_id=current_request_id.get(),
        before=before or {},
        after=after or {},
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
    count = 0
    for record in ChangeRecord.objects.filter(people=person):
        for snap in (record.before, record.after):
            for key in PERSONAL_FIELDS & set(snap):
                snap[key] = SCRUBBED
        if record.content_type.model == "person":
            record.object_repr = SCRUBBED
        record.save(update_fields=["before", "after", "object_repr"])
        count += 1
    return count

"""The disclosure log: recording every transfer of personal data, and reading a person's or
an organisation's transfers (docs/disclosures.md).

Other apps record through `tenancy.hooks.personal_data_disclosed` (registered in
gdpr.apps); gdpr's own exports call `disclosure_record` directly."""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import DomainError
from tenancy import hooks
from tenancy.models import Organisation, Person

from ..models import DataCategory, Disclosure, DisclosurePerson, RecipientKind

_CATEGORIES = {c.value for c in DataCategory}
_KINDS = {k.value for k in RecipientKind}


def _check(event: hooks.Disclosure) -> None:
    unknown = set(event.categories) - _CATEGORIES
    if unknown:
        raise DomainError(f"Ukendt kategori af oplysninger: {', '.join(sorted(unknown))}.")
    if event.recipient_kind not in _KINDS:
        raise DomainError(f"Ukendt modtagertype: {event.recipient_kind}.")
    if not event.recipient.strip():
        raise DomainError("Angiv modtageren af oplysningerne.")
    if not event.legal_basis.strip():
        raise DomainError("Angiv retsgrundlaget for videregivelsen.")


def disclosures_record(events: Sequence[hooks.Disclosure]) -> list[Disclosure]:
    """Write one log row per event and one link per person (bulk: a batch of filings is two
    INSERTs). Registered on tenancy.hooks.personal_data_disclosed; runs in the caller's
    transaction, so the log commits or rolls back with what recorded the transfer."""
    for event in events:
        _check(event)
    now = timezone.now()
    rows = [
        Disclosure(
            organisation_id=e.organisation_id,
            at=e.at or now,
            recipient=e.recipient[:200],
            recipient_kind=e.recipient_kind,
            categories=list(dict.fromkeys(e.categories)),
            legal_basis=e.legal_basis[:300],
            purpose=e.purpose[:300],
            source=e.source[:40],
            reference=e.reference[:200],
            actor_id=e.actor_id,
            person_count=len(set(e.person_ids)),
        )
        for e in events
    ]
    if not rows:
        return []
    with transaction.atomic():
        created = Disclosure.objects.bulk_create(rows)  # ids returned (PostgreSQL, SQLite)
        links = [
            DisclosurePerson(disclosure_id=d.pk, person_id=pid)
            for d, e in zip(created, events, strict=True)
            for pid in dict.fromkeys(e.person_ids)
        ]
        DisclosurePerson.objects.bulk_create(links, batch_size=2000)
    return created


def disclosure_record(
    *,
    organisation: Organisation,
    recipient: str,
    recipient_kind: str,
    categories: Iterable[str],
    people: Iterable[Person] | Iterable[int],
    legal_basis: str,
    purpose: str,
    source: str,
    reference: str = "",
    actor=None,
) -> Disclosure:
    """Record one transfer (gdpr's own exports). `people`: persons or their ids."""
    person_ids = tuple(p if isinstance(p, int) else p.pk for p in people)
    event = hooks.Disclosure(
        organisation_id=organisation.pk,
        recipient=recipient,
        recipient_kind=recipient_kind,
        categories=tuple(categories),
        person_ids=person_ids,
        legal_basis=legal_basis,
        purpose=purpose,
        source=source,
        reference=reference,
        actor_id=getattr(actor, "pk", None),
    )
    return disclosures_record([event])[0]


# --- reads -------------------------------------------------------------------------------


def person_disclosures(*, person: Person) -> QuerySet[Disclosure]:
    """Every transfer that carried data about `person`, newest first (the access bundle and
    the recipients to tell of a rectification or erasure). The caller has already found
    the person through the user's scope."""
    return (
        Disclosure.objects.filter(links__person=person, organisation_id=person.organisation_id)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def person_recipients(*, person: Person) -> list[str]:
    """The distinct recipients of `person`'s data (for rectification/erasure notices)."""
    seen: dict[str, None] = {}
    for recipient in person_disclosures(person=person).values_list("recipient", flat=True):
        seen.setdefault(recipient, None)
    return list(seen)


def disclosure_list(*, organisation: Organisation | None) -> QuerySet[Disclosure]:
    """The organisation's disclosure log, newest first."""
    if organisation is None:
        return Disclosure.objects.none()
    return (
        Disclosure.objects.filter(organisation=organisation)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


def disclosure_people(*, disclosure: Disclosure) -> QuerySet[Person]:
    return Person.objects.filter(
        pk__in=DisclosurePerson.objects.filter(disclosure=disclosure).values("person_id")
    ).order_by("name", "pk")

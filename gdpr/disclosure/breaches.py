"""The breach register (GDPR Art. 33/34; docs/disclosures.md): record a breach, its
72-hour deadline to Datatilsynet, the persons affected (from the disclosure log or a query
on the portfolio), the drafted notices to them, and the dashboard warning while the
deadline runs."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenancy.hooks import AttentionItem
from tenancy.models import Lease, Organisation, Person, Property

from ..models import Breach, BreachPerson, BreachRisk, DataCategory, Disclosure, DisclosurePerson


def breach_create(
    *,
    organisation: Organisation,
    title: str,
    description: str,
    discovered_at: datetime,
    risk: str,
    categories: Iterable[str] = (),
    occurred_at: datetime | None = None,
    consequences: str = "",
    measures: str = "",
    actor=None,
) -> Breach:
    if not title.strip() or not description.strip():
        raise DomainError(_("Angiv en overskrift og hvad der skete."))
    if risk not in BreachRisk.values:
        raise DomainError(_("Vælg risikoen for de berørte."))
    if discovered_at > timezone.now():
        raise DomainError(_("Tidspunktet for opdagelsen kan ikke ligge i fremtiden."))
    if occurred_at and occurred_at > discovered_at:
        raise DomainError(_("Bruddet kan ikke være sket efter, det blev opdaget."))
    unknown = set(categories) - set(DataCategory.values)
    if unknown:
        raise DomainError(_("Ukendt kategori af oplysninger."))
    return Breach.objects.create(
        organisation=organisation,
        title=title.strip(),
        description=description.strip(),
        discovered_at=discovered_at,
        occurred_at=occurred_at,
        risk=risk,
        categories=list(dict.fromkeys(categories)),
        consequences=consequences.strip(),
        measures=measures.strip(),
        created_by=actor,
    )


def _add(breach: Breach, person_ids: Iterable[int], source: str) -> int:
    ids = set(person_ids)
    valid = set(
        Person.objects.filter(pk__in=ids, organisation_id=breach.organisation_id).values_list(
            "pk", flat=True
        )
    )
    before = BreachPerson.objects.filter(breach=breach).count()
    BreachPerson.objects.bulk_create(
        [BreachPerson(breach=breach, person_id=pid, source=source[:100]) for pid in valid],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return BreachPerson.objects.filter(breach=breach).count() - before


def breach_add_from_disclosure(*, breach: Breach, disclosure: Disclosure) -> int:
    """Everyone whose data went with a disclosure (a file sent to the wrong recipient, a
    recipient that was breached). Returns how many were added."""
    if disclosure.organisation_id != breach.organisation_id:
        raise DomainError(_("Videregivelsen hører ikke til organisationen."))
    ids = DisclosurePerson.objects.filter(disclosure=disclosure).values_list("person_id", flat=True)
    return _add(breach, ids, _("Videregivelse %s") % disclosure.pk)


def breach_add_from_property(
    *, breach: Breach, property: Property, active_only: bool = True
) -> int:
    """The tenants of a property (a stolen key register, a lost binder)."""
    if property.organisation_id != breach.organisation_id:
        raise DomainError(_("Ejendommen hører ikke til organisationen."))
    leases = Lease.objects.filter(unit__entrance__building__property=property)
    if active_only:
        leases = leases.filter(status="active")
    ids = Lease.parties.through.objects.filter(lease__in=leases).values_list("person_id", flat=True)
    return _add(breach, ids, _("Lejere i %s") % property.name)


def breach_add_people(*, breach: Breach, people: Iterable[Person], source: str = "") -> int:
    return _add(breach, [p.pk for p in people], source or _("Valgt af sagsbehandler"))


def breach_report(
    *, breach: Breach, reported_at: datetime, reference: str, late_reason: str = ""
) -> Breach:
    """Record the notification to Datatilsynet. Later than 72 hours needs the reason
    (Art. 33(1))."""
    if not breach.must_report:
        raise DomainError(_("Et brud uden sandsynlig risiko skal ikke anmeldes."))
    if reported_at < breach.discovered_at or reported_at > timezone.now():
        raise DomainError(_("Anmeldelsen skal ligge mellem opdagelsen og nu."))
    if reported_at > breach.deadline and not late_reason.strip():
        raise DomainError(_("Anmeldt efter 72 timer: angiv begrundelsen for forsinkelsen."))
    breach.reported_at = reported_at
    breach.authority_reference = reference.strip()[:100]
    breach.late_reason = late_reason.strip()[:500]
    breach.save(update_fields=["reported_at", "authority_reference", "late_reason"])
    return breach


def breach_close(*, breach: Breach) -> Breach:
    if breach.must_report and breach.reported_at is None:
        raise DomainError(_("Anmeld bruddet til Datatilsynet, før det afsluttes."))
    breach.closed_at = timezone.now()
    breach.save(update_fields=["closed_at"])
    return breach


@dataclass(frozen=True)
class Draft:
    person: Person
    subject: str
    body: str
    by_email: bool


def _labels(breach: Breach) -> str:
    labels = dict(DataCategory.choices)
    return ", ".join(str(labels[c]).lower() for c in breach.categories) or _("personoplysninger")


def notification_drafts(*, breach: Breach) -> list[Draft]:
    """The Art. 34 notice to each person affected, in clear and plain Danish: what
    happened, which data, the likely consequences, what we do, whom to contact. No CPR
    number in it (it goes by e-mail)."""
    drafts = []
    links = BreachPerson.objects.filter(breach=breach).select_related("person")
    for link in links.order_by("person__name", "pk"):
        person = link.person
        body = _(
            "Kære %(name)s\n\n"
            "Vi skal fortælle dig, at der er sket et brud på sikkerheden om dine "
            "personoplysninger hos %(org)s.\n\n"
            "Hvad skete der: %(what)s\n"
            "Hvilke oplysninger: %(data)s\n"
            "Mulige konsekvenser: %(consequences)s\n"
            "Hvad vi gør: %(measures)s\n\n"
            "Har du spørgsmål, så kontakt os. Du kan også klage til Datatilsynet.\n\n"
            "Venlig hilsen\n%(org)s"
        ) % {
            "name": person.name,
            "org": breach.organisation.name,
            "what": breach.description,
            "data": _labels(breach),
            "consequences": breach.consequences or _("Vi vurderer dem stadig."),
            "measures": breach.measures or _("Vi undersøger sagen."),
        }
        drafts.append(
            Draft(
                person=person,
                subject=_("Brud på sikkerheden om dine personoplysninger"),
                body=body,
                by_email=bool(person.email),
            )
        )
    return drafts


def breach_notify(*, breach: Breach) -> dict[str, int]:
    """Send the drafted notices by e-mail to those not yet told (idempotent); those without
    an e-mail address are listed for a letter. Returns counts."""
    if not breach.must_notify:
        raise DomainError(_("Kun brud med høj risiko kræver underretning af de berørte."))
    told = set(
        BreachPerson.objects.filter(breach=breach, notified_at__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    pending = [d for d in notification_drafts(breach=breach) if d.person.pk not in told]
    messages = [
        EmailMessage(
            subject=d.subject,
            body=d.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[d.person.email],
        )
        for d in pending
        if d.by_email
    ]
    if messages:
        get_connection().send_messages(messages)
    now = timezone.now()
    emailed = [d.person.pk for d in pending if d.by_email]
    with transaction.atomic():
        BreachPerson.objects.filter(breach=breach, person_id__in=emailed).update(
            notified_at=now, notified_by_email=True
        )
    return {"emailed": len(emailed), "letters": len(pending) - len(emailed)}


def breach_letter_sent(*, breach: Breach, person: Person) -> None:
    updated = BreachPerson.objects.filter(
        breach=breach, person=person, notified_at__isnull=True
    ).update(notified_at=timezone.now())
    if not updated:
        raise DomainError(_("Personen er allerede underrettet eller ikke berørt."))


def breach_list(*, organisation: Organisation | None) -> QuerySet[Breach]:
    if organisation is None:
        return Breach.objects.none()
    return Breach.objects.filter(organisation=organisation).order_by("-discovered_at", "-pk")


def breach_people(*, breach: Breach) -> QuerySet[BreachPerson]:
    return (
        BreachPerson.objects.filter(breach=breach)
        .select_related("person")
        .order_by("person__name", "pk")
    )


def attention_items(*, user, organisation: Organisation) -> list[AttentionItem]:
    """The dashboard warns about every breach still to be reported to Datatilsynet."""
    pending = Breach.objects.filter(
        organisation=organisation, reported_at__isnull=True, closed_at__isnull=True
    ).exclude(risk=BreachRisk.UNLIKELY)
    items: list[AttentionItem] = []
    now = timezone.now()
    for breach in pending.order_by("discovered_at")[:5]:
        deadline = timezone.localtime(breach.deadline)
        overdue = breach.deadline < now
        title = (
            _("Brud på persondatasikkerheden: fristen for anmeldelse til Datatilsynet udløb %s")
            if overdue
            else _("Brud på persondatasikkerheden: anmeld til Datatilsynet senest %s")
        ) % f"{deadline:%d.%m.%Y kl. %H:%M}"
        items.append(
            {
                "title": f"{title} ({breach.title})",
                "url": reverse("gdpr:breach_detail", args=[breach.pk]),
                "count": 1,
                "level": "danger",
            }
        )
    return items

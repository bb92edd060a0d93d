"""Applicants and applications: sign up, add a list, change data, wishes and channel,
renew (student), leave. Staff and the applicant's own self-service call the same functions.

Rules (docs/domain.md, joint waiting list): at least 15 years old (from the CPR birth date
or the given birth date); one applicant per person per cooperation (the CPR hash); one
application per list type, personal, its seniority never moved to another type; the family
list is on from the payment date of the sign-up fee (waitlist.services.fees), the student
list from sign-up and renewed yearly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.cpr import cpr_birth_date, normalise_cpr, validate_cpr
from core.errors import DomainError
from tenancy.models import Department, normalise_search

from ..models import (
    Applicant,
    ApplicantEvent,
    Application,
    Channel,
    Cooperation,
    Invoice,
    ListType,
    Message,
)
from .dates import add_year
from .fees import applicant_refresh_debt, applicants_refresh_debt, signup_fee_for

MIN_AGE = 15
SIGNUP_DUE_DAYS = 14
ON_LIST = (Application.Status.ACTIVE, Application.Status.REMINDED)
ENDED = (Application.Status.DELETED, Application.Status.LEFT)

CONTACT_FIELDS = (
    "name",
    "address",
    "postal_code",
    "city",
    "email",
    "phone",
    "spouse_name",
    "children_under_23",
)
WISH_FIELDS = (
    "areas",
    "min_rooms",
    "max_rooms",
    "min_area",
    "max_rent",
    "ground_floor_or_lift",
    "pets",
    "balcony_or_garden",
    "earliest_move_in",
)


@dataclass
class ApplicantData:
    """What the seed asks of an applicant (section 3.1) plus the offer channel."""

    name: str
    cpr: str = ""
    birth_date: date | None = None
    address: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""
    phone: str = ""
    spouse_name: str = ""
    children_under_23: int = 0
    channel: str = Channel.E_OFFER
    sms_opt_in: bool = False
    list_types: list[str] = field(default_factory=lambda: [ListType.FAMILY])


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def event(applicant: Applicant, kind: str, text: str, *, application=None, actor=None) -> None:
    ApplicantEvent.objects.create(
        applicant=applicant, application=application, kind=kind, text=text, actor=actor
    )


def _clean_cpr(cpr: str) -> str:
    cpr = normalise_cpr(cpr)
    if not cpr:
        return ""
    try:
        validate_cpr(cpr)
    except ValidationError as exc:
        raise DomainError({"cpr": exc.messages}) from exc
    return cpr


def _check_age(birth_date: date | None, today: date) -> None:
    if birth_date is None:
        raise DomainError(_("Angiv CPR-nummer eller fødselsdato."))
    if birth_date > today:
        raise DomainError(_("Fødselsdatoen ligger i fremtiden."))
    if age_on(birth_date, today) < MIN_AGE:
        raise DomainError(
            _("Man skal være fyldt %(age)s år for at komme på ventelisten.") % {"age": MIN_AGE}
        )


def _check_required(data: ApplicantData) -> None:
    missing = [
        label
        for label, value in (
            (_("navn"), data.name),
            (_("adresse"), data.address),
            (_("postnummer"), data.postal_code),
            (_("by"), data.city),
            (_("telefon"), data.phone),
        )
        if not str(value).strip()
    ]
    if data.channel == Channel.E_OFFER and not data.email.strip():
        missing.append(_("e-mail (e-tilbud sendes på e-mail)"))
    if missing:
        raise DomainError(_("Udfyld: %(fields)s.") % {"fields": ", ".join(missing)})
    if data.channel not in Channel.values:
        raise DomainError(_("Vælg e-tilbud eller brevtilbud."))
    if data.postal_code and not (data.postal_code.isdigit() and len(data.postal_code) == 4):
        raise DomainError({"postal_code": [_("Postnummeret skal være 4 cifre.")]})
    if data.children_under_23 < 0 or data.children_under_23 > 30:
        raise DomainError({"children_under_23": [_("Angiv et antal mellem 0 og 30.")]})
    if not data.list_types or any(t not in ListType.values for t in data.list_types):
        raise DomainError(_("Vælg mindst én venteliste."))


def _search_text(applicant: Applicant) -> str:
    phone = "".join(ch for ch in applicant.phone if ch.isdigit())
    return normalise_search(
        f"{applicant.name} {applicant.address} {applicant.postal_code} {applicant.city} {phone}"
    )[:400]


def applicant_signup(
    *,
    cooperation: Cooperation,
    data: ApplicantData,
    today: date | None = None,
    actor=None,
    user=None,
) -> Applicant:
    """Create the applicant and one application per chosen list. Nothing is saved when a
    rule is broken (under 15, duplicate CPR, missing data)."""
    today = today or timezone.localdate()
    _check_required(data)
    cpr = _clean_cpr(data.cpr)
    birth_date = cpr_birth_date(cpr) if cpr else data.birth_date
    _check_age(birth_date, today)
    applicant = Applicant(
        cooperation=cooperation,
        birth_date=birth_date,
        channel=data.channel,
        sms_opt_in=data.sms_opt_in and data.channel == Channel.E_OFFER,
        user=user,
        **{name: getattr(data, name) for name in CONTACT_FIELDS},
    )
    applicant.set_cpr(cpr)
    if (
        cpr
        and Applicant.objects.filter(cooperation=cooperation, cpr_hash=applicant.cpr_hash).exists()
    ):
        raise DomainError(
            {"cpr": [_("Der findes allerede en ansøger med dette CPR-nummer. Log ind i stedet.")]}
        )
    applicant.search_text = _search_text(applicant)
    try:
        with transaction.atomic():
            applicant.save()
            event(applicant, "signup", _("Oprettet som ansøger."), actor=actor)
            for list_type in dict.fromkeys(data.list_types):
                application_open(applicant=applicant, list_type=list_type, today=today, actor=actor)
    except IntegrityError as exc:  # a concurrent sign-up with the same CPR
        raise DomainError(
            {"cpr": [_("Der findes allerede en ansøger med dette CPR-nummer. Log ind i stedet.")]}
        ) from exc
    return applicant


@transaction.atomic
def application_open(
    *, applicant: Applicant, list_type: str, today: date | None = None, actor=None
) -> Application:
    """Open (or reopen after deletion/leaving) an application. Family: a sign-up invoice;
    on the list from its payment date. Student: free, on the list from today."""
    today = today or timezone.localdate()
    if list_type not in ListType.values:
        raise DomainError(_("Ukendt venteliste."))
    application = (
        Application.objects.select_for_update()
        .filter(applicant=applicant, list_type=list_type)
        .first()
    )
    if application is not None and application.status not in ENDED:
        raise DomainError(_("Ansøgeren står allerede på denne venteliste."))
    if application is None:
        application = Application(applicant=applicant, list_type=list_type)
    application.seniority_date = None
    application.paid_until = None
    application.ended_at = None
    application.reminded_at = None
    application.reminder_deadline = None
    if list_type == ListType.STUDENT:
        application.status = Application.Status.ACTIVE
        application.seniority_date = today
        application.paid_until = add_year(today)
    else:
        application.status = Application.Status.PENDING_PAYMENT
    application.save()
    if list_type == ListType.FAMILY:
        amount = signup_fee_for(
            cooperation=applicant.cooperation, channel=applicant.channel, on=today
        )
        Invoice.objects.create(
            applicant=applicant,
            application=application,
            kind=Invoice.Kind.SIGNUP,
            amount=amount,
            due_date=today + timedelta(days=SIGNUP_DUE_DAYS),
        )
        applicant_refresh_debt(applicant)
    if applicant.deleted_at:
        Applicant.objects.filter(pk=applicant.pk).update(deleted_at=None, deletion_reason="")
        applicant.deleted_at = None
    event(
        applicant,
        "application_open",
        _("Tilmeldt %(list)s.") % {"list": application.get_list_type_display().lower()},
        application=application,
        actor=actor,
    )
    return application


@transaction.atomic
def applicant_update(*, applicant: Applicant, actor=None, **fields) -> Applicant:
    """Change contact data (never the CPR number or the holder: the application is personal)."""
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise DomainError(
            _("Disse oplysninger kan ikke ændres: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    changed = [name for name, value in fields.items() if getattr(applicant, name) != value]
    for name in changed:
        setattr(applicant, name, fields[name])
    data = ApplicantData(
        **{name: getattr(applicant, name) for name in CONTACT_FIELDS},
        channel=applicant.channel,
        list_types=[ListType.FAMILY],
    )
    _check_required(data)
    if changed:
        applicant.search_text = _search_text(applicant)
        applicant.save()
        event(
            applicant,
            "update",
            _("Oplysninger ændret: %(f)s") % {"f": ", ".join(changed)},
            actor=actor,
        )
    return applicant


@transaction.atomic
def channel_change(
    *, applicant: Applicant, channel: str, sms_opt_in: bool = False, actor=None
) -> Applicant:
    """Switch between e-offer (optional SMS) and letter. Fees already invoiced stand; the
    next renewal is invoiced at the new channel's fee."""
    if channel not in Channel.values:
        raise DomainError(_("Vælg e-tilbud eller brevtilbud."))
    if channel == Channel.E_OFFER and not applicant.email:
        raise DomainError(_("E-tilbud kræver en e-mailadresse."))
    sms = sms_opt_in and channel == Channel.E_OFFER
    if sms and not applicant.phone:
        raise DomainError(_("SMS kræver et telefonnummer."))
    if (applicant.channel, applicant.sms_opt_in) != (channel, sms):
        applicant.channel = channel
        applicant.sms_opt_in = sms
        applicant.save(update_fields=["channel", "sms_opt_in"])
        event(
            applicant,
            "channel",
            _("Tilbudsform ændret til %(c)s%(sms)s.")
            % {"c": applicant.get_channel_display().lower(), "sms": _(" med SMS") if sms else ""},
            actor=actor,
        )
    return applicant


@transaction.atomic
def wishes_update(
    *, application: Application, departments: list[Department] | None = None, actor=None, **wishes
) -> Application:
    unknown = set(wishes) - set(WISH_FIELDS)
    if unknown:
        raise DomainError(_("Ukendte ønsker: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in wishes.items():
        setattr(application, name, value)
    lo, hi = application.min_rooms, application.max_rooms
    if lo is not None and hi is not None and lo > hi:
        raise DomainError({"max_rooms": [_("Maks. værelser skal være mindst min. værelser.")]})
    if application.max_rent is not None and application.max_rent < Decimal("0"):
        raise DomainError({"max_rent": [_("Husleje kan ikke være negativ.")]})
    application.save()
    if departments is not None:
        member_orgs = set(
            application.applicant.cooperation.members.values_list("organisation_id", flat=True)
        )
        if any(d.organisation_id not in member_orgs for d in departments):
            raise DomainError({"departments": [_("Afdelingen hører ikke til samarbejdet.")]})
        application.departments.set(departments)
    event(
        application.applicant,
        "wishes",
        _("Boligønsker ændret."),
        application=application,
        actor=actor,
    )
    return application


@transaction.atomic
def student_renew(
    *, application: Application, today: date | None = None, actor=None
) -> Application:
    """Renew a student application for a year (from the current end, not from today, so an
    early renewal loses nothing). Allowed within the lead time before the end and while
    reminded."""
    today = today or timezone.localdate()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.list_type != ListType.STUDENT:
        raise DomainError(
            _(
                "Kun ansøgninger til studieboliger fornyes; familieboliger betaler ajourføringsgebyr."
            )
        )
    if application.status not in ON_LIST:
        raise DomainError(
            _("Ansøgningen er ikke på ventelisten og kan ikke fornyes. Tilmeld dig igen.")
        )
    lead = application.applicant.cooperation.renewal_lead_days
    current_end = application.paid_until or today
    if current_end - today > timedelta(days=lead):
        raise DomainError(
            _("Ansøgningen kan tidligst fornyes %(d)s.")
            % {"d": (current_end - timedelta(days=lead)).strftime("%d.%m.%Y")}
        )
    application.paid_until = add_year(current_end)
    application.status = Application.Status.ACTIVE
    application.reminded_at = None
    application.reminder_deadline = None
    application.save(update_fields=["paid_until", "status", "reminded_at", "reminder_deadline"])
    event(
        application.applicant,
        "renewed",
        _("Fornyet til %(d)s.") % {"d": application.paid_until.strftime("%d.%m.%Y")},
        application=application,
        actor=actor,
    )
    return application


def applications_end(
    applications: list[Application],
    *,
    status: str,
    reason: str,
    applicant_reason: str | None = None,
    actor=None,
) -> None:
    """End applications the caller has locked (deleted or left): seniority and paid period
    lost, open invoices cancelled, one history row each, debts refreshed, and an applicant
    with nothing left on any list marked deleted. A handful of statements for any number
    of applications: the caseworker's action and the nightly run use the same code."""
    if not applications:
        return
    now = timezone.now()
    ids = [app.pk for app in applications]
    Application.objects.filter(pk__in=ids).update(
        status=status, ended_at=now, seniority_date=None, paid_until=None, reminder_deadline=None
    )
    Invoice.objects.filter(
        application_id__in=ids, status__in=[Invoice.Status.OPEN, Invoice.Status.REMINDED]
    ).update(status=Invoice.Status.CANCELLED)
    events = []
    for app in applications:
        text = reason
        if app.seniority_date:
            text += " " + _("Anciennitet fra %(d)s mistet.") % {
                "d": app.seniority_date.strftime("%d.%m.%Y")
            }
        events.append(
            ApplicantEvent(
                applicant_id=app.applicant_id, application=app, kind=status, text=text, actor=actor
            )
        )
        app.status, app.ended_at = status, now
        app.seniority_date = app.paid_until = app.reminder_deadline = None
    ApplicantEvent.objects.bulk_create(events)
    applicant_ids = {app.applicant_id for app in applications}
    applicants_refresh_debt(applicant_ids)
    still_on = Application.objects.filter(applicant=OuterRef("pk")).exclude(status__in=ENDED)
    Applicant.objects.filter(pk__in=applicant_ids).exclude(Exists(still_on)).update(
        deleted_at=now, deletion_reason=applicant_reason or reason
    )


@transaction.atomic
def application_leave(*, application: Application, actor=None) -> Application:
    """The applicant leaves a list: seniority lost, no refund for the rest of the period."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status in ENDED:
        raise DomainError(_("Ansøgningen er allerede afsluttet."))
    applications_end(
        [application],
        status=Application.Status.LEFT,
        reason=_("Udmeldt efter eget ønske (ingen tilbagebetaling)."),
        applicant_reason=_("Udmeldt"),
        actor=actor,
    )
    return application


@transaction.atomic
def application_delete_unpaid(*, application: Application, reason: str) -> bool:
    """Delete an application after an unanswered reminder (the nightly run). Returns False
    when it was already ended (idempotent)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.REMINDED:
        return False
    applications_end([application], status=Application.Status.DELETED, reason=reason)
    return True


def message_queue(
    *,
    applicant: Applicant,
    kind: str,
    subject: str,
    body: str,
    dedup_key: str | None = None,
) -> list[Message]:
    """Queue the applicant's messages by channel (e-mail, SMS if chosen, or letter), each
    once per dedup key. Sending is the messaging module's job (it picks up queued ones)."""
    created = []
    for message in message_rows(
        applicant=applicant, kind=kind, subject=subject, body=body, dedup_key=dedup_key
    ):
        if message.dedup_key and Message.objects.filter(dedup_key=message.dedup_key).exists():
            continue
        message.save()
        created.append(message)
    return created


def message_rows(
    *,
    applicant: Applicant,
    kind: str,
    subject: str,
    body: str,
    dedup_key: str | None = None,
) -> list[Message]:
    """The applicant's messages, not yet saved: e-mail (+ SMS when chosen) for e-offer
    applicants with an address, else a letter; each keyed `<dedup_key>:<channel>`. The
    nightly run saves many at once (bulk, a key already there is skipped)."""
    if applicant.channel == Channel.LETTER or not applicant.email:
        targets = [
            (
                Message.MessageChannel.LETTER,
                f"{applicant.address}, {applicant.postal_code} {applicant.city}",
            )
        ]
    else:
        targets = [(Message.MessageChannel.EMAIL, applicant.email)]
        if applicant.sms_opt_in and applicant.phone:
            targets.append((Message.MessageChannel.SMS, applicant.phone))
    return [
        Message(
            applicant=applicant,
            channel=channel,
            kind=kind,
            subject=subject,
            body=body,
            to_address=to,
            dedup_key=f"{dedup_key}:{channel}" if dedup_key else None,
        )
        for channel, to in targets
    ]

"""What the joint waiting list holds about an applicant (core.personal_data): the applicant
record and login, applications and wishes, invoices and payments, mail/SMS/letter records
(and printed letter batches), and the applicant's event log.

Scope: an applicant belongs to a cooperation, shared by its member organisations; the
subject's organisations reach the applicants of every cooperation they are members of."""

import contextlib

from cryptography.fernet import InvalidToken
from django.contrib.auth import get_user_model
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
    rows_update,
    scrub_rows,
    scrub_value,
)

from .models import (
    Applicant,
    ApplicantEvent,
    Application,
    CooperationMember,
    Invoice,
    LettingHold,
    Message,
    Offer,
    Payment,
    PrintBatch,
    WebhookEvent,
)

ANONYMISED_NAME = "Anonymiseret ansøger"
UNPAID = [Invoice.Status.OPEN, Invoice.Status.REMINDED]


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def applicants_in(subject: Subject):
    return Applicant.objects.filter(
        pk__in=subject.applicant_ids,
        cooperation__members__organisation_id__in=subject.organisation_ids,
    ).distinct()


def applicant_identifiers(applicant: Applicant) -> list[str]:
    values = [applicant.name, applicant.email, applicant.phone, applicant.spouse_name]
    if applicant.cpr_encrypted:
        with contextlib.suppress(InvalidToken):  # under a retired key: the hash still works
            values += cpr_forms(crypto.decrypt(applicant.cpr_encrypted))
    return values


class WaitlistPersonalData(Provider):
    app = "waitlist"

    def match(self, subject: Subject, *, link: bool) -> Subject:
        found = list(applicants_in(subject))
        if link and subject.cpr_hashes:
            found += (
                Applicant.objects.filter(
                    cpr_hash__in=subject.cpr_hashes,
                    cooperation__members__organisation_id__in=subject.organisation_ids,
                )
                .exclude(pk__in=subject.applicant_ids)
                .distinct()
            )
        return subject.add(
            applicant_ids=[a.pk for a in found],
            cpr_hashes=[a.cpr_hash for a in found],
            user_ids=[a.user_id for a in found],
            identifiers=[i for a in found for i in applicant_identifiers(a)],
        )

    def collect(self, subject: Subject) -> list[Section]:
        found = list(applicants_in(subject).order_by("pk"))
        return [
            Section(
                self.app,
                "waitlist.applicant",
                _("Ansøger på ventelisten"),
                [
                    {
                        _("Navn"): a.name,
                        _("CPR-nummer"): a.cpr_masked,
                        _("Fødselsdato"): _plain(a.birth_date),
                        _("Adresse"): a.address,
                        _("Postnummer"): a.postal_code,
                        _("By"): a.city,
                        _("E-mail"): a.email,
                        _("Telefon"): a.phone,
                        _("Ægtefælle/samlever"): a.spouse_name,
                        _("Hjemmeboende børn under 23 år"): a.children_under_23,
                        _("Tilbudsform"): str(a.get_channel_display()),
                        _("SMS ved tilbud"): a.sms_opt_in,
                        _("Oprettet"): _plain(a.created_at),
                    }
                    for a in found
                ],
                provided_by_subject=True,
            ),
            Section(
                self.app,
                "waitlist.applications",
                _("Opskrivninger og ønsker"),
                [
                    {
                        _("Liste"): str(a.get_list_type_display()),
                        _("Status"): str(a.get_status_display()),
                        _("Anciennitetsdato"): _plain(a.seniority_date),
                        _("Betalt/fornyet til"): _plain(a.paid_until),
                        _("Områder/byer"): a.areas,
                        _("Min. værelser"): a.min_rooms,
                        _("Maks. værelser"): a.max_rooms,
                        _("Maks. husleje"): _plain(a.max_rent),
                    }
                    for a in Application.objects.filter(applicant__in=found).order_by("pk")
                ],
                provided_by_subject=True,
            ),
            Section(
                self.app,
                "waitlist.invoices",
                _("Opkrævninger"),
                [
                    {
                        _("Type"): str(i.get_kind_display()),
                        _("Beløb"): _plain(i.amount),
                        _("Forfald"): _plain(i.due_date),
                        _("Status"): str(i.get_status_display()),
                    }
                    for i in Invoice.objects.filter(applicant__in=found).order_by("pk")
                ],
            ),
            Section(
                self.app,
                "waitlist.payments",
                _("Betalinger"),
                [
                    {
                        _("Beløb"): _plain(p.amount),
                        _("Betalingsdato"): _plain(p.paid_on),
                        _("Betalingsmåde"): str(p.get_method_display()),
                    }
                    for p in Payment.objects.filter(applicant__in=found).order_by("pk")
                ],
            ),
            Section(
                self.app,
                "waitlist.messages",
                _("Breve, mails og SMS"),
                [
                    {
                        _("Oprettet"): _plain(m.created_at),
                        _("Kanal"): str(m.get_channel_display()),
                        _("Emne"): m.subject,
                        _("Modtager"): m.to_address,
                        _("Status"): str(m.get_status_display()),
                    }
                    for m in Message.objects.filter(applicant__in=found).order_by("pk")
                ],
            ),
            Section(
                self.app,
                "waitlist.events",
                _("Hændelser på ventelisten"),
                [
                    {_("Tidspunkt"): _plain(e.at), _("Hændelse"): e.text}
                    for e in ApplicantEvent.objects.filter(applicant__in=found).order_by("pk")
                ],
            ),
            # issue 14 (letting): the offers the applicant had, and holds after lapsed offers.
            Section(
                self.app,
                "waitlist.offers",
                _("Boligtilbud"),
                [
                    {
                        _("Bolig"): str(o.vacancy.unit),
                        _("Runde"): o.round.number,
                        _("Nr. i runden"): o.rank,
                        _("Svarfrist"): _plain(o.deadline),
                        _("Status"): str(o.get_status_display()),
                        _("Udfald"): str(o.get_outcome_display()) if o.outcome else "",
                    }
                    for o in Offer.objects.filter(applicant__in=found)
                    .select_related("vacancy__unit__entrance", "round")
                    .order_by("pk")
                ],
            ),
            Section(
                self.app,
                "waitlist.holds",
                _("Pauser for boligtilbud"),
                [
                    {
                        _("Årsag"): h.reason,
                        _("Oprettet"): _plain(h.created_at),
                        _("Ophævet"): _plain(h.lifted_at),
                    }
                    for h in LettingHold.objects.filter(applicant__in=found).order_by("pk")
                ],
            ),
        ]

    def must_keep(self, subject: Subject) -> list[Keep]:
        found = applicants_in(subject)
        keep = []
        unpaid = Invoice.objects.filter(applicant__in=found, status__in=UNPAID).count()
        if unpaid or found.filter(debt__gt=0).exists():
            keep.append(
                Keep(
                    self.app,
                    _(
                        "Ansøgeren har en ubetalt gæld til ventelisten; oplysningerne bevares, "
                        "til gælden er afgjort."
                    ),
                    blocks=True,
                )
            )
        if Payment.objects.filter(applicant__in=found).exists():
            keep.append(
                Keep(
                    self.app,
                    _(
                        "Betalinger og opkrævninger bevares uden navn i 5 år efter "
                        "regnskabsårets udløb (bogføringsloven § 12)."
                    ),
                )
            )
        return keep

    def anonymise(self, subject: Subject) -> int:
        found = list(applicants_in(subject).filter(anonymised_at__isnull=True))
        ids = subject.identifiers
        applicant_ids = [a.pk for a in found] or list(subject.applicant_ids)
        messages = Message.objects.filter(applicant_id__in=applicant_ids)
        changed = _print_batches_delete(messages)
        changed += messages.exclude(subject="", body="", to_address="").update(
            subject="", body="", to_address=""
        )
        events = ApplicantEvent.objects.filter(applicant_id__in=applicant_ids)
        changed += scrub_rows(events, ids, "text")
        changed += scrub_rows(Payment.objects.filter(applicant_id__in=applicant_ids), ids, "note")
        changed += _webhooks_scrub(applicant_ids, ids)
        changed += _users_anonymise([a.user_id for a in found if a.user_id])
        changed += Applicant.objects.filter(pk__in=[a.pk for a in found]).update(
            name=ANONYMISED_NAME,
            cpr_encrypted="",
            cpr_hash="",
            cpr_masked="",
            birth_date=None,
            address="",
            postal_code="",
            city="",
            email="",
            phone="",
            spouse_name="",
            search_text="",
            sms_opt_in=False,
            restricted=False,
            anonymised_at=timezone.now(),
        )
        return changed

    def restrict(self, subject: Subject, *, on: bool) -> int:
        return (
            Applicant.objects.filter(pk__in=applicants_in(subject).values("pk"))
            .exclude(restricted=on)
            .update(restricted=on)
        )

    # --- retention: applicants after their seniority is deleted; message contents ---

    def retention_keys(self) -> list[str]:
        return [APPLICANTS, MESSAGES]

    def retention_due(self, key, *, before, scope, after, limit) -> list[Due]:
        if key != APPLICANTS:
            return []
        found = applicants_due(before=before, scope=scope).filter(pk__gt=after).order_by("pk")
        members: dict[int, list[int]] = {}
        for coop_id, org_id in CooperationMember.objects.values_list(
            "cooperation_id", "organisation_id"
        ):
            members.setdefault(coop_id, []).append(org_id)
        found = found.annotate(left=Max("applications__ended_at"))
        return [
            Due(
                Subject.of(
                    organisation_ids=members.get(a.cooperation_id, []), applicant_ids=[a.pk]
                ),
                a.name,
                _("Slettet fra ventelisten %s") % formatting.day(a.left)
                if a.left
                else _("Ingen opskrivning, oprettet %s") % formatting.day(a.created_at),
                a.pk,
            )
            for a in found[:limit]
        ]

    def retention_count(self, key, *, before, scope) -> int:
        if key == APPLICANTS:
            return applicants_due(before=before, scope=scope).count()
        return messages_due(before=before, scope=scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        if key != MESSAGES:
            return 0
        ids = list(messages_due(before=before, scope=scope).values_list("pk", flat=True)[:limit])
        messages = Message.objects.filter(pk__in=ids)
        _print_batches_delete(messages)
        return messages.update(subject="", body="", to_address="")


APPLICANTS = "applicants"
MESSAGES = "messages"


def _in_scope(queryset, scope, field: str = "cooperation_id"):
    if scope is None:
        return queryset
    coops = CooperationMember.objects.filter(organisation_id__in=scope).values("cooperation_id")
    return queryset.filter(**{f"{field}__in": coops})


def applicants_due(*, before, scope):
    """Applicants not yet anonymised whose every application was deleted (seniority lost)
    before `before`, or who never had one and signed up before it. An unpaid debt does not
    take them off this list: the run keeps them and says why (must_keep)."""
    open_or_recent = Application.objects.filter(applicant=OuterRef("pk")).filter(
        ~Q(status=Application.Status.DELETED) | Q(ended_at__isnull=True) | Q(ended_at__gte=before)
    )
    any_application = Application.objects.filter(applicant=OuterRef("pk"))
    found = Applicant.objects.filter(anonymised_at__isnull=True).filter(~Exists(open_or_recent))
    found = found.filter(Exists(any_application) | Q(created_at__lt=before))
    return _in_scope(found, scope)


def messages_due(*, before, scope):
    rows = Message.objects.filter(created_at__lt=before).exclude(subject="", body="", to_address="")
    return _in_scope(rows, scope, "applicant__cooperation_id").order_by("pk")


def _print_batches_delete(messages) -> int:
    """Printed letter batches hold the letters as a file: the file goes, the row stays."""
    count = 0
    for batch in PrintBatch.objects.filter(messages__in=messages).exclude(file="").distinct():
        batch.file.delete(save=False)
        PrintBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    return count


def _webhooks_scrub(applicant_ids: list[int], identifiers) -> int:
    """The payment provider's webhook payloads of the applicants' payments."""
    event_ids = Payment.objects.filter(
        applicant_id__in=applicant_ids, provider_event_id__isnull=False
    ).values_list("provider_event_id", flat=True)
    changed = []
    for event in WebhookEvent.objects.filter(event_id__in=list(event_ids)):
        payload = scrub_value(event.payload, identifiers)
        if payload != event.payload:
            event.payload = payload
            changed.append(event)
    rows_update(changed, ["payload"])
    return len(changed)


def _users_anonymise(user_ids: list[int]) -> int:
    """The applicants' logins: no name, no e-mail, no usable password, inactive."""
    changed = 0
    for user in (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .exclude(username__startswith="anonymiseret-")
    ):
        user.username = f"anonymiseret-{user.pk}"
        user.email = user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        changed += 1
    return changed

"""What the data-subject side of gdpr holds about a person, for core.personal_data (called
from gdpr's provider): consents and other bases, objections, restrictions, requests, and
contact-form enquiries found by the person's e-mail, phone or name."""

from django.db.models import Q
from django.utils.translation import gettext as _

from core import formatting
from core.personal_data import Provider, Section, Subject, scrub_rows

from ..models import Consent, ContactEnquiry, Objection, Restriction, SubjectRequest


def _of(model, subject: Subject):
    return model.objects.filter(
        person_id__in=subject.person_ids, organisation_id__in=subject.organisation_ids
    )


def _when(value) -> str:
    return value.isoformat() if value else ""


def enquiries(subject: Subject):
    """Contact-form enquiries that are the subject's (same e-mail or phone, or name)."""
    needles = [i for i in subject.identifiers if len(i.strip()) >= 3]
    if not needles:
        return ContactEnquiry.objects.none()
    match = Q()
    for needle in needles:
        match |= Q(email__iexact=needle) | Q(phone=needle) | Q(name__iexact=needle)
    return ContactEnquiry.objects.filter(match, organisation_id__in=subject.organisation_ids)


def sections(subject: Subject) -> list[Section]:
    consents = _of(Consent, subject).select_related("given_by", "withdrawn_by")
    return [
        Section(
            "gdpr",
            "gdpr.consents",
            _("Samtykker og andre grundlag"),
            [
                {
                    _("Formål"): c.get_purpose_display(),
                    _("Grundlag"): c.get_basis_display(),
                    _("Givet"): _when(c.given_at),
                    _("Registreret af"): formatting.user_name(c.given_by),
                    _("Dokumentation"): c.evidence,
                    _("Trukket tilbage"): _when(c.withdrawn_at),
                }
                for c in consents.order_by("given_at", "pk")
            ],
            provided_by_subject=True,
        ),
        Section(
            "gdpr",
            "gdpr.objections",
            _("Indsigelser"),
            [
                {
                    _("Formål"): o.get_purpose_display(),
                    _("Registreret"): _when(o.recorded_at),
                    _("Bemærkning"): o.note,
                    _("Trukket tilbage"): _when(o.withdrawn_at),
                }
                for o in _of(Objection, subject).order_by("recorded_at", "pk")
            ],
            provided_by_subject=True,
        ),
        Section(
            "gdpr",
            "gdpr.restrictions",
            _("Begrænsning af behandling"),
            [
                {
                    _("Begrænset fra"): _when(r.started_at),
                    _("Begrundelse"): r.reason,
                    _("Ophævet"): _when(r.lifted_at),
                }
                for r in _of(Restriction, subject).order_by("started_at", "pk")
            ],
        ),
        Section(
            "gdpr",
            "gdpr.requests",
            _("Anmodninger efter databeskyttelsesreglerne"),
            [
                {
                    _("Type"): r.get_kind_display(),
                    _("Modtaget"): _when(r.received_on),
                    _("Frist"): _when(r.deadline),
                    _("Status"): r.get_status_display(),
                    _("Svar"): r.outcome,
                }
                for r in _of(SubjectRequest, subject).order_by("received_on", "pk")
            ],
        ),
        Section(
            "gdpr",
            "gdpr.contact",
            _("Henvendelser via kontaktformularen"),
            [
                {
                    _("Modtaget"): _when(e.created_at),
                    _("Navn"): e.name,
                    _("E-mail"): e.email,
                    _("Telefon"): e.phone,
                    _("Bolig"): e.home,
                    _("Besked"): e.message,
                }
                for e in enquiries(subject).order_by("created_at", "pk")
            ],
            provided_by_subject=True,
        ),
    ]


def anonymise(subject: Subject) -> int:
    """The register rows stay (they document that the rights were served) with free text
    naming the person scrubbed; contact-form enquiries are deleted."""
    ids = subject.identifiers
    changed = scrub_rows(_of(Consent, subject), ids, "evidence", "withdrawal_evidence")
    changed += scrub_rows(_of(Objection, subject), ids, "note")
    changed += scrub_rows(_of(Restriction, subject), ids, "reason", "lift_reason")
    changed += scrub_rows(
        _of(SubjectRequest, subject), ids, "details", "outcome", "extension_reason"
    )
    deleted, _detail = enquiries(subject).delete()
    return changed + deleted


CONTACT_ENQUIRIES = "contact_enquiries"


class ContactEnquiriesRetention(Provider):
    """Carries out the retention schedule's contact-form category (gdpr.RetentionRule
    "contact_enquiries", six months by default, editable by administrators): the nightly
    retention run deletes enquiries received before the cutoff. What the enquiries say about
    a person is collected and anonymised by gdpr's own provider (sections/anonymise above)."""

    app = "gdpr.contact"

    def collect(self, subject: Subject) -> list[Section]:
        return []

    def anonymise(self, subject: Subject) -> int:
        return 0

    def retention_keys(self) -> list[str]:
        return [CONTACT_ENQUIRIES]

    def _due(self, before, scope):
        rows = ContactEnquiry.objects.filter(created_at__lt=before)
        return rows if scope is None else rows.filter(organisation_id__in=scope)

    def retention_count(self, key, *, before, scope) -> int:
        return self._due(before, scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        ids = list(self._due(before, scope).values_list("pk", flat=True)[:limit])
        return ContactEnquiry.objects.filter(pk__in=ids).delete()[0]

"""Controller and processors, and the record of processing activities (GDPR Art. 30) per
owner, generated from the product's own configuration (docs/disclosures.md):

- which activities the owner runs: always lease administration and accountability; CPR
  lookups when registered with CPR's landlord service; rent-register filing for housing
  associations or when filings were sent; the joint waiting list when the owner is in a
  cooperation; market statistics when opted in; outbound exports that were made;
- the recipients: the disclosure log of the last twelve months, grouped;
- the processors and sub-processors with their agreements;
- the retention periods: the retention schedule (issue 15).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from tenancy.choices import OrganisationKind
from tenancy.models import Organisation

from ..models import (
    DataCategory,
    Disclosure,
    ExportKind,
    MarketStatisticsOptIn,
    OutboundExport,
    Processor,
    ProcessorRole,
    RetentionRule,
)
from .outbound import SPECS

EU_EEA = {
    "danmark",
    "sverige",
    "norge",
    "finland",
    "island",
    "tyskland",
    "holland",
    "nederlandene",
    "irland",
    "frankrig",
    "belgien",
    "luxembourg",
    "østrig",
    "polen",
    "spanien",
    "portugal",
    "italien",
    "estland",
    "letland",
    "litauen",
    "tjekkiet",
    "slovakiet",
    "slovenien",
    "ungarn",
    "rumænien",
    "bulgarien",
    "grækenland",
    "kroatien",
    "cypern",
    "malta",
    "liechtenstein",
}


# --- processors --------------------------------------------------------------------------


def processor_list(*, organisation: Organisation | None) -> QuerySet[Processor]:
    if organisation is None:
        return Processor.objects.none()
    return Processor.objects.filter(organisation=organisation).select_related("sub_processor_of")


def processor_save(
    *,
    organisation: Organisation,
    name: str,
    role: str,
    service: str,
    actor=None,
    cvr: str = "",
    sub_processor_of: Processor | None = None,
    categories: list[str] | None = None,
    country: str = "Danmark",
    third_country_basis: str = "",
    agreement_date=None,
    agreement_ends=None,
) -> Processor:
    """Record a processor or sub-processor of the owner with its agreement."""
    if not name.strip() or not service.strip():
        raise DomainError(_("Angiv databehandlerens navn og opgave."))
    if role not in ProcessorRole.values:
        raise DomainError(_("Vælg databehandlerens rolle."))
    if cvr and (len(cvr) != 8 or not cvr.isdigit()):
        raise DomainError(_("Et CVR-nummer er 8 cifre."))
    if sub_processor_of is not None and sub_processor_of.organisation_id != organisation.pk:
        raise DomainError(_("Databehandleren hører ikke til organisationen."))
    if agreement_date and agreement_ends and agreement_ends < agreement_date:
        raise DomainError(_("Aftalen kan ikke udløbe, før den er indgået."))
    outside = country.strip().lower() not in EU_EEA
    if outside and not third_country_basis.strip():
        raise DomainError(
            _(
                "Behandling uden for EU/EØS kræver et overførselsgrundlag (fx EU's standardkontrakt)."
            )
        )
    unknown = set(categories or []) - set(DataCategory.values)
    if unknown:
        raise DomainError(_("Ukendt kategori af oplysninger."))
    with transaction.atomic():
        return Processor.objects.create(
            organisation=organisation,
            name=name.strip(),
            cvr=cvr,
            role=role,
            sub_processor_of=sub_processor_of,
            service=service.strip(),
            categories=list(categories or []),
            country=country.strip() or "Danmark",
            third_country_basis=third_country_basis.strip(),
            agreement_date=agreement_date,
            agreement_ends=agreement_ends,
            created_by=actor,
        )


def processor_end(*, processor: Processor) -> Processor:
    """End the agreement today. The processor stays on record (who had the data, when)."""
    today = timezone.localdate()
    if processor.agreement_ends and processor.agreement_ends <= today:
        raise DomainError(_("Aftalen er allerede ophørt."))
    active = processor.sub_processors.filter(
        Q(agreement_ends__isnull=True) | Q(agreement_ends__gt=today)
    )
    if active.exists():
        raise DomainError(_("Afslut først databehandlerens underdatabehandlere."))
    processor.agreement_ends = today
    processor.save(update_fields=["agreement_ends"])
    return processor


# --- the record ---------------------------------------------------------------------------


@dataclass
class Activity:
    name: str
    purpose: str
    legal_basis: str
    subjects: list[str]
    categories: list[str]
    recipients: list[str] = field(default_factory=list)
    retention: list[str] = field(default_factory=list)  # retention rule keys
    retention_rules: list[dict] = field(default_factory=list)  # those rules, for display


@dataclass
class RecipientRow:
    recipient: str
    kind: str
    count: int
    last: object
    categories: list[str]


@dataclass
class Record:
    organisation: Organisation
    generated_at: object
    activities: list[Activity]
    recipients: list[RecipientRow]
    processors: list[Processor]
    third_countries: list[Processor]
    retention: list[dict]
    measures: list[str]


def _labels(codes) -> list[str]:
    labels = dict(DataCategory.choices)
    return [str(labels.get(c, c)) for c in codes]


def _activities(organisation: Organisation, disclosed_sources: set[str]) -> list[Activity]:
    tenants = _("Lejere og medlejere, tidligere lejere")
    activities = [
        Activity(
            _("Udlejning og lejeadministration"),
            _("Indgå, administrere og afslutte lejeaftaler; opkræve husleje og aconto"),
            _(
                "Lejeaftalens opfyldelse (art. 6, stk. 1, litra b); CPR-nummer efter "
                "databeskyttelseslovens § 11"
            ),
            [tenants],
            _labels(["name", "cpr", "birth_date", "address", "contact", "lease", "rent"]),
            retention=["tenants"],
        )
    ]
    if (
        organisation.kind == OrganisationKind.NONPROFIT
        or "rentregister.filing" in disclosed_sources
    ):
        activities.append(
            Activity(
                _("Indberetning til Huslejeregisteret"),
                _("Lovpligtig indberetning af lejeforhold til brug for boligstøtte"),
                _("Retlig forpligtelse (art. 6, stk. 1, litra c); CPR-nummer med samtykke"),
                [tenants],
                _labels(["name", "birth_date", "cpr", "address", "lease", "rent"]),
                [_("Huslejeregisteret (Landsbyggefonden)")],
                ["filings"],
            )
        )
    if organisation.cpr_service_registered:
        activities.append(
            Activity(
                _("CPR-opslag i udlejerservicen"),
                _("Kontrol af beboelse og bopælspligt; afstemning med CPR"),
                _("Retlig forpligtelse og myndighedsudøvelse (art. 6, stk. 1, litra c og e)"),
                [_("Beboere på organisationens adresser")],
                _labels(["name", "cpr", "address", "moves", "protection"]),
                retention=["cpr_answers", "cpr_registrations", "cpr_moves", "cpr_lookup_log"],
            )
        )
    if Organisation.objects.filter(pk=organisation.pk, cooperations__isnull=False).exists():
        activities.append(
            Activity(
                _("Fælles venteliste"),
                _("Opskrivning, fornyelse og tilbud af boliger"),
                _("Aftale med ansøgeren (art. 6, stk. 1, litra b)"),
                [_("Boligsøgende")],
                _labels(["name", "cpr", "address", "contact"]),
                retention=["applicants", "messages"],
            )
        )
    if MarketStatisticsOptIn.objects.filter(organisation=organisation, opted_in=True).exists():
        spec = SPECS[ExportKind.MARKET_STATISTICS]
        activities.append(
            Activity(
                str(ExportKind.MARKET_STATISTICS.label),
                str(spec.purpose),
                str(spec.legal_basis),
                [tenants],
                _labels(spec.categories),
                ["EjendomDanmark"],
            )
        )
    made: dict[str, set[str]] = {}
    for kind, recipient in OutboundExport.objects.filter(organisation=organisation).values_list(
        "kind", "recipient"
    ):
        made.setdefault(kind, set()).add(recipient)
    for kind in sorted(set(made) - {ExportKind.MARKET_STATISTICS}):
        spec = SPECS[kind]
        activities.append(
            Activity(
                str(ExportKind(kind).label),
                str(spec.purpose),
                str(spec.legal_basis),
                [tenants],
                _labels(spec.categories),
                sorted(made[kind]),
            )
        )
    activities.append(
        Activity(
            _("Ansvarlighed og sikkerhed"),
            _("Log over visning af CPR-numre, videregivelser, dataopdagelse og sikkerhedsbrud"),
            _("Retlig forpligtelse (art. 5, stk. 2, art. 30, 33 og 34)"),
            [tenants, _("Medarbejdere")],
            _labels(["name", "cpr"]),
            retention=["cpr_reveals", "export_files", "sessions"],
        )
    )
    return activities


def _recipients(organisation: Organisation, since) -> list[RecipientRow]:
    rows = (
        Disclosure.objects.filter(organisation=organisation, at__gte=since)
        .values("recipient", "recipient_kind")
        .annotate(count=Count("pk"), last=Max("at"))
        .order_by("recipient_kind", "recipient")
    )
    categories: dict[tuple[str, str], set[str]] = {}
    for recipient, kind, cats in Disclosure.objects.filter(
        organisation=organisation, at__gte=since
    ).values_list("recipient", "recipient_kind", "categories"):
        categories.setdefault((recipient, kind), set()).update(cats or [])
    kinds = dict(Disclosure._meta.get_field("recipient_kind").choices or [])
    return [
        RecipientRow(
            r["recipient"],
            str(kinds.get(r["recipient_kind"], r["recipient_kind"])),
            r["count"],
            r["last"],
            _labels(sorted(categories.get((r["recipient"], r["recipient_kind"]), ()))),
        )
        for r in rows
    ]


def retention_rows() -> list[dict]:
    """The retention schedule (the "sletteguide" of issue 15) as the record shows it."""
    return [
        {
            "key": rule.key,
            "title": rule.title,
            "description": rule.description,
            "period": rule.period_label,
            "starts": rule.starts,
            "action": rule.get_action_display(),
        }
        for rule in RetentionRule.objects.filter(enabled=True).order_by("position", "pk")
    ]


MEASURES = [
    gettext_lazy(
        "CPR-numre krypteres i databasen og vises maskeret; hver visning af et fuldt nummer logges."
    ),
    gettext_lazy(
        "Adgang efter rolle (sagsbehandler, CPR-ansvarlig, administrator) og to-faktor-login."
    ),
    gettext_lazy(
        "Personer med navne- og adressebeskyttelse nævnes aldrig over for private modtagere."
    ),
    gettext_lazy("Hver videregivelse logges med modtager, oplysninger, personer og retsgrundlag."),
    gettext_lazy("Natlig dataopdagelse af CPR-numre, e-mails og telefonnumre i fritekst og filer."),
    gettext_lazy("Slettefrister udføres automatisk efter sletteguiden."),
]


def processing_record(*, organisation: Organisation) -> Record:
    """The owner's record of processing activities, as of now."""
    now = timezone.now()
    since = now - timedelta(days=365)
    sources = set(
        Disclosure.objects.filter(organisation=organisation, at__gte=since)
        .values_list("source", flat=True)
        .distinct()
    )
    processors = list(processor_list(organisation=organisation).order_by("role", "name"))
    retention = retention_rows()
    by_key = {r["key"]: r for r in retention}
    activities = _activities(organisation, sources)
    for activity in activities:
        activity.retention_rules = [by_key[k] for k in activity.retention if k in by_key]
    return Record(
        organisation=organisation,
        generated_at=now,
        activities=activities,
        recipients=_recipients(organisation, since),
        processors=processors,
        third_countries=[p for p in processors if p.country.strip().lower() not in EU_EEA],
        retention=retention,
        measures=[str(m) for m in MEASURES],
    )

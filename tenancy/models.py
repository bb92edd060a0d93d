"""Portfolio, people and leases (the vocabulary of docs/domain.md).

Every record below the organisation carries a denormalised `organisation` so that scoping a
query to the user's organisations is one indexed filter, even on a 600,000-unit portfolio.
Services keep it consistent; models only hold fields, constraints and small properties.
"""

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core import crypto

from .choices import (
    HeatingForm,
    HolderType,
    LeaseStatus,
    LettingCode,
    OrganisationKind,
    Role,
    UtilityPayment,
)
from .validators import (
    validate_cvr,
    validate_door,
    validate_floor,
    validate_four_digits,
    validate_house_number,
)


def normalise_search(text: str) -> str:
    """Lower-case words separated by single spaces: 'Strandvejen 12, 2. tv' -> 'strandvejen
    12 2 tv'. Used both for stored search keys and for what the user types."""
    return " ".join(re.sub(r"[,.]", " ", (text or "").lower()).split())


class Organisation(models.Model):
    """A landlord: a housing association (almen boligorganisation) or private company."""

    name = models.CharField(_("navn"), max_length=200)
    cvr = models.CharField(_("CVR-nummer"), max_length=8, unique=True, validators=[validate_cvr])
    kind = models.CharField(_("type"), max_length=10, choices=OrganisationKind.choices)
    dwellings_owned = models.PositiveIntegerField(_("antal ejede boliger"), default=0)
    cpr_service_registered = models.BooleanField(_("tilmeldt CPR's udlejerservice"), default=False)
    cpr_service_registered_since = models.DateField(_("tilmeldt siden"), null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cpr_service_registered=False)
                | Q(cpr_service_registered_since__isnull=False),
                name="organisation_cpr_registration_has_date",
                violation_error_message=_("Angiv datoen for tilmelding til CPR's udlejerservice."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (CVR {self.cvr})"


class Membership(models.Model):
    """A user's role in one organisation; every query is scoped through these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("medlemskab")
        verbose_name_plural = _("medlemskaber")
        ordering = ["organisation__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                name="membership_unique",
                violation_error_message=_("Brugeren er allerede medlem af organisationen."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation.name} ({self.get_role_display()})"


class Department(models.Model):
    """An afdeling: the housing association's accounting and governance unit."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="departments"
    )
    number = models.CharField(_("afdelingsnummer"), max_length=20)
    name = models.CharField(_("navn"), max_length=200)

    class Meta:
        verbose_name = _("afdeling")
        verbose_name_plural = _("afdelinger")
        ordering = ["organisation__name", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"],
                name="department_number_unique",
                violation_error_message=_(
                    "Organisationen har allerede en afdeling med det nummer."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Property(models.Model):
    """An ejendom, owned by the organisation (the owner CVR used for CPR lookups)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="properties",
        verbose_name=_("ejer"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="properties",
        null=True,
        blank=True,
        verbose_name=_("afdeling"),
    )
    name = models.CharField(_("navn"), max_length=200)
    bfe_number = models.PositiveIntegerField(_("BFE-nummer"), null=True, blank=True)
    municipality_code = models.CharField(
        _("kommunekode"), max_length=4, validators=[validate_four_digits]
    )

    class Meta:
        verbose_name = _("ejendom")
        verbose_name_plural = _("ejendomme")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A BBR building. Field 322 may point with H at another building, never at a unit."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("ejendom")
    )
    bbr_id = models.UUIDField(_("BBR bygnings-id"), unique=True, default=uuid.uuid4)
    number = models.PositiveIntegerField(_("bygningsnummer"), default=1)
    letting_code = models.CharField(
        _("udlejningsforhold (felt 322)"),
        max_length=1,
        choices=LettingCode.choices,
        blank=True,
        default="",
    )
    letting_reference = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("H-henvisning til bygning"),
    )

    class Meta:
        verbose_name = _("bygning")
        verbose_name_plural = _("bygninger")
        ordering = ["property__name", "number"]
        constraints = [
            # H needs a reference, and only H may have one (BBR field 322). The reference is
            # typed as building->building, so building->unit cannot even be expressed.
            models.CheckConstraint(
                condition=(Q(letting_code="H") & Q(letting_reference__isnull=False))
                | (~Q(letting_code="H") & Q(letting_reference__isnull=True)),
                name="building_h_reference",
                violation_error_message=_(
                    "Udlejningsforhold H kræver en henvisning, og kun H må have en."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(letting_reference=F("pk")),
                name="building_h_not_self",
                violation_error_message=_("En H-henvisning kan ikke pege på sig selv."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property.name}, bygning {self.number}"


class Entrance(models.Model):
    """A DAR husnummer (adgangsadresse): street + house number = one stairwell."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="entrances", verbose_name=_("bygning")
    )
    dar_id = models.UUIDField(_("DAR husnummer-id"), unique=True, default=uuid.uuid4)
    street_name = models.CharField(_("vejnavn"), max_length=100)
    house_number = models.CharField(
        _("husnummer"), max_length=4, validators=[validate_house_number]
    )
    postcode = models.CharField(_("postnummer"), max_length=4, validators=[validate_four_digits])
    city = models.CharField(_("by"), max_length=100)
    municipality_code = models.CharField(
        _("kommunekode"), max_length=4, validators=[validate_four_digits]
    )
    road_code = models.CharField(_("vejkode"), max_length=4, validators=[validate_four_digits])
    search_text = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = _("opgang")
        verbose_name_plural = _("opgange")
        ordering = ["street_name", "house_number"]
        indexes = [models.Index(fields=["organisation", "street_name", "house_number"])]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_code", "road_code", "house_number"],
                name="entrance_address_unique",
                violation_error_message=_(
                    "Der findes allerede en opgang med den kommunekode, vejkode og husnummer."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def street_address(self) -> str:
        return f"{self.street_name} {self.house_number}"

    @property
    def address(self) -> str:
        return f"{self.street_name} {self.house_number}, {self.postcode} {self.city}"

    def build_search_text(self) -> str:
        return normalise_search(f"{self.street_name} {self.house_number}")


class Unit(models.Model):
    """A DAR adresse (floor and door behind an entrance) and its BBR unit."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    entrance = models.ForeignKey(
        Entrance, on_delete=models.PROTECT, related_name="units", verbose_name=_("opgang")
    )
    dar_id = models.UUIDField(_("DAR adresse-id"), unique=True, default=uuid.uuid4)
    floor = models.CharField(_("etage"), max_length=3, blank=True, validators=[validate_floor])
    door = models.CharField(_("dør"), max_length=4, blank=True, validators=[validate_door])
    bbr_unit_id = models.UUIDField(_("BBR enheds-id"), unique=True, null=True, blank=True)
    use_code = models.PositiveSmallIntegerField(_("anvendelseskode"), default=140)
    area_m2 = models.DecimalField(_("areal m²"), max_digits=7, decimal_places=2)
    rooms = models.PositiveSmallIntegerField(_("værelser"))
    letting_code = models.CharField(
        _("udlejningsforhold (felt 322)"),
        max_length=1,
        choices=LettingCode.choices,
        blank=True,
        default="",
    )
    letting_reference = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("H-henvisning til enhed"),
    )
    search_text = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = _("lejemål (enhed)")
        verbose_name_plural = _("enheder")
        ordering = ["search_text"]
        indexes = [
            models.Index(fields=["organisation", "search_text"]),
            # Filtered lists keep their default order (address) on a big portfolio.
            models.Index(fields=["organisation", "rooms", "search_text"]),
            models.Index(fields=["organisation", "letting_code", "search_text"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["entrance", "floor", "door"],
                name="unit_floor_door_unique",
                violation_error_message=_(
                    "Der findes allerede en enhed med den etage og dør i opgangen."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(letting_code="H") & Q(letting_reference__isnull=False))
                | (~Q(letting_code="H") & Q(letting_reference__isnull=True)),
                name="unit_h_reference",
                violation_error_message=_(
                    "Udlejningsforhold H kræver en henvisning, og kun H må have en."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(letting_reference=F("pk")),
                name="unit_h_not_self",
                violation_error_message=_("En H-henvisning kan ikke pege på sig selv."),
            ),
            models.CheckConstraint(
                condition=Q(area_m2__gt=0),
                name="unit_area_positive",
                violation_error_message=_("Arealet skal være større end 0 m²."),
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def floor_door(self) -> str:
        parts = [f"{self.floor}." if self.floor else "", self.door]
        return " ".join(p for p in parts if p)

    @property
    def street_address(self) -> str:
        fd = self.floor_door
        base = self.entrance.street_address
        return f"{base}, {fd}" if fd else base

    @property
    def address(self) -> str:
        e = self.entrance
        return f"{self.street_address}, {e.postcode} {e.city}"

    def build_search_text(self) -> str:
        return normalise_search(f"{self.entrance.street_address} {self.floor} {self.door}")


class Person(models.Model):
    """A person the organisation deals with. The CPR number is stored only encrypted,
    with a keyed hash for exact search and a masked form (DDMMYY-xxxx) for display."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    name = models.CharField(_("navn"), max_length=200)
    birth_date = models.DateField(_("fødselsdato"), null=True, blank=True)
    cpr_encrypted = models.TextField(blank=True, default="", editable=False)
    cpr_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    cpr_masked = models.CharField(
        _("CPR-nummer"), max_length=11, blank=True, default="", editable=False
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=20, blank=True)
    protected = models.BooleanField(_("navne- og adressebeskyttelse"), default=False)
    # GDPR (issue 15): processing restricted (art. 18) and when the person was anonymised.
    restricted = models.BooleanField(_("behandling begrænset"), default=False)
    anonymised_at = models.DateTimeField(_("anonymiseret"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["organisation", "name"]),
            models.Index(fields=["organisation", "protected", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    def set_cpr(self, cpr: str) -> None:
        """Store a normalised, already validated CPR number (10 digits) or clear it."""
        if not cpr:
            self.cpr_encrypted = self.cpr_hash = self.cpr_masked = ""
            return
        self.cpr_encrypted = crypto.encrypt(cpr)
        self.cpr_hash = crypto.search_hash(cpr)
        self.cpr_masked = f"{cpr[:6]}-xxxx"

    def reveal_cpr(self) -> str:
        """The CPR number in clear. Callers must check the role and log the reveal."""
        if not self.cpr_encrypted:
            return ""
        cpr = crypto.decrypt(self.cpr_encrypted)
        return f"{cpr[:6]}-{cpr[6:]}"

    @property
    def public_name(self) -> str:
        """The name as it may leave the organisation: protected persons never by name."""
        return str(_("Beskyttet person")) if self.protected else self.name


class Lease(models.Model):
    """A lease (lejekontrakt) on one unit. The parties and start date identify the tenant
    to the rent register; a tenant change is always: end this lease, create a new one."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="leases", verbose_name=_("enhed")
    )
    number = models.CharField(_("lejemålsnummer"), max_length=20, unique=True)
    holder_type = models.CharField(
        _("lejer eller andelshaver"),
        max_length=10,
        choices=HolderType.choices,
        default=HolderType.TENANT,
    )
    parties = models.ManyToManyField(Person, related_name="leases", verbose_name=_("lejere"))
    start_date = models.DateField(_("startdato"))
    end_date = models.DateField(_("slutdato"), null=True, blank=True)
    end_reason = models.CharField(_("ophørsårsag"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LeaseStatus.choices, default=LeaseStatus.ACTIVE
    )
    rent = models.DecimalField(_("husleje pr. måned"), max_digits=10, decimal_places=2)
    special_payments = models.DecimalField(
        _("særlige ydelser pr. måned"), max_digits=10, decimal_places=2, default=0
    )
    heating_aconto = models.DecimalField(
        _("aconto varme pr. måned"), max_digits=10, decimal_places=2, default=0
    )
    water_aconto = models.DecimalField(
        _("aconto vand pr. måned"), max_digits=10, decimal_places=2, default=0
    )
    electricity = models.CharField(
        _("el"),
        max_length=20,
        choices=UtilityPayment.choices,
        default=UtilityPayment.ACONTO_UTILITY,
    )
    water = models.CharField(
        _("vand"),
        max_length=20,
        choices=UtilityPayment.choices,
        default=UtilityPayment.ACONTO_ORGANISATION,
    )
    drainage = models.CharField(
        _("vandafledning"),
        max_length=20,
        choices=UtilityPayment.choices,
        default=UtilityPayment.INCLUDED,
    )
    heating = models.CharField(
        _("varme"),
        max_length=20,
        choices=UtilityPayment.choices,
        default=UtilityPayment.ACONTO_ORGANISATION,
    )
    heating_form = models.CharField(
        _("opvarmningsform"),
        max_length=10,
        choices=HeatingForm.choices,
        default=HeatingForm.DISTRICT,
    )
    tenant_maintains = models.BooleanField(_("lejer har vedligeholdelsespligt"), default=False)
    private_kitchen = models.BooleanField(_("eget køkken"), default=True)
    garage_carport = models.BooleanField(_("garage/carport"), default=False)
    accessible = models.BooleanField(_("egnet for bevægelseshæmmede"), default=False)
    student_room = models.BooleanField(_("ungdoms-/kollegieværelse"), default=False)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("lejekontrakt")
        verbose_name_plural = _("lejekontrakter")
        ordering = ["-start_date", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["unit", "status"]),
            # The lease list's sort orders, with and without the status filter.
            models.Index(fields=["organisation", "number"]),
            models.Index(fields=["organisation", "status", "number"]),
            models.Index(
                fields=["organisation", "-start_date", "-id"], name="lease_org_start_desc"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="lease_end_after_start",
                violation_error_message=_("Slutdatoen kan ikke ligge før startdatoen."),
            ),
            # The status follows the dates (tenancy.services.lease_status_on): an ended
            # lease has an end date; an active or upcoming one may have a future end date.
            models.CheckConstraint(
                condition=Q(status__in=["active", "upcoming"])
                | (Q(status="ended") & Q(end_date__isnull=False)),
                name="lease_status_matches_end_date",
                violation_error_message=_("Et ophørt lejemål skal have en slutdato."),
            ),
            models.CheckConstraint(
                condition=Q(rent__gte=0),
                name="lease_rent_not_negative",
                violation_error_message=_("Huslejen kan ikke være negativ."),
            ),
            # No two overlapping leases on one unit: see migration 0002 (an exclusion
            # constraint on PostgreSQL, a trigger on SQLite).
        ]

    def __str__(self) -> str:
        return f"{_('Lejemål')} {self.number}"

    @property
    def total_monthly(self):
        return self.rent + self.special_payments + self.heating_aconto + self.water_aconto

    @property
    def status_label(self) -> str:
        """The status as the pages show it: "Aktiv til 31.03.2027" when an end is set."""
        if self.status == LeaseStatus.ACTIVE and self.end_date:
            return str(_("Aktiv til %s")) % f"{self.end_date:%d.%m.%Y}"
        if self.status == LeaseStatus.UPCOMING:
            return str(_("Kommende fra %s")) % f"{self.start_date:%d.%m.%Y}"
        return str(self.get_status_display())

    def period_at(self, day):
        """The rent period in force on `day` (None for a lease without periods)."""
        return self.rent_periods.filter(valid_from__lte=day).order_by("-valid_from").first()


class ChangeRecord(models.Model):
    """Change history for tenancy records: who, when, which request, before/after.

    Snapshots hold no CPR number in clear (only the masked form). `people` links every
    person whose data appears in the snapshots so a GDPR erasure can scrub them out.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=200)
    action = models.CharField(_("handling"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("udført af"),
    )
    request_id = models.CharField(max_length=36, blank=True)
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)
    before = models.JSONField(_("før"), default=dict, blank=True)
    after = models.JSONField(_("efter"), default=dict, blank=True)
    people = models.ManyToManyField(Person, related_name="+", blank=True)
    # The change corrects wrong data (an earlier filing) rather than being a new fact.
    correction = models.BooleanField(_("rettelse af fejl"), default=False)
    reason = models.CharField(_("begrundelse"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ændring")
        verbose_name_plural = _("ændringshistorik")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def changed_fields(self) -> list[tuple[str, object, object]]:
        keys = sorted(set(self.before) | set(self.after))
        return [
            (k, self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        ]


class ExportJob(models.Model):
    """An Excel download too large to build inside a request: a Celery worker writes the
    file under MEDIA_ROOT/exports/ and updates `done` as it goes, so the browser can show
    progress. Only the user who asked for it may see or download it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kø")
        RUNNING = "running", _("I gang")
        DONE = "done", _("Færdig")
        FAILED = "failed", _("Fejlet")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("bruger"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("liste"), max_length=20)
    query = models.TextField(_("filtre"), blank=True)
    language = models.CharField(_("sprog"), max_length=10, default="da")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("rækker i alt"), default=0)
    done = models.PositiveIntegerField(_("rækker skrevet"), default=0)
    file = models.CharField(_("fil"), max_length=200, blank=True)
    error = models.TextField(_("fejl"), blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    started_at = models.DateTimeField(_("startet"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel-eksport")
        verbose_name_plural = _("Excel-eksporter")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# Models kept in their own modules (this one is long enough).
from .periods import LeaseRentPeriod  # noqa: E402

__all__ = [
    "Building",
    "ChangeRecord",
    "Department",
    "Entrance",
    "ExportJob",
    "Lease",
    "LeaseRentPeriod",
    "Membership",
    "Organisation",
    "Person",
    "Property",
    "Unit",
]

"""CPR landlord lookups and occupancy reconciliation (docs/domain.md: CPR lookups,
Occupancy reconciliation).

- `CprLookup` is the lookup log: one row per logical search sent to CPR (ad hoc or as part
  of a scan), with who, when, what, why and how many results. `CprLookupResident` holds the
  rows CPR answered. Both are append-only.
- `CprCharge` is the cost ledger: one row per logical search that reached the service and
  was answered, with a unique key so a retried task can never charge twice. Append-only.
- `ScanSetting`, `ScanJob`, `ScanItem`: the opt-in for scheduled scans, one job per run and
  one item per entrance (unique per job, so no entrance is looked up twice in a run).
- `CprRegistration`: the latest known CPR registrations per unit (what the last lookup
  said); `OccupancyEvent`: moves detected by comparing a lookup with that picture;
  `UnitOccupancy`: the 392-style derived status per unit with the time it was computed.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy.models import Entrance, Lease, Organisation, Person, Unit


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: the records are an audit trail."""

    def update(self, **kwargs):
        raise ValidationError(_("Posterne kan ikke ændres."))

    def delete(self):
        raise ValidationError(_("Posterne kan ikke slettes."))


class AppendOnlyModel(models.Model):
    """A record written once and never changed or deleted (the lookup log, the ledger)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Posten kan ikke ændres, når den først er gemt."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Posten kan ikke slettes."))


class LookupTarget(models.TextChoices):
    UNIT = "unit", _("Enhed (adresse med etage og dør)")
    ENTRANCE = "entrance", _("Opgang (husnummer)")
    DAR_ADDRESS = "dar_address", _("DAR adresse-id")
    DAR_HOUSE = "dar_house", _("DAR husnummer-id")


class LookupSource(models.TextChoices):
    ADHOC = "adhoc", _("Enkeltopslag")
    SCAN = "scan", _("Planlagt scanning")


class LookupOutcome(models.TextChoices):
    OK = "ok", _("Besvaret")
    REFUSED = "refused", _("Afvist af CPR")
    UNAVAILABLE = "unavailable", _("CPR svarede ikke")


class CprLookup(AppendOnlyModel):
    """One logical search sent to CPR's landlord service: who, when, what, why, outcome.

    Written by `cprlookup.services` after the call (one row even if the client retried);
    never changed afterwards (save refuses updates, the admin and API are read-only).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        db_index=False,  # the (organisation, -at) index serves it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bruger"),
    )
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)
    source = models.CharField(_("kilde"), max_length=10, choices=LookupSource.choices)
    target_kind = models.CharField(_("søgning på"), max_length=12, choices=LookupTarget.choices)
    target_label = models.CharField(_("adresse"), max_length=200)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enhed"),
    )
    entrance = models.ForeignKey(
        Entrance,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opgang"),
    )
    dar_id = models.UUIDField(_("DAR-id"), null=True, blank=True)
    owner_cvr = models.CharField(_("ejers CVR-nummer"), max_length=8)
    purpose = models.CharField(_("formål / sagsnummer"), max_length=300)
    outcome = models.CharField(_("udfald"), max_length=12, choices=LookupOutcome.choices)
    result_count = models.PositiveIntegerField(_("antal personer"), default=0)
    error_code = models.CharField(_("fejlkode"), max_length=20, blank=True)
    error_message = models.CharField(_("fejlbesked"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("forsøg"), default=1)
    reached_service = models.BooleanField(_("nåede CPR"), default=False)
    scan_job = models.ForeignKey(
        "ScanJob",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lookups",
        verbose_name=_("scanning"),
    )

    class Meta:
        verbose_name = _("CPR-opslag")
        verbose_name_plural = _("CPR-opslag (log)")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "-at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(purpose=""), name="cpr_lookup_has_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.target_label}"


class CprLookupResident(AppendOnlyModel):
    """One person in a CPR answer. The CPR number is stored encrypted with a keyed hash
    (to find every lookup that touched a person) and a masked form; protected persons come
    back from CPR without name and address, and are stored that way."""

    lookup = models.ForeignKey(
        CprLookup, on_delete=models.PROTECT, related_name="residents", verbose_name=_("opslag")
    )
    cpr_encrypted = models.TextField(editable=False)
    cpr_hash = models.CharField(max_length=64, editable=False)
    cpr_masked = models.CharField(_("CPR-nummer"), max_length=11)
    name = models.CharField(_("navn"), max_length=200, blank=True)
    move_in = models.DateField(_("tilflytning"), null=True, blank=True)
    move_out = models.DateField(_("fraflytning"), null=True, blank=True)
    protected = models.BooleanField(_("navne- og adressebeskyttelse"), default=False)
    dar_address_id = models.UUIDField(_("DAR adresse-id"), null=True, blank=True)
    floor = models.CharField(_("etage"), max_length=3, blank=True)
    door = models.CharField(_("dør"), max_length=4, blank=True)
    # No index on unit/person: residents are read by lookup and by cpr_hash only, and every
    # scan writes one row per person (about 8 per stairwell); an index here would serve only
    # the SET NULL when a unit or person is deleted, which no service does.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("enhed"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("person"),
    )

    class Meta:
        verbose_name = _("person i CPR-svar")
        verbose_name_plural = _("personer i CPR-svar")
        ordering = ["lookup", "pk"]
        # Equality only (keyed hash): no LIKE index beside it; every scan writes thousands.
        indexes = [models.Index(fields=["cpr_hash"], name="cpr_resident_hash")]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name as it may leave the organisation: protected persons never by name."""
        if self.is_protected:
            return str(_("Beskyttet person"))
        return self.name

    @property
    def is_protected(self) -> bool:
        person = self.linked_person
        return self.protected or (person is not None and person.protected)

    @property
    def linked_person(self) -> Person | None:
        """The person this resident was matched to, or None; also None when the id points
        at a person that no longer exists."""
        if self.person_id is None:
            return None
        try:
            return self.person
        except Person.DoesNotExist:
            return None


class CprCharge(AppendOnlyModel):
    """The cost ledger: one row per logical search that reached CPR and was answered.

    `key` is unique ("lookup:<uuid>" for an ad-hoc search, "scan:<job>:<entrance>" for a
    scan item), so a retried task or a resumed scan cannot charge the same search twice.
    """

    # Unique through Meta.constraints: unique=True would add a LIKE index on PostgreSQL,
    # one more index entry per search that nothing reads.
    key = models.CharField(_("nøgle"), max_length=80)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        db_index=False,  # the (organisation, month) index serves it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bruger"),
    )
    lookup = models.OneToOneField(
        CprLookup,
        on_delete=models.PROTECT,
        related_name="charge",
        verbose_name=_("opslag"),
    )
    source = models.CharField(_("kilde"), max_length=10, choices=LookupSource.choices)
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True)
    month = models.DateField(_("måned"), help_text=_("Første dag i måneden (dansk tid)."))
    amount = models.DecimalField(_("beløb (kr.)"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("CPR-omkostning")
        verbose_name_plural = _("CPR-omkostninger")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "month"])]
        constraints = [models.UniqueConstraint(fields=["key"], name="cpr_charge_key_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount} kr."


class ScanSetting(models.Model):
    """An organisation's opt-in for the scheduled (nightly) scan of all its entrances."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="cpr_scan_setting",
        verbose_name=_("organisation"),
    )
    enabled = models.BooleanField(_("planlagt scanning slået til"), default=False)
    updated_at = models.DateTimeField(_("ændret"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ændret af"),
    )

    class Meta:
        verbose_name = _("indstilling for planlagt scanning")
        verbose_name_plural = _("indstillinger for planlagt scanning")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return f"{self.organisation.name}: {'til' if self.enabled else 'fra'}"


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("I kø")
    RUNNING = "running", _("I gang")
    DONE = "done", _("Færdig")
    FAILED = "failed", _("Færdig med fejl")


class ScanJob(models.Model):
    """One run of a scan over every entrance of an organisation. The counts are refreshed
    from the items after each chunk, so the row is the progress bar and survives restarts."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("startet af"),
    )
    scheduled = models.BooleanField(_("planlagt"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("opgange i alt"), default=0)
    done = models.PositiveIntegerField(_("opgange slået op"), default=0)
    failed = models.PositiveIntegerField(_("opgange fejlet"), default=0)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    started_at = models.DateTimeField(_("startet"), null=True, blank=True)
    progress_at = models.DateTimeField(_("sidste fremskridt"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("CPR-scanning")
        verbose_name_plural = _("CPR-scanninger")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # At most one unfinished scan per organisation.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status__in=["queued", "running"]),
                name="scan_job_one_open_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{_('Scanning')} {self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ScanStatus.DONE, ScanStatus.FAILED)


class ScanItemStatus(models.TextChoices):
    PENDING = "pending", _("Venter")
    RUNNING = "running", _("I gang")
    DONE = "done", _("Slået op")
    FAILED = "failed", _("Fejlet")


class ScanItem(models.Model):
    """One entrance in one scan run. A worker claims it (pending -> running) before the
    search, so a duplicated message finds it taken or done and skips it."""

    job = models.ForeignKey(
        ScanJob,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("scanning"),
        db_index=False,  # the unique (job, entrance) index serves it
    )
    entrance = models.ForeignKey(
        Entrance, on_delete=models.CASCADE, related_name="+", verbose_name=_("opgang")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ScanItemStatus.choices,
        default=ScanItemStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("forsøg"), default=0)
    queued_at = models.DateTimeField(_("sat i kø"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("påbegyndt"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)
    lookup = models.ForeignKey(
        CprLookup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opslag"),
    )
    result_count = models.PositiveIntegerField(_("antal personer"), default=0)
    error = models.CharField(_("fejl"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("opgang i scanning")
        verbose_name_plural = _("opgange i scanning")
        ordering = ["job", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["job", "entrance"], name="scan_item_entrance_once")
        ]
        indexes = [models.Index(fields=["job", "status"])]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.entrance_id} ({self.get_status_display()})"


class CprRegistration(models.Model):
    """A person CPR last reported at a unit (currently registered, or moved out within the
    last year). Replaced by every new lookup of the unit; the basis of reconciliation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="cpr_registrations",
        verbose_name=_("enhed"),
        db_index=False,  # the unique (unit, cpr_hash) index serves it
    )
    cpr_encrypted = models.TextField(editable=False)
    cpr_hash = models.CharField(max_length=64, editable=False)
    cpr_masked = models.CharField(_("CPR-nummer"), max_length=11)
    name = models.CharField(_("navn"), max_length=200, blank=True)
    protected = models.BooleanField(_("navne- og adressebeskyttelse"), default=False)
    move_in = models.DateField(_("tilflytning"), null=True, blank=True)
    move_out = models.DateField(_("fraflytning"), null=True, blank=True)
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    first_seen_at = models.DateTimeField(_("først set"))
    # Not "last seen": every registration still here was confirmed by the unit's latest
    # lookup (one no longer reported is deleted), so UnitOccupancy.looked_up_at says when.
    # Rewriting a timestamp on every unchanged row each night cost a write per resident.
    changed_at = models.DateTimeField(_("sidst ændret"))

    class Meta:
        verbose_name = _("CPR-registrering")
        verbose_name_plural = _("CPR-registreringer")
        ordering = ["unit", "move_in"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "cpr_hash"], name="cpr_registration_once")
        ]
        indexes = [
            models.Index(fields=["unit", "move_out"]),
            models.Index(fields=["cpr_hash"], name="cpr_registration_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.public_name}"

    @property
    def public_name(self) -> str:
        return str(_("Beskyttet person")) if self.protected else self.name

    @property
    def is_current(self) -> bool:
        return self.move_out is None


class EventKind(models.TextChoices):
    MOVED_IN = "moved_in", _("Tilflyttet")
    MOVED_OUT = "moved_out", _("Fraflyttet")


class OccupancyEvent(models.Model):
    """A move detected by comparing a lookup with the unit's previous known registrations."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="occupancy_events", verbose_name=_("enhed")
    )
    lease = models.ForeignKey(
        Lease,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lejemål"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    cpr_hash = models.CharField(max_length=64, editable=False)
    cpr_masked = models.CharField(_("CPR-nummer"), max_length=11)
    name = models.CharField(_("navn"), max_length=200, blank=True)
    protected = models.BooleanField(_("navne- og adressebeskyttelse"), default=False)
    kind = models.CharField(_("hændelse"), max_length=10, choices=EventKind.choices)
    date = models.DateField(_("dato"), null=True, blank=True, help_text=_("Tom: ukendt dato."))
    detected_at = models.DateTimeField(_("opdaget"), auto_now_add=True)
    lookup = models.ForeignKey(
        CprLookup, on_delete=models.PROTECT, related_name="+", verbose_name=_("opslag")
    )

    class Meta:
        verbose_name = _("flytning")
        verbose_name_plural = _("flytninger")
        ordering = ["-detected_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-detected_at"])]
        constraints = [
            # A retried chunk must not record the same move twice.
            models.UniqueConstraint(
                fields=["lookup", "unit", "cpr_hash", "kind"], name="occupancy_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date or ''}"

    @property
    def is_protected(self) -> bool:
        """CPR's marker on the move, or the linked person's protection."""
        return self.protected or (self.person is not None and self.person.protected)

    @property
    def public_name(self) -> str:
        return str(_("Beskyttet person")) if self.is_protected else self.name


class OccupancyStatus(models.TextChoices):
    """392-style letting status (docs/domain.md, BBR letting status), derived from CPR and BBR
    field 322."""

    LET = "let", _("1: Udlejet")
    OWNER = "owner", _("2: Benyttet af ejer")
    NOT_USED = "not_used", _("3: Ikke benyttet (ingen tilmeldt i CPR)")


class UnitOccupancy(models.Model):
    """The derived occupancy status of one unit and when it was computed (after the unit's
    latest CPR lookup). Units never looked up have no row."""

    unit = models.OneToOneField(
        Unit, on_delete=models.CASCADE, related_name="occupancy", verbose_name=_("enhed")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (organisation, status) index serves it
    )
    status = models.CharField(_("benyttelse"), max_length=10, choices=OccupancyStatus.choices)
    registered_count = models.PositiveIntegerField(_("tilmeldte i CPR"), default=0)
    computed_at = models.DateTimeField(_("beregnet"))
    looked_up_at = models.DateTimeField(_("sidste CPR-opslag"))

    class Meta:
        verbose_name = _("benyttelse af enhed")
        verbose_name_plural = _("benyttelse af enheder")
        ordering = ["unit"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.get_status_display()}"

    @property
    def is_stale(self) -> bool:
        """CPR's answer behind the status is older than CPR_OCCUPANCY_STALE_DAYS (the
        status is then only as good as BBR's own field 392 between its runs)."""
        from django.conf import settings
        from django.utils import timezone

        age = timezone.now() - self.looked_up_at
        return age.days >= settings.CPR_OCCUPANCY_STALE_DAYS


from .evidence import DwellingsEvidence, OwnerUse  # noqa: E402, F401 - owner's own records
from .records import LookupCprDownload  # noqa: E402, F401 - full-CPR downloads of a lookup

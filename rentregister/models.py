"""Rent register (Huslejeregisteret) filings, UDK tasks, rehousing, consent, the operating
plan and notification contacts (docs/domain.md, the rent register).

A `Filing` is an outbox row: written in the same transaction as the lease change it
reports, holding the full payload snapshot and a stable idempotency key, then pushed to the
register by a Celery task (rentregister.services.filings_push) and a periodic sweeper.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class FilingState(models.TextChoices):
    PENDING = "pending", _("Afventer afsendelse")
    SENT = "sent", _("Sendt")
    ACCEPTED = "accepted", _("Modtaget af registret")
    REJECTED = "rejected", _("Afvist af registret")
    NEEDS_ATTENTION = "needs_attention", _("Kræver handling")
    CANCELLED = "cancelled", _("Annulleret af sagsbehandler")


# States in which a filing still holds back later filings of the same lease.
BLOCKING_STATES = (
    FilingState.PENDING,
    FilingState.SENT,
    FilingState.REJECTED,
    FilingState.NEEDS_ATTENTION,
)
OPEN_STATES = BLOCKING_STATES


class FilingKind(models.TextChoices):
    CREATE = "create", _("Nyt lejemål")
    UPDATE = "update", _("Ændrede lejevilkår")
    END = "end", _("Lejemål afsluttet")
    REINSTATE = "reinstate", _("Lejemål genoptaget")
    RENT_CHANGE = "rent_change", _("Huslejeændring")
    UNIT = "unit", _("Ændrede BBR-oplysninger")
    REHOUSING = "rehousing", _("Midlertidig genhusning")
    REHOUSING_END = "rehousing_end", _("Genhusning afsluttet")
    RESEND = "resend", _("Genindberetning")
    TENANT_ID = "tenant_id", _("Lejers identifikation (samtykke til CPR)")
    RESTORE = "restore", _("Genoprettet i registret")


class FilingOperation(models.TextChoices):
    CREATE = "create", _("Opret")
    UPDATE = "update", _("Ret")
    DELETE = "delete", _("Slet")


class Filing(models.Model):
    """One report of a lease's full state to the rent register (an outbox row).

    Filings of one lease are sent in order (by primary key): a later one waits while an
    earlier one is pending, sent, rejected or needs attention."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        related_name="rent_filings",
        verbose_name=_("lejemål"),
    )
    change_record = models.ForeignKey(
        "tenancy.ChangeRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ændring"),
    )
    kind = models.CharField(_("ændring"), max_length=20, choices=FilingKind.choices)
    operation = models.CharField(_("operation"), max_length=10, choices=FilingOperation.choices)
    is_correction = models.BooleanField(_("rettelse af fejl"), default=False)
    payload = models.JSONField(_("indberetning"))
    # Per tenant in the payload: the person whose CPR number is added at send time (with
    # consent), else null. The payload itself never holds a CPR number in clear.
    cpr_person_ids = models.JSONField(default=list, blank=True, editable=False)
    effective_date = models.DateField(_("gælder fra"))
    idempotency_key = models.UUIDField(_("idempotensnøgle"), unique=True, default=uuid.uuid4)
    state = models.CharField(
        _("status"),
        max_length=20,
        choices=FilingState.choices,
        default=FilingState.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("forsøg"), default=0)
    next_attempt_at = models.DateTimeField(_("næste forsøg"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("modtaget"), null=True, blank=True)
    receipt_id = models.CharField(_("kvittering"), max_length=100, blank=True)
    receipt_version = models.PositiveIntegerField(_("version i registret"), null=True, blank=True)
    errors = models.JSONField(_("fejl"), default=list, blank=True)
    warnings = models.JSONField(_("advarsler"), default=list, blank=True)
    last_error = models.CharField(_("seneste fejl"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("udført af"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("behandlet af"),
    )
    resolution_note = models.CharField(_("bemærkning"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("opdateret"), auto_now=True)

    class Meta:
        verbose_name = _("indberetning")
        verbose_name_plural = _("indberetninger")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["lease", "state"]),
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["state", "next_attempt_at"]),
            # The push claims pending filings oldest first ...
            models.Index(
                fields=["id"],
                condition=Q(state=FilingState.PENDING),
                name="rent_filing_pending_idx",
            ),
            # ... that have no older open filing of the same lease (one probe per row).
            models.Index(
                fields=["lease", "id"],
                condition=Q(state__in=BLOCKING_STATES),
                name="rent_filing_open_lease_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Indberetning')} {self.pk} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def can_retry(self) -> bool:
        return self.state in (FilingState.REJECTED, FilingState.NEEDS_ATTENTION)


class FilingConsent(models.Model):
    """A tenant's consent to file their CPR number with the register; may be withdrawn.
    Without an active consent the filing identifies the tenant by name and birth date."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.CASCADE,
        related_name="rent_filing_consents",
        verbose_name=_("person"),
    )
    given_at = models.DateTimeField(_("givet"))
    withdrawn_at = models.DateTimeField(_("trukket tilbage"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    note = models.CharField(_("bemærkning"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("samtykke til CPR i huslejeregistret")
        verbose_name_plural = _("samtykker til CPR i huslejeregistret")
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(withdrawn_at__isnull=True),
                name="rent_consent_one_active_per_person",
            )
        ]

    def __str__(self) -> str:
        state = _("aktivt") if self.withdrawn_at is None else _("trukket tilbage")
        return f"{_('Samtykke')} {self.person_id} ({state})"


class UdkTaskKind(models.TextChoices):
    NOTIFY_CHANGE = "notify_change", _("Giv UDK besked om ændring")
    CORRECTION = "correction", _("Giv UDK besked om rettelse")
    PRE_2014_RENT = "pre_2014_rent", _("E-mail til UDK's boligstøtte (før 1. juni 2014)")
    REINSTATE = "reinstate", _("Giv UDK besked om genoptaget lejemål")
    RESTORED = "restored", _("Giv UDK besked om genoprettet lejemål")
    REHOUSING_MOVE = "rehousing_move", _("Lejer flyttet under genhusning: kontakt UDK")


class UdkTaskStatus(models.TextChoices):
    OPEN = "open", _("Åben")
    DONE = "done", _("Udført")


class UdkTask(models.Model):
    """Something UDK does not learn from the register by itself: the caseworker sends
    the drafted message and marks the task done."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        related_name="udk_tasks",
        verbose_name=_("lejemål"),
    )
    filing = models.ForeignKey(
        Filing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="udk_tasks",
        verbose_name=_("indberetning"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=UdkTaskKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=UdkTaskStatus.choices, default=UdkTaskStatus.OPEN
    )
    recipient = models.CharField(_("modtager"), max_length=200)
    subject = models.CharField(_("emne"), max_length=200)
    message = models.TextField(_("besked"))
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    done_at = models.DateTimeField(_("udført"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("udført af"),
    )

    class Meta:
        verbose_name = _("UDK-opgave")
        verbose_name_plural = _("UDK-opgaver")
        ordering = ["status", "-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.subject


class RehousingKind(models.TextChoices):
    TEMPORARY = "temporary", _("Midlertidig")
    PERMANENT = "permanent", _("Permanent")


class RehousingPlacement(models.TextChoices):
    INSIDE = "inside", _("I organisationens egen bolig")
    OUTSIDE_INSURED = "outside_insured", _("Uden for organisationen, betalt af forsikring")


class RehousingStatus(models.TextChoices):
    ACTIVE = "active", _("I gang")
    ENDED = "ended", _("Afsluttet")


class Rehousing(models.Model):
    """A rehousing (genhusning). Temporary: the lease and its rent stay, but the register
    gets `filed_rent` (lower temporary rent, or 0 kr when an insurer pays) while it lasts;
    null means the normal rent is filed. Permanent: the old lease ended, a new one made."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        related_name="rehousings",
        verbose_name=_("lejemål"),
    )
    kind = models.CharField(_("type"), max_length=10, choices=RehousingKind.choices)
    placement = models.CharField(
        _("genhusning i"), max_length=20, choices=RehousingPlacement.choices, blank=True
    )
    temporary_unit = models.ForeignKey(
        "tenancy.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("midlertidig bolig"),
    )
    temporary_rent = models.DecimalField(
        _("husleje i den midlertidige bolig"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    filed_rent = models.DecimalField(
        _("indberettet husleje under genhusningen"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    new_lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nyt lejemål"),
    )
    start_date = models.DateField(_("fra"))
    end_date = models.DateField(_("til"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RehousingStatus.choices, default=RehousingStatus.ACTIVE
    )
    note = models.CharField(_("bemærkning"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("genhusning")
        verbose_name_plural = _("genhusninger")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lease"],
                condition=Q(status="active", kind="temporary"),
                name="rehousing_one_active_temporary_per_lease",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {_('genhusning')} {self.start_date:%d.%m.%Y}"


class PayoutDeadline(models.Model):
    """One line of the operating plan (driftsplan): changes filed by `cutoff_date` count in
    the housing-benefit payout made on `payout_date` for `benefit_month`."""

    benefit_month = models.DateField(_("boligstøtte for måned"), unique=True)
    cutoff_date = models.DateField(_("frist for indberetning"))
    payout_date = models.DateField(_("udbetalingsdato"))

    class Meta:
        verbose_name = _("frist i driftsplanen")
        verbose_name_plural = _("driftsplan (frister)")
        ordering = ["cutoff_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cutoff_date__lte=models.F("payout_date")),
                name="payout_cutoff_before_payout",
            )
        ]

    def __str__(self) -> str:
        return f"{self.benefit_month:%m/%Y}: {_('frist')} {self.cutoff_date:%d.%m.%Y}"


class NotificationContact(models.Model):
    """A contact person who receives the register's notifications for the organisation."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        related_name="rent_contacts",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("navn"), max_length=200)
    email = models.EmailField(_("e-mail"))
    active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("kontaktperson for huslejeregistret")
        verbose_name_plural = _("kontaktpersoner for huslejeregistret")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"], name="rent_contact_email_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# --- comparison with the register (docs/domain.md, "Rent register kept in step") -----------


class RegisterComparison(models.Model):
    """One read-back of the register for an organisation: when, how many leases, how many
    differences (or why it failed)."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(_("startet"), auto_now_add=True)
    finished_at = models.DateTimeField(_("færdig"), null=True, blank=True)
    leases_compared = models.PositiveIntegerField(_("lejemål sammenlignet"), default=0)
    differences = models.PositiveIntegerField(_("forskelle"), default=0)
    error = models.CharField(_("fejl"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("sammenligning med registret")
        verbose_name_plural = _("sammenligninger med registret")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.started_at:%Y-%m-%d %H:%M}"


class DifferenceKind(models.TextChoices):
    MISSING = "missing", _("Mangler i registret")
    DELETED = "deleted", _("Slettet i registret")
    FIELD = "field", _("Forskellig værdi")
    ONLY_THERE = "only_there", _("Kun i registret")


class RegisterDifference(models.Model):
    """One difference between our data and what the register holds, found by a comparison.
    Open until refiled (`refiled_by` the filing) or a later comparison no longer finds it."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    comparison = models.ForeignKey(
        RegisterComparison, on_delete=models.CASCADE, related_name="rows"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lejemål"),
    )
    lease_number = models.CharField(_("lejemålsnummer"), max_length=40)
    kind = models.CharField(_("forskel"), max_length=12, choices=DifferenceKind.choices)
    field = models.CharField(_("felt"), max_length=80, blank=True)
    ours = models.CharField(_("vores værdi"), max_length=300, blank=True)
    theirs = models.CharField(_("registrets værdi"), max_length=300, blank=True)
    found_at = models.DateTimeField(_("fundet"), auto_now_add=True)
    refiled_by = models.ForeignKey(
        Filing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("genindberettet"),
    )

    class Meta:
        verbose_name = _("forskel fra registret")
        verbose_name_plural = _("forskelle fra registret")
        ordering = ["lease_number", "field", "pk"]
        indexes = [models.Index(fields=["organisation", "refiled_by"])]

    def __str__(self) -> str:
        return f"{self.lease_number} {self.field or self.kind}"


class NotificationSettingsPush(models.Model):
    """The last sending of the organisation's notification contacts to the register's
    notification settings: when, how many, and the error if it failed."""

    organisation = models.OneToOneField(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    contacts = models.PositiveIntegerField(_("kontaktpersoner"), default=0)
    error = models.CharField(_("fejl"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("afsendelse af kontaktpersoner")
        verbose_name_plural = _("afsendelser af kontaktpersoner")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.contacts}"

"""Data discovery (issue 16): scheduled scans for personal numbers and contact details lying
in free text, documents and files, and what caseworkers decided about each finding."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FindingKind(models.TextChoices):
    CPR = "cpr", _("CPR-nummer")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telefonnummer")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Åben")
    REDACTED = "redacted", _("Fjernet")
    DISMISSED = "dismissed", _("Afvist (ikke persondata)")
    GONE = "gone", _("Forsvundet")


class DiscoveryRun(models.Model):
    """One scan (scheduled or started by hand), with its progress and counts."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kø")
        RUNNING = "running", _("I gang")
        DONE = "done", _("Færdig")
        FAILED = "failed", _("Fejlet")

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("startet af"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("kilder i alt"), default=0)
    done = models.PositiveIntegerField(_("kilder scannet"), default=0)
    values_scanned = models.PositiveBigIntegerField(_("tekstværdier"), default=0)
    files_scanned = models.PositiveIntegerField(_("filer"), default=0)
    findings = models.PositiveIntegerField(_("fund"), default=0)
    new_findings = models.PositiveIntegerField(_("nye fund"), default=0)
    error = models.CharField(_("fejl"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("dataopdagelse")
        verbose_name_plural = _("dataopdagelser")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    # the progress partial shows failures when there are any
    failed = 0


class DiscoveryFinding(models.Model):
    """A number or address found where it should not be. Never holds the value in clear:
    `masked` is for display, `value_hash` the keyed hash (for a CPR number the same hash as
    Person.cpr_hash, so a finding can be tied to a known person) and `fingerprint` the key
    of the place and value, so a dismissed finding stays dismissed on later scans."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("type"), max_length=10, choices=FindingKind.choices)
    # where: a model field (source "field") or a file under MEDIA_ROOT (source "file")
    source = models.CharField(_("kilde"), max_length=10)
    model = models.CharField(_("tabel"), max_length=100, blank=True)
    object_id = models.CharField(_("række"), max_length=40, blank=True)
    field = models.CharField(_("felt"), max_length=100, blank=True)
    path = models.CharField(_("fil"), max_length=400, blank=True)
    masked = models.CharField(_("fundet (maskeret)"), max_length=100)
    context = models.CharField(_("sammenhæng"), max_length=300, blank=True)
    value_hash = models.CharField(max_length=64, db_index=True, editable=False)
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kendt person"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    first_seen = models.DateTimeField(_("først fundet"), auto_now_add=True)
    last_seen = models.DateTimeField(_("senest fundet"), db_index=True)
    last_run = models.ForeignKey(
        DiscoveryRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("behandlet af"),
    )
    resolved_at = models.DateTimeField(_("behandlet"), null=True, blank=True)
    resolution = models.CharField(_("hvad der skete"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fund af persondata")
        verbose_name_plural = _("fund af persondata")
        ordering = ["-last_seen", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "status", "-last_seen"], name="gdpr_find_org")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked}"

    @property
    def location(self) -> str:
        if self.source == "file":
            return self.path
        return f"{self.model}.{self.field} #{self.object_id}"

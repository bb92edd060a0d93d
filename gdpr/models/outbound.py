"""Outbound exports of personal data (issue 16): each a logged action with its own field
list, the owner's opt-in to market statistics and the notices sent to tenants."""

import builtins

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    MARKET_STATISTICS = "market_statistics", _("Markedsstatistik (EjendomDanmark)")
    METER_READING = "meter_reading", _("Måleraflæsningsfirma")
    WORK_ORDER = "work_order", _("Arbejdsordre til håndværker")
    TRIBUNAL = "tribunal", _("Sammenligningslejemål til huslejenævn")
    HANDOVER = "handover", _("Overdragelse af ejendom")
    FIRST_OFFER = "first_offer", _("Lejekontrakter til tilbudspligt")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("I kø")
    RUNNING = "running", _("I gang")
    DONE = "done", _("Færdig")
    FAILED = "failed", _("Fejlet")


class MarketStatisticsOptIn(models.Model):
    """The owner (organisation) takes part in the industry's market statistics. Without a
    row with `opted_in`, no market-statistics file can be produced."""

    organisation = models.OneToOneField(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    opted_in = models.BooleanField(_("deltager i markedsstatistik"), default=False)
    changed_at = models.DateTimeField(_("ændret"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ændret af"),
    )

    class Meta:
        verbose_name = _("tilmelding til markedsstatistik")
        verbose_name_plural = _("tilmeldinger til markedsstatistik")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.opted_in}"


class MarketStatisticsNotice(models.Model):
    """A tenant was told that data about their lease goes to the market statistics: once
    per organisation and person (the unique constraint makes sending idempotent)."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    notified_at = models.DateTimeField(_("underrettet"), auto_now_add=True)
    emailed = models.BooleanField(_("sendt pr. e-mail"), default=False)

    class Meta:
        verbose_name = _("underretning om markedsstatistik")
        verbose_name_plural = _("underretninger om markedsstatistik")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "person"], name="gdpr_market_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.person_id}"


class OutboundExport(models.Model):
    """One produced outbound file: what kind, for whom, about what (property, unit or
    lease), by whom, its progress and its disclosure-log row. The file lies under
    MEDIA_ROOT/outbound/ and is served only to the organisation's staff."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("udtræk"), max_length=20, choices=ExportKind.choices)
    recipient = models.CharField(_("modtager"), max_length=200)
    property = models.ForeignKey(
        "tenancy.Property",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ejendom"),
    )
    unit = models.ForeignKey(
        "tenancy.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enhed"),
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lejemål"),
    )
    description = models.CharField(_("beskrivelse"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bestilt af"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("rækker i alt"), default=0)
    done = models.PositiveIntegerField(_("rækker skrevet"), default=0)
    file = models.CharField(_("fil"), max_length=300, blank=True)
    error = models.CharField(_("fejl"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)
    disclosure = models.ForeignKey(
        "gdpr.Disclosure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("videregivelse"),
    )

    class Meta:
        verbose_name = _("udtræk til ekstern modtager")
        verbose_name_plural = _("udtræk til eksterne modtagere")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="gdpr_outbound_org")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"

    @builtins.property  # `property` is a field here
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

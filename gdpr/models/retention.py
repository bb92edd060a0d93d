"""The retention schedule ("sletteguide") and the runs that carry it out (issue 15).

`RetentionRule`: one row per category of personal data, with its period, the event the
period runs from, what happens when it has passed and the legal basis. The defaults come
from a data migration (the seed's promises where it names them, our documented choice
where it does not); administrators edit them in the admin; caseworkers read them under
/gdpr/sletning/. The app that holds the data carries a rule out (core.personal_data).

`RetentionRun`: one run of the schedule (nightly for every organisation, or started by a
caseworker for one). The row is the progress bar and the resume point: per category the
cursor and the count done, so a run interrupted half-way continues where it stopped and a
second run over the same data finds nothing to do. `RetentionKept`: the people a run left
alone and why (an active lease, an unpaid debt): ids only, never names.
"""

import calendar
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("dage")
    MONTHS = "months", _("måneder")
    YEARS = "years", _("år")


class RetentionAction(models.TextChoices):
    ANONYMISE = "anonymise", _("Personen anonymiseres")
    DELETE = "delete", _("Posterne slettes")
    CLEAR = "clear", _("Indholdet slettes, posten bevares")


class RetentionRule(models.Model):
    key = models.SlugField(_("nøgle"), max_length=40, unique=True)
    title = models.CharField(_("kategori"), max_length=120)
    description = models.CharField(_("hvilke oplysninger"), max_length=400)
    period = models.PositiveIntegerField(_("periode"))
    unit = models.CharField(_("enhed"), max_length=10, choices=PeriodUnit.choices)
    starts = models.CharField(_("regnes fra"), max_length=200)
    action = models.CharField(_("handling"), max_length=10, choices=RetentionAction.choices)
    legal_basis = models.TextField(_("retsgrundlag og begrundelse"))
    position = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)
    enabled = models.BooleanField(
        _("aktiv"), default=True, help_text=_("En inaktiv regel springes over af kørslerne.")
    )
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
        verbose_name = _("opbevaringsregel")
        verbose_name_plural = _("opbevaringsregler (sletteguide)")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return str(self.title)

    @property
    def period_label(self) -> str:
        if self.period == 0:
            return str(_("straks"))
        return f"{self.period} {self.get_unit_display()}"

    def cutoff(self, now):
        """The moment before which the period has passed (data from before it is due)."""
        if self.unit == PeriodUnit.DAYS:
            return now - timedelta(days=self.period)
        months = self.period if self.unit == PeriodUnit.MONTHS else 12 * self.period
        return months_before(now, months)


def months_before(moment, months: int):
    """The same day and time `months` earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("I kø")
    RUNNING = "running", _("I gang")
    DONE = "done", _("Færdig")
    FAILED = "failed", _("Fejlet")


class RetentionRun(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Tom: den natlige kørsel for alle organisationer."),
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
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    # The moment the periods are counted back from: fixed when the run is made, so a resumed
    # run draws the same line.
    as_of = models.DateTimeField(_("opgjort pr."))
    total = models.PositiveIntegerField(_("i alt"), default=0)
    done = models.PositiveIntegerField(_("udført"), default=0)
    failed = models.PositiveIntegerField(_("bevaret"), default=0)  # kept (progress bar's label)
    counts = models.JSONField(_("udført pr. kategori"), default=dict, blank=True)
    cursors = models.JSONField(default=dict, blank=True, editable=False)
    finished_keys = models.JSONField(default=list, blank=True, editable=False)
    error = models.TextField(_("fejl"), blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    started_at = models.DateTimeField(_("startet"), null=True, blank=True)
    progress_at = models.DateTimeField(_("sidste fremskridt"), null=True, blank=True)
    finished_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)

    class Meta:
        verbose_name = _("sletningskørsel")
        verbose_name_plural = _("sletningskørsler")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class RetentionKept(models.Model):
    """Someone whose period has passed but who must stay, and why (ids only)."""

    run = models.ForeignKey(
        RetentionRun, on_delete=models.CASCADE, related_name="kept", verbose_name=_("kørsel")
    )
    key = models.SlugField(_("kategori"), max_length=40)
    person_id = models.PositiveBigIntegerField(_("person-id"), null=True, blank=True)
    applicant_id = models.PositiveBigIntegerField(_("ansøger-id"), null=True, blank=True)
    reason = models.CharField(_("begrundelse"), max_length=500)

    class Meta:
        verbose_name = _("bevaret person")
        verbose_name_plural = _("bevarede personer")
        ordering = ["run", "pk"]

    def __str__(self) -> str:
        return self.reason

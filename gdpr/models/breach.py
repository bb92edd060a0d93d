"""The breach register (GDPR Art. 33/34, issue 16): personal-data breaches, their 72-hour
deadline to Datatilsynet, the persons affected and the notices to them."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

AUTHORITY_HOURS = 72


class BreachRisk(models.TextChoices):
    UNLIKELY = "unlikely", _("Ingen sandsynlig risiko (registreres, anmeldes ikke)")
    RISK = "risk", _("Risiko: anmeldes til Datatilsynet")
    HIGH = "high", _("Høj risiko: anmeldes og de berørte underrettes")


class Breach(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("overskrift"), max_length=200)
    description = models.TextField(_("hvad skete der"))
    discovered_at = models.DateTimeField(_("opdaget"))
    occurred_at = models.DateTimeField(_("skete"), null=True, blank=True)
    categories = models.JSONField(_("kategorier af oplysninger"), default=list)
    risk = models.CharField(_("risiko"), max_length=10, choices=BreachRisk.choices)
    consequences = models.TextField(_("sandsynlige konsekvenser"), blank=True)
    measures = models.TextField(_("trufne og planlagte foranstaltninger"), blank=True)
    reported_at = models.DateTimeField(_("anmeldt til Datatilsynet"), null=True, blank=True)
    authority_reference = models.CharField(_("Datatilsynets j.nr."), max_length=100, blank=True)
    late_reason = models.CharField(_("begrundelse for sen anmeldelse"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    created_at = models.DateTimeField(_("registreret"), auto_now_add=True)
    people = models.ManyToManyField(
        "tenancy.Person", through="BreachPerson", related_name="+", verbose_name=_("berørte")
    )

    class Meta:
        verbose_name = _("brud på persondatasikkerheden")
        verbose_name_plural = _("brud på persondatasikkerheden")
        ordering = ["-discovered_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "reported_at"], name="gdpr_breach_org")]

    def __str__(self) -> str:
        return self.title

    @property
    def deadline(self):
        """72 hours after it was discovered (Art. 33(1))."""
        return self.discovered_at + timedelta(hours=AUTHORITY_HOURS)

    @property
    def must_report(self) -> bool:
        return self.risk != BreachRisk.UNLIKELY

    @property
    def must_notify(self) -> bool:
        return self.risk == BreachRisk.HIGH


class BreachPerson(models.Model):
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey("tenancy.Person", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("fundet via"), max_length=100, blank=True)
    notified_at = models.DateTimeField(_("underrettet"), null=True, blank=True)
    notified_by_email = models.BooleanField(_("underrettet pr. e-mail"), default=False)

    class Meta:
        verbose_name = _("berørt person")
        verbose_name_plural = _("berørte personer")
        constraints = [
            models.UniqueConstraint(fields=["breach", "person"], name="gdpr_breach_person_unique")
        ]

    def __str__(self) -> str:
        return f"{self.breach_id}: {self.person_id}"

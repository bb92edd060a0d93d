"""Controller and processors (issue 16): each organisation (owner) is the controller; the
processors and sub-processors that handle its tenants' data, with their agreements. The
record of processing activities (Art. 30) is generated from these and the product's own
configuration (gdpr.disclosure.records)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessorRole(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator (databehandler for ejeren)")
    SYSTEM_VENDOR = "system_vendor", _("Systemleverandør")
    PAYMENT = "payment", _("Betalingsformidler")
    METER = "meter", _("Måleraflæsningsfirma")
    MAIL_SMS = "mail_sms", _("E-mail og SMS")
    HOSTING = "hosting", _("Drift og hosting")
    OTHER = "other", _("Andet")


class Processor(models.Model):
    """A processor or sub-processor of the owner, with its data processing agreement."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("dataansvarlig (ejer)"),
    )
    name = models.CharField(_("navn"), max_length=200)
    cvr = models.CharField(_("CVR-nummer"), max_length=8, blank=True)
    role = models.CharField(_("rolle"), max_length=20, choices=ProcessorRole.choices)
    sub_processor_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_processors",
        verbose_name=_("underdatabehandler for"),
    )
    service = models.CharField(_("opgave"), max_length=300)
    categories = models.JSONField(_("kategorier af oplysninger"), default=list, blank=True)
    country = models.CharField(_("behandlingssted (land)"), max_length=60, default="Danmark")
    third_country_basis = models.CharField(
        _("grundlag for overførsel til tredjeland"), max_length=300, blank=True
    )
    agreement_date = models.DateField(_("aftale indgået"), null=True, blank=True)
    agreement_ends = models.DateField(_("aftale udløber"), null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("databehandler")
        verbose_name_plural = _("databehandlere")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sub_processor_of=models.F("pk")),
                name="gdpr_processor_not_own_sub",
            )
        ]

    def __str__(self) -> str:
        return self.name

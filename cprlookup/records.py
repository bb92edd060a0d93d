"""The log of CPR officers' downloads of a lookup with full CPR numbers (docs/domain.md,
"Personal data"). Each linked resident is also logged as a reveal of that person (gdpr's
`CprReveal`, through tenancy.hooks.cpr_reveal_loggers); this row records the download as a
whole, residents not (yet) in the system included. Imported by `cprlookup.models`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organisation


class LookupCprDownload(models.Model):
    """Who downloaded which lookup with full CPR numbers, why and when. Append-only."""

    lookup = models.ForeignKey(
        "cprlookup.CprLookup",
        on_delete=models.PROTECT,
        related_name="cpr_downloads",
        verbose_name=_("opslag"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bruger"),
    )
    purpose = models.CharField(_("formål"), max_length=300)
    residents = models.PositiveIntegerField(_("antal personer"))
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)

    class Meta:
        app_label = "cprlookup"
        verbose_name = _("download med fulde CPR-numre")
        verbose_name_plural = _("downloads med fulde CPR-numre")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purpose=""), name="lookup_cpr_download_has_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} – {self.lookup_id}"

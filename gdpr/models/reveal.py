"""The CPR reveal log (every full CPR number shown)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CprReveal(models.Model):
    """One reveal of a full CPR number: who saw whose number, for which purpose, when.

    Append-only: written by `gdpr.services.cpr_reveal`, never changed or deleted (the admin
    is read-only). The person link is PROTECT so a reveal cannot vanish with the person;
    GDPR erasure anonymises the person instead of deleting it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cpr_reveals",
        verbose_name=_("bruger"),
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.PROTECT,
        related_name="cpr_reveals",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.PROTECT,
        related_name="cpr_reveals",
        verbose_name=_("organisation"),
    )
    purpose = models.CharField(_("formål"), max_length=300)
    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("visning af CPR-nummer")
        verbose_name_plural = _("visninger af CPR-numre")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organisation", "at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(purpose=""), name="cpr_reveal_has_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} – {self.person_id}"

"""Records the organisation keeps beside CPR's answers.

`DwellingsEvidence`: the recorded document behind a private landlord's typed number of dwellings (CPR Act
§39: "En privat udlejningsvirksomhed skal dokumentere, at denne ejer og udlejer mere end 10
boliger"). Eligibility is checked against the units the organisation owns and lets in the
product; the typed number (`Organisation.dwellings_owned`) counts only when such a record
names the document that proves it (docs/domain.md, "CPR lookups").

`OwnerUse`: the owner's data that a unit is used by the owner (the organisation's office or
guest flat, the owner's own home), which the 392-style status uses beside BBR field 322 = E
(docs/domain.md, "Occupancy reconciliation").

Imported by `cprlookup.models` so Django finds the models."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organisation


class DwellingsEvidence(models.Model):
    """One recorded document: how many dwellings it shows the organisation owns and lets,
    who recorded it and when. Append-only; the newest record counts."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    dwellings = models.PositiveIntegerField(_("antal ejede og udlejede boliger"))
    document = models.CharField(
        _("dokument"),
        max_length=200,
        help_text=_("Fx tingbogsattest, BBR-ejermeddelelse eller revisorerklæring med dato."),
    )
    note = models.TextField(_("bemærkning"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    recorded_at = models.DateTimeField(_("registreret"), auto_now_add=True)

    class Meta:
        app_label = "cprlookup"
        verbose_name = _("dokumentation for antal boliger")
        verbose_name_plural = _("dokumentation for antal boliger")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(document=""), name="dwellings_evidence_has_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.dwellings} ({self.document})"


class OwnerUse(models.Model):
    """The unit is used by its owner, as the owner's own data says (not only field 322)."""

    unit = models.OneToOneField(
        "tenancy.Unit", on_delete=models.CASCADE, related_name="owner_use", verbose_name=_("enhed")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    note = models.CharField(
        _("anvendelse"), max_length=200, help_text=_("Fx kontor, gæstebolig, ejerens egen bolig.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    recorded_at = models.DateTimeField(_("registreret"), auto_now_add=True)

    class Meta:
        app_label = "cprlookup"
        verbose_name = _("ejerbenyttelse")
        verbose_name_plural = _("ejerbenyttelser")
        ordering = ["unit"]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.note}"

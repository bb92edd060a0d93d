"""Rent by period: the money terms the rent register holds (rent and special payments),
each valid from a date until the next period starts (docs/domain.md, "Leases").

A lease's `rent` and `special_payments` fields are the amounts in force today, derived
from these periods by the services (and moved on by the daily task when a period dated in
the future becomes current), so lists, filters and the API keep reading the lease row."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LeaseRentPeriod(models.Model):
    """The rent and special payments of a lease from `valid_from` until the next period."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.CASCADE,
        related_name="rent_periods",
        verbose_name=_("lejemål"),
    )
    valid_from = models.DateField(_("gælder fra"))
    rent = models.DecimalField(_("husleje pr. måned"), max_digits=10, decimal_places=2)
    special_payments = models.DecimalField(
        _("særlige ydelser pr. måned"), max_digits=10, decimal_places=2, default=0
    )
    # A correction of wrong data (rather than a new rent), with the caseworker's reason.
    correction = models.BooleanField(_("rettelse af fejl"), default=False)
    reason = models.CharField(_("begrundelse"), max_length=300, blank=True)
    # False while the period lies in the future: the daily task makes it the lease's
    # current amount on its first day (tenancy.services.leases_apply_dates).
    applied = models.BooleanField(default=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ændret"), auto_now=True)

    class Meta:
        verbose_name = _("huslejeperiode")
        verbose_name_plural = _("huslejeperioder")
        ordering = ["lease", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["lease", "valid_from"],
                name="lease_rent_period_unique_start",
                violation_error_message=_("Lejemålet har allerede en husleje fra den dato."),
            ),
            models.CheckConstraint(
                condition=Q(rent__gte=0) & Q(special_payments__gte=0),
                name="lease_rent_period_not_negative",
                violation_error_message=_("Beløbene kan ikke være negative."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["valid_from"],
                condition=Q(applied=False),
                name="lease_rent_period_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lease_id}: {self.rent} fra {self.valid_from:%d.%m.%Y}"

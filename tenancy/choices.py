"""Choice lists for the tenancy domain (Danish labels through translation)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    NONPROFIT = "almen", _("Almen boligorganisation")
    PRIVATE = "private", _("Privat udlejer")


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Sagsbehandler")
    CPR_OFFICER = "cpr_officer", _("CPR-ansvarlig")
    ORG_ADMIN = "org_admin", _("Organisationsadministrator")


class LettingCode(models.TextChoices):
    """BBR field 322 (udlejningsforhold). Blank means let on an ordinary lease."""

    ORDINARY = "", _("Udlejet (almindeligt lejemål)")
    MACHINE = "M", _("M: husleje indberettet maskinelt")
    VACANT = "L", _("L: ikke udlejet")
    OWNER = "E", _("E: benyttet af ejer")
    ELSEWHERE = "H", _("H: husleje registreret på anden adresse")


class HolderType(models.TextChoices):
    TENANT = "tenant", _("Lejer")
    MEMBER = "member", _("Andelshaver")


class LeaseStatus(models.TextChoices):
    """Follows the dates (tenancy.services.lease_status_on): upcoming before the start date,
    active from the start date through the end date (an ended-as-of-a-future-date lease is
    "Aktiv til 31.03.2027"), ended after the end date. Stored for lists and filters; the
    services set it on every change and a daily task moves it on as dates pass."""

    UPCOMING = "upcoming", _("Kommende")
    ACTIVE = "active", _("Aktiv")
    ENDED = "ended", _("Ophørt")


# Leases that are not over: filed again when their unit or tenants change.
LIVE_LEASE_STATUSES = (LeaseStatus.UPCOMING, LeaseStatus.ACTIVE)


class UtilityPayment(models.TextChoices):
    INCLUDED = "included", _("Indeholdt i lejen")
    ACONTO_UTILITY = "aconto_utility", _("Aconto til forsyningen")
    ACONTO_ORGANISATION = "aconto_organisation", _("Aconto til udlejer")


class HeatingForm(models.TextChoices):
    DISTRICT = "district", _("Fjernvarme")
    GAS = "gas", _("Gas")
    OIL = "oil", _("Olie")
    ELECTRIC = "electric", _("El")
    HEAT_PUMP = "heat_pump", _("Varmepumpe")
    OTHER = "other", _("Andet")

"""Letting from the joint list (issue 14): vacancies, municipal referrals, offer rounds with
the ranking as it was, offers and their answers, holds after lapsed offers.

Personal data: nothing here copies an applicant's name, CPR number, e-mail or phone. Rows
point at the application (and through it the applicant); offer letters are rendered on
demand (waitlist.services.letting_letters), never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenancy.models import Department, Lease, Organisation, Unit

from .models import Applicant, Application, Channel, Cooperation, ListType

__all__ = [
    "LettingHold",
    "LettingRules",
    "MunicipalReferral",
    "Offer",
    "OfferRound",
    "RankingEntry",
    "Reason",
    "Vacancy",
]


class LettingRules(models.Model):
    """The cooperation's letting rules: round size, answer deadline, the hold rule and the
    eligibility rules (household size against rooms; the priority group)."""

    cooperation = models.OneToOneField(
        Cooperation, on_delete=models.CASCADE, related_name="letting_rules"
    )
    offers_per_round = models.PositiveSmallIntegerField(_("tilbud pr. runde"), default=3)
    answer_days = models.PositiveSmallIntegerField(_("svarfrist (dage)"), default=5)
    lapses_before_hold = models.PositiveSmallIntegerField(
        _("ubesvarede tilbud før pause"),
        default=3,
        help_text=_("0 = reglen er slået fra."),
    )
    max_persons_per_room = models.PositiveSmallIntegerField(
        _("højst personer pr. værelse"), null=True, blank=True, default=2
    )
    max_extra_rooms = models.PositiveSmallIntegerField(
        _("højst værelser ud over antal personer"), null=True, blank=True, default=2
    )
    existing_tenants_first = models.BooleanField(
        _("nuværende lejere før eksterne ansøgere"), default=False
    )

    class Meta:
        verbose_name = _("udlejningsregler")
        verbose_name_plural = _("udlejningsregler")

    def __str__(self) -> str:
        return str(self.cooperation)


class Vacancy(models.Model):
    """A home to let from the joint list: from a lease's end or created by a caseworker."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ledig")
        OFFERING = "offering", _("I tilbud")
        NO_APPLICANTS = "no_applicants", _("Ingen flere ansøgere")
        ASSIGNED = "assigned", _("Udlejet")
        WITHDRAWN = "withdrawn", _("Trukket tilbage")

    ACTIVE = (Status.OPEN, Status.OFFERING, Status.NO_APPLICANTS)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    cooperation = models.ForeignKey(Cooperation, on_delete=models.PROTECT, related_name="vacancies")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_lease = models.ForeignKey(
        Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    list_type = models.CharField(_("liste"), max_length=10, choices=ListType.choices)
    move_in_date = models.DateField(_("indflytning"))
    rent = models.DecimalField(_("husleje pr. md."), max_digits=10, decimal_places=2)
    rooms = models.PositiveSmallIntegerField(_("værelser"))
    area_m2 = models.DecimalField(_("areal m²"), max_digits=7, decimal_places=2)
    city = models.CharField(_("by"), max_length=100, blank=True)
    ground_floor_or_lift = models.BooleanField(_("stueetage eller elevator"), default=False)
    pets_allowed = models.BooleanField(_("husdyr tilladt"), default=False)
    balcony_or_garden = models.BooleanField(_("altan eller have"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_offer = models.OneToOneField(
        "Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("udlejet"), null=True, blank=True)
    new_lease = models.OneToOneField(
        Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.CharField(_("årsag"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ledig bolig")
        verbose_name_plural = _("ledige boliger")
        ordering = ["move_in_date", "pk"]
        constraints = [
            # One active vacancy per unit: the same home is never let twice at once.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(status__in=["open", "offering", "no_applicants"]),
                name="waitlist_vacancy_one_active_per_unit",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(assigned_offer__isnull=False),
                name="waitlist_vacancy_assigned_has_offer",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperation", "status"], name="wl_vacancy_coop_status"),
            models.Index(fields=["organisation", "status"], name="wl_vacancy_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.move_in_date:%d.%m.%Y})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class MunicipalReferral(models.Model):
    """A unit the municipality allocates fell vacant: the municipality names the tenant."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Afventer kommunens anvisning")
        DONE = "done", _("Anvist")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    ended_lease = models.OneToOneField(
        Lease, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vacant_from = models.DateField(_("ledig fra"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AWAITING
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kommunal anvisning")
        verbose_name_plural = _("kommunale anvisninger")
        ordering = ["vacant_from", "pk"]

    def __str__(self) -> str:
        return f"{self.unit} ({self.vacant_from:%d.%m.%Y})"


class OfferRound(models.Model):
    """One round: the vacancy offered to the next N ranked applicants at once."""

    class Status(models.TextChoices):
        OPEN = "open", _("Afventer svar")
        CLOSED = "closed", _("Afsluttet")

    vacancy = models.ForeignKey(Vacancy, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("runde"))
    started_at = models.DateTimeField(_("startet"), auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deadline = models.DateTimeField(_("svarfrist"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    scanned = models.PositiveIntegerField(_("gennemgåede ansøgninger"), default=0)

    class Meta:
        verbose_name = _("tilbudsrunde")
        verbose_name_plural = _("tilbudsrunder")
        ordering = ["vacancy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["vacancy", "number"], name="waitlist_round_number"),
            # One open round per vacancy.
            models.UniqueConstraint(
                fields=["vacancy"], condition=Q(status="open"), name="waitlist_round_one_open"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="wl_round_status_dl")]

    def __str__(self) -> str:
        return f"{self.vacancy} runde {self.number}"


class Reason(models.TextChoices):
    """Why an applicant above the cut-off was not offered the home."""

    ELIGIBLE = "", _("Opfylder betingelserne")
    UNPAID = "unpaid", _("Ubetalt gebyr (i rykker)")
    ON_HOLD = "on_hold", _("Sat på pause")
    RESTRICTED = "restricted", _("Behandling begrænset")
    ROOMS_WISH = "rooms_wish", _("Ønsker et andet antal værelser")
    AREA_WISH = "area_wish", _("Ønsker større areal")
    RENT_WISH = "rent_wish", _("Huslejen er over ønsket")
    PLACE_WISH = "place_wish", _("Ønsker en anden afdeling eller by")
    FEATURE_WISH = "feature_wish", _("Ønsker stueetage/elevator, husdyr eller altan/have")
    MOVE_IN_WISH = "move_in_wish", _("Ønsker senere indflytning")
    HOUSEHOLD = "household", _("Husstandens størrelse passer ikke til boligen")
    PRIORITY = "priority", _("Nuværende lejere går forud")
    OFFERED_BEFORE = "offered_before", _("Har fået tilbuddet i en tidligere runde")


class RankingEntry(models.Model):
    """The ranking as it was when a round started: every application looked at, in
    seniority order, offered or not, and why not."""

    round = models.ForeignKey(OfferRound, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(_("placering"))
    application = models.ForeignKey(
        Application, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seniority_date = models.DateField(_("anciennitetsdato"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rang blandt egnede"), null=True, blank=True)
    reason = models.CharField(
        _("årsag"), max_length=20, choices=Reason.choices, blank=True, default=""
    )
    detail = models.CharField(_("detalje"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("placering i runde")
        verbose_name_plural = _("placeringer i runder")
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "position"], name="waitlist_ranking_pos")
        ]
        indexes = [models.Index(fields=["application"], name="wl_ranking_application")]

    def __str__(self) -> str:
        return f"{self.round} #{self.position}"


class Offer(models.Model):
    """The vacancy offered to one application in one round."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Afventer svar")
        ACCEPTED = "accepted", _("Accepteret")
        DECLINED = "declined", _("Afslået")
        LAPSED = "lapsed", _("Ikke besvaret")
        CANCELLED = "cancelled", _("Bortfaldet")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        WON = "won", _("Fik boligen")
        NOT_CHOSEN = "not_chosen", _("En ansøger med bedre placering fik boligen")

    class Via(models.TextChoices):
        ONLINE = "online", _("Selvbetjening")
        STAFF = "staff", _("Registreret af medarbejder")
        SYSTEM = "system", _("Automatisk")

    round = models.ForeignKey(OfferRound, on_delete=models.CASCADE, related_name="offers")
    vacancy = models.ForeignKey(Vacancy, on_delete=models.CASCADE, related_name="offers")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="offers")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="offers")
    rank = models.PositiveIntegerField(_("rang"))
    channel = models.CharField(_("tilbudsform"), max_length=10, choices=Channel.choices)
    deadline = models.DateTimeField(_("svarfrist"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    outcome = models.CharField(
        _("udfald"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    answered_at = models.DateTimeField(_("besvaret"), null=True, blank=True)
    answered_via = models.CharField(_("svar via"), max_length=10, choices=Via.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("bemærkning"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("tilbud")
        verbose_name_plural = _("tilbud")
        ordering = ["vacancy", "round", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["vacancy", "application"], name="waitlist_offer_once_per_vacancy"
            ),
            models.UniqueConstraint(
                fields=["vacancy"], condition=Q(outcome="won"), name="waitlist_offer_one_winner"
            ),
        ]
        indexes = [
            models.Index(fields=["applicant", "status"], name="wl_offer_applicant"),
            models.Index(fields=["status", "deadline"], name="wl_offer_status_dl"),
        ]

    def __str__(self) -> str:
        return f"{self.vacancy} → #{self.rank}"


class LettingHold(models.Model):
    """An applicant put on hold (no offers) after letting offers lapse, until lifted."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="holds")
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    reason = models.CharField(_("årsag"), max_length=300)
    lifted_at = models.DateTimeField(_("ophævet"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pause for tilbud")
        verbose_name_plural = _("pauser for tilbud")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(lifted_at__isnull=True),
                name="waitlist_hold_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id}: {self.reason}"

"""The data subject's side (issue 15): consents and other recorded bases, objections,
restrictions, data-subject requests with their deadlines, and contact-form enquiries.

Rows are written only by `gdpr.services.rights` (and `gdpr.services.contact`); the person
link is PROTECT because a person is anonymised, never deleted (docs/privacy.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ConsentPurpose(models.TextChoices):
    """What a consent (or another recorded basis) covers. The rent register's consent to
    file the CPR number stays in rentregister (FilingConsent) and is shown beside these
    through core.consents."""

    CPR_STORAGE = "cpr_storage", _("Opbevaring af CPR-nummer")
    HEALTH = "health", _("Helbredsoplysninger (handicapindretning)")


class BasisKind(models.TextChoices):
    CONSENT = "consent", _("Samtykke")
    CONTRACT = "contract", _("Nødvendigt for lejeaftalen")
    LEGAL_OBLIGATION = "legal_obligation", _("Retlig forpligtelse")


class Consent(models.Model):
    """A consent, or another recorded basis, for one purpose: given with a date, who recorded
    it and the evidence; withdrawn the same way. One active per person and purpose."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.PROTECT,
        related_name="gdpr_consents",
        verbose_name=_("person"),
    )
    purpose = models.CharField(_("formål"), max_length=30, choices=ConsentPurpose.choices)
    basis = models.CharField(
        _("grundlag"), max_length=20, choices=BasisKind.choices, default=BasisKind.CONSENT
    )
    given_at = models.DateTimeField(_("givet"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    evidence = models.CharField(_("dokumentation"), max_length=500)
    withdrawn_at = models.DateTimeField(_("trukket tilbage"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tilbagekaldelse registreret af"),
    )
    withdrawal_evidence = models.CharField(
        _("dokumentation for tilbagekaldelse"), max_length=500, blank=True
    )

    class Meta:
        verbose_name = _("samtykke eller grundlag")
        verbose_name_plural = _("samtykker og grundlag")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="gdpr_consent_one_active_per_purpose",
            ),
            models.CheckConstraint(condition=~Q(evidence=""), name="gdpr_consent_has_evidence"),
        ]
        indexes = [models.Index(fields=["organisation", "given_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} – {self.person_id}"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ObjectionPurpose(models.TextChoices):
    MARKET_STATISTICS = "market_statistics", _("Markedsstatistik (EjendomDanmark)")
    MARKETING = "marketing", _("Markedsføring og nyhedsbreve")


class Objection(models.Model):
    """The person objects to one kind of processing (GDPR art. 21). Active until withdrawn;
    `gdpr.selectors.objecting_person_ids(purpose)` is what exports read."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.PROTECT,
        related_name="gdpr_objections",
        verbose_name=_("person"),
    )
    purpose = models.CharField(_("formål"), max_length=30, choices=ObjectionPurpose.choices)
    recorded_at = models.DateTimeField(_("registreret"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    note = models.CharField(_("bemærkning"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(_("trukket tilbage"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("indsigelse")
        verbose_name_plural = _("indsigelser")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="gdpr_objection_one_active_per_purpose",
            )
        ]
        indexes = [models.Index(fields=["purpose", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} – {self.person_id}"


class Restriction(models.Model):
    """Processing of the person's data is restricted (GDPR art. 18) until lifted: no
    offers, no CPR lookups, no exports except legal ones (enforced in the services through
    core.personal_data's restriction check)."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.PROTECT,
        related_name="gdpr_restrictions",
        verbose_name=_("person"),
    )
    reason = models.CharField(_("begrundelse"), max_length=500)
    started_at = models.DateTimeField(_("begrænset fra"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    lifted_at = models.DateTimeField(_("ophævet"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(_("begrundelse for ophævelse"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("begrænsning af behandling")
        verbose_name_plural = _("begrænsninger af behandling")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(lifted_at__isnull=True),
                name="gdpr_restriction_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{_('Begrænsning')} {self.person_id}"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Indsigt")
    PORTABILITY = "portability", _("Dataportabilitet")
    RECTIFICATION = "rectification", _("Berigtigelse")
    ERASURE = "erasure", _("Sletning")
    RESTRICTION = "restriction", _("Begrænsning")
    OBJECTION = "objection", _("Indsigelse")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Åben")
    COMPLETED = "completed", _("Besvaret")
    REFUSED = "refused", _("Afvist")


class SubjectRequest(models.Model):
    """A data-subject request and its deadline: one month from receipt, extendable once by
    two months with a reason (GDPR art. 12(3))."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "tenancy.Person",
        on_delete=models.PROTECT,
        related_name="gdpr_requests",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=RequestKind.choices)
    received_on = models.DateField(_("modtaget"))
    deadline = models.DateField(_("frist"))
    extended = models.BooleanField(_("forlænget"), default=False)
    extension_reason = models.CharField(
        _("begrundelse for forlængelse"), max_length=500, blank=True
    )
    details = models.TextField(_("anmodningen"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    outcome = models.TextField(_("svar"), blank=True, max_length=4000)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oprettet af"),
    )
    closed_at = models.DateTimeField(_("afsluttet"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("afsluttet af"),
    )

    class Meta:
        verbose_name = _("anmodning fra den registrerede")
        verbose_name_plural = _("anmodninger fra de registrerede")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["organisation", "status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("received_on")),
                name="gdpr_request_deadline_after_receipt",
            ),
            models.CheckConstraint(
                condition=Q(extended=False) | ~Q(extension_reason=""),
                name="gdpr_request_extension_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == RequestStatus.OPEN


class ContactEnquiry(models.Model):
    """An enquiry from the public contact form (name, e-mail, phone, which home) to view a
    home. Deleted after six months (the retention schedule's contact-form category) or at
    once when the person withdraws through the signed link in the receipt."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("navn"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("telefon"), max_length=20, blank=True)
    home = models.CharField(_("bolig"), max_length=200)
    message = models.TextField(_("besked"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("modtaget"), auto_now_add=True, db_index=True)
    handled_at = models.DateTimeField(_("behandlet"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("behandlet af"),
    )

    class Meta:
        verbose_name = _("henvendelse fra kontaktformularen")
        verbose_name_plural = _("henvendelser fra kontaktformularen")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{_('Henvendelse')} #{self.pk}"

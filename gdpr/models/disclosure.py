"""The disclosure log: every transfer of personal data out of the organisation (issue 16)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    """Danish labels for tenancy.hooks.DataCategory (the codes stored in the log)."""

    NAME = "name", _("Navn")
    CPR = "cpr", _("CPR-nummer")
    BIRTH_DATE = "birth_date", _("Fødselsdato")
    ADDRESS = "address", _("Adresse")
    CONTACT = "contact", _("E-mail og telefon")
    LEASE = "lease", _("Lejeforhold")
    RENT = "rent", _("Husleje og aconto")
    MOVES = "moves", _("Flyttedatoer")
    PROTECTION = "protection", _("Navne- og adressebeskyttelse")
    DOCUMENTS = "documents", _("Lejedokumenter")


class RecipientKind(models.TextChoices):
    AUTHORITY = "authority", _("Offentlig myndighed")
    PRIVATE = "private", _("Privat modtager")
    PROCESSOR = "processor", _("Databehandler")
    DOWNLOAD = "download", _("Fil hentet af medarbejder")


class Disclosure(models.Model):
    """One transfer: who received which categories of data about which persons, when, by
    whom and on which legal basis. Append-only (written by gdpr.disclosure.log, read-only in
    the admin); it holds person ids, never names or CPR numbers, so anonymising a person
    leaves the fact of the transfer and nothing that identifies them."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    at = models.DateTimeField(_("tidspunkt"), db_index=True)
    recipient = models.CharField(_("modtager"), max_length=200)
    recipient_kind = models.CharField(
        _("modtagertype"), max_length=12, choices=RecipientKind.choices
    )
    categories = models.JSONField(_("kategorier af oplysninger"), default=list)
    legal_basis = models.CharField(_("retsgrundlag"), max_length=300)
    purpose = models.CharField(_("formål"), max_length=300)
    source = models.CharField(_("kilde"), max_length=40, db_index=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("udført af"),
    )
    person_count = models.PositiveIntegerField(_("antal personer"), default=0)
    people = models.ManyToManyField(
        "tenancy.Person",
        through="DisclosurePerson",
        related_name="+",
        verbose_name=_("personer"),
    )

    class Meta:
        verbose_name = _("videregivelse")
        verbose_name_plural = _("videregivelser")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-at"], name="gdpr_disclosure_org_at")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(legal_basis=""), name="gdpr_disclosure_has_basis"
            ),
            models.CheckConstraint(
                condition=~models.Q(recipient=""), name="gdpr_disclosure_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.recipient}"

    @property
    def category_labels(self) -> list[str]:
        labels = dict(DataCategory.choices)
        return [str(labels.get(c, c)) for c in self.categories]


class DisclosurePerson(models.Model):
    """A person whose data a disclosure carried (the index a person's log is read from)."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(
        "tenancy.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )

    class Meta:
        verbose_name = _("person i videregivelse")
        verbose_name_plural = _("personer i videregivelser")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "disclosure"], name="gdpr_disclosure_person_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.disclosure_id}: {self.person_id}"

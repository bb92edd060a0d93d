"""The joint waiting list: cooperations, applicants, applications, fees, invoices,
payments, webhooks and messages.

A cooperation (udlejningssamarbejde) is shared by several organisations; its applicants are
seen by the caseworkers of every member organisation (waitlist.selectors). Money and
seniority are never lost or double-counted: payments are unique per provider id and an
invoice is marked paid once (waitlist.services.fees.invoice_mark_paid).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import crypto
from tenancy.models import Department, Organisation, Unit


class Channel(models.TextChoices):
    E_OFFER = "e_offer", _("E-tilbud")
    LETTER = "letter", _("Brevtilbud")


class ListType(models.TextChoices):
    FAMILY = "family", _("Familiebolig")
    STUDENT = "student", _("Studiebolig")


class Cooperation(models.Model):
    """A joint waiting list run by several organisations."""

    name = models.CharField(_("navn"), max_length=200, unique=True)
    organisations = models.ManyToManyField(
        Organisation, through="CooperationMember", related_name="cooperations"
    )
    renewal_lead_days = models.PositiveIntegerField(_("fornyelse faktureres dage før"), default=30)
    reminder_days = models.PositiveIntegerField(_("rykkerfrist (dage)"), default=10)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("udlejningssamarbejde")
        verbose_name_plural = _("udlejningssamarbejder")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CooperationMember(models.Model):
    cooperation = models.ForeignKey(Cooperation, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("medlem af samarbejde")
        verbose_name_plural = _("medlemmer af samarbejde")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "organisation"], name="waitlist_coop_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cooperation} / {self.organisation}"


class Applicant(models.Model):
    """A person on (or signing up for) the joint list. CPR encrypted, hashed, masked."""

    cooperation = models.ForeignKey(
        Cooperation, on_delete=models.PROTECT, related_name="applicants"
    )
    name = models.CharField(_("navn"), max_length=200)
    cpr_encrypted = models.TextField(blank=True, default="", editable=False)
    cpr_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    cpr_masked = models.CharField(
        _("CPR-nummer"), max_length=11, blank=True, default="", editable=False
    )
    birth_date = models.DateField(_("fødselsdato"), null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=4, blank=True)
    city = models.CharField(_("by"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=20, blank=True)
    spouse_name = models.CharField(_("ægtefælle/samlever"), max_length=200, blank=True)
    children_under_23 = models.PositiveSmallIntegerField(
        _("hjemmeboende børn under 23 år"), default=0
    )
    channel = models.CharField(
        _("tilbudsform"), max_length=10, choices=Channel.choices, default=Channel.E_OFFER
    )
    sms_opt_in = models.BooleanField(_("SMS ved tilbud"), default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applicant",
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deletion_reason = models.CharField(_("årsag til sletning"), max_length=200, blank=True)
    debt = models.DecimalField(
        _("udestående"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    search_text = models.CharField(max_length=400, blank=True, default="", editable=False)
    # GDPR (issue 15): processing restricted (art. 18) and when the applicant was anonymised.
    restricted = models.BooleanField(_("behandling begrænset"), default=False)
    anonymised_at = models.DateTimeField(_("anonymiseret"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ansøger")
        verbose_name_plural = _("ansøgere")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "cpr_hash"],
                condition=~Q(cpr_hash=""),
                name="waitlist_applicant_cpr_unique",
            )
        ]
        indexes = [
            models.Index(fields=["cooperation", "name", "id"], name="wl_applicant_coop_name"),
            models.Index(fields=["cooperation", "created_at"], name="wl_applicant_coop_created"),
            # The channel filter in name order, and its count, from the index alone.
            models.Index(
                fields=["cooperation", "channel", "name", "id"], name="wl_applicant_coop_chan_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def set_cpr(self, cpr: str) -> None:
        """Store a normalised, already validated CPR number (10 digits) or clear it."""
        if not cpr:
            self.cpr_encrypted = self.cpr_hash = self.cpr_masked = ""
            return
        self.cpr_encrypted = crypto.encrypt(cpr)
        self.cpr_hash = crypto.search_hash(cpr)
        self.cpr_masked = f"{cpr[:6]}-xxxx"

    def reveal_cpr(self) -> str:
        """The CPR number in clear. Callers must check the role and log the reveal."""
        if not self.cpr_encrypted:
            return ""
        cpr = crypto.decrypt(self.cpr_encrypted)
        return f"{cpr[:6]}-{cpr[6:]}"


class Application(models.Model):
    """One application per list type; its seniority date never moves to another type."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Afventer betaling")
        ACTIVE = "active", _("Aktiv")
        REMINDED = "reminded", _("Rykket")
        DELETED = "deleted", _("Slettet")
        LEFT = "left", _("Udmeldt")

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="applications")
    list_type = models.CharField(_("liste"), max_length=10, choices=ListType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    seniority_date = models.DateField(_("anciennitetsdato"), null=True, blank=True)
    paid_until = models.DateField(_("betalt/fornyet til"), null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Student list: the renewal reminder (family reminders live on the renewal invoice).
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_deadline = models.DateField(_("rykkerfrist"), null=True, blank=True)
    # The paid_until whose renewal notice was sent (the nightly run skips those cheaply).
    renewal_notice_for = models.DateField(null=True, blank=True, editable=False)
    # Wishes (ønsker)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("afdelinger")
    )
    areas = models.CharField(_("områder/byer"), max_length=300, blank=True)
    min_rooms = models.PositiveSmallIntegerField(_("min. værelser"), null=True, blank=True)
    max_rooms = models.PositiveSmallIntegerField(_("maks. værelser"), null=True, blank=True)
    min_area = models.PositiveIntegerField(_("min. areal (m²)"), null=True, blank=True)
    max_rent = models.DecimalField(
        _("højeste husleje pr. md."), max_digits=10, decimal_places=2, null=True, blank=True
    )
    ground_floor_or_lift = models.BooleanField(_("stueetage eller elevator"), default=False)
    pets = models.BooleanField(_("husdyr"), default=False)
    balcony_or_garden = models.BooleanField(_("altan eller have"), default=False)
    earliest_move_in = models.DateField(_("tidligst indflytning"), null=True, blank=True)

    class Meta:
        verbose_name = _("ansøgning")
        verbose_name_plural = _("ansøgninger")
        ordering = ["list_type", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "list_type"], name="waitlist_application_unique_type"
            )
        ]
        indexes = [
            models.Index(fields=["status", "paid_until"], name="wl_application_status_paid"),
            models.Index(fields=["list_type", "seniority_date"], name="wl_application_seniority"),
            # The applicant list's status (+ list) filter: applicant ids from the index alone.
            models.Index(
                fields=["status", "list_type", "applicant"], name="wl_application_status_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} ({self.get_list_type_display()})"

    @property
    def on_list(self) -> bool:
        return self.status in {self.Status.ACTIVE, self.Status.REMINDED}


class FeeSchedule(models.Model):
    """Fees per cooperation and channel from a date. A renewal-fee change applies only to
    periods starting at least one month after announced_at (waitlist.services.fees)."""

    cooperation = models.ForeignKey(
        Cooperation, on_delete=models.CASCADE, related_name="fee_schedules"
    )
    valid_from = models.DateField(_("gælder fra"))
    channel = models.CharField(_("tilbudsform"), max_length=10, choices=Channel.choices)
    signup_fee = models.DecimalField(_("opnoteringsgebyr"), max_digits=8, decimal_places=2)
    renewal_fee = models.DecimalField(_("ajourføringsgebyr"), max_digits=8, decimal_places=2)
    announced_at = models.DateField(_("varslet den"))
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("gebyrsats")
        verbose_name_plural = _("gebyrsatser")
        ordering = ["cooperation", "channel", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperation", "channel", "valid_from"], name="waitlist_fee_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cooperation} {self.channel} {self.valid_from}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Opnoteringsgebyr")
        RENEWAL = "renewal", _("Ajourføringsgebyr")

    class Status(models.TextChoices):
        OPEN = "open", _("Åben")
        PAID = "paid", _("Betalt")
        REMINDED = "reminded", _("Rykket")
        CANCELLED = "cancelled", _("Annulleret")

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="invoices")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("periode fra"), null=True, blank=True)
    period_end = models.DateField(_("periode til"), null=True, blank=True)
    amount = models.DecimalField(_("beløb"), max_digits=10, decimal_places=2)
    due_date = models.DateField(_("forfald"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_deadline = models.DateField(_("rykkerfrist"), null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("opkrævning")
        verbose_name_plural = _("opkrævninger")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One renewal invoice per period: the nightly run can be repeated safely.
            models.UniqueConstraint(
                fields=["application", "kind", "period_start"],
                condition=~Q(status="cancelled"),
                name="waitlist_invoice_one_per_period",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="wl_invoice_status_due"),
            models.Index(fields=["status", "reminder_deadline"], name="wl_invoice_status_dl"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.applicant})"


class PaymentSession(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", _("Oprettet")
        PAID = "paid", _("Betalt")
        FAILED = "failed", _("Afvist")
        EXPIRED = "expired", _("Udløbet")

    applicant = models.ForeignKey(
        Applicant, on_delete=models.PROTECT, related_name="payment_sessions"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="sessions")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    provider_session_id = models.CharField(max_length=100, unique=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default="created")
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("betalingssession")
        verbose_name_plural = _("betalingssessioner")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="wl_session_status")]

    def __str__(self) -> str:
        return self.provider_session_id


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", _("Betalingskort")
        BANK_TRANSFER = "bank_transfer", _("Bankoverførsel")

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = models.DecimalField(_("beløb"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("betalingsdato"))
    method = models.CharField(_("betalingsmåde"), max_length=20, choices=Method.choices)
    provider_event_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    provider_payment_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("betaling")
        verbose_name_plural = _("betalinger")
        ordering = ["-paid_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.amount} {self.paid_on}"


class WebhookEvent(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Afventer")
        APPLIED = "applied", _("Anvendt")
        DUPLICATE = "duplicate", _("Dublet")
        REJECTED = "rejected", _("Afvist")
        IGNORED = "ignored", _("Ignoreret")
        FAILED = "failed", _("Fejlet")

    event_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(_("modtaget"), auto_now_add=True)
    payload = models.JSONField(default=dict)
    signature_ok = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("webhook-hændelse")
        verbose_name_plural = _("webhook-hændelser")
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The inbox: the apply run reads the pending events in id order.
            models.Index(
                fields=["id"],
                condition=models.Q(outcome="pending"),
                name="wl_webhook_pending",
            )
        ]

    def __str__(self) -> str:
        return self.event_id


class PrintBatch(models.Model):
    cooperation = models.ForeignKey(
        Cooperation, on_delete=models.PROTECT, related_name="print_batches"
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="waitlist/print/", blank=True)
    letter_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("printbatch")
        verbose_name_plural = _("printbatches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.cooperation} {self.created_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    class MessageChannel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        LETTER = "letter", _("Brev")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kø")
        SENT = "sent", _("Sendt")
        FAILED = "failed", _("Fejlet")

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(_("kanal"), max_length=10, choices=MessageChannel.choices)
    kind = models.CharField(_("type"), max_length=40)
    subject = models.CharField(_("emne"), max_length=200, blank=True)
    body = models.TextField(_("tekst"), blank=True)
    to_address = models.CharField(_("modtager"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="queued")
    sent_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    print_batch = models.ForeignKey(
        PrintBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    # Idempotency: the nightly run gives each message a key (e.g. "reminder:<invoice id>");
    # a message with the same key is never created twice.
    dedup_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)

    class Meta:
        verbose_name = _("besked")
        verbose_name_plural = _("beskeder")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "channel"], name="wl_message_status")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.applicant}"


class UnitListing(models.Model):
    """How a unit is let: through the joint list or allocated by the municipality (elderly
    and disability housing, never offered from the list). Kept here, not on tenancy.Unit."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="listing")
    let_through_joint_list = models.BooleanField(_("udlejes via fælles venteliste"), default=True)
    municipality_allocated = models.BooleanField(_("kommunal anvisning"), default=False)

    class Meta:
        verbose_name = _("udlejningsform for lejemål")
        verbose_name_plural = _("udlejningsformer for lejemål")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(let_through_joint_list=True) & Q(municipality_allocated=True)),
                name="waitlist_unit_listing_not_both",
            )
        ]

    def __str__(self) -> str:
        return str(self.unit)


class ApplicantEvent(models.Model):
    """The applicant's history: every change and every step of the nightly run."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="events")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500)

    class Meta:
        verbose_name = _("hændelse")
        verbose_name_plural = _("hændelser")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


# Letting from the joint list (issue 14): vacancies, offer rounds, offers, holds.
from .models_letting import *  # noqa: E402, F403

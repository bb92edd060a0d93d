"""Models every app shares. Today one: the security log (issue 17, item 9).

core imports no app of ours, so the log refers to the user only (settings.AUTH_USER_MODEL)
and to any other object by a type label and id, never by a foreign key into an app."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Logget ind")
    LOGIN_FAILED = "login_failed", _("Mislykket login")
    LOCKED_OUT = "locked_out", _("Spærret efter for mange forsøg")
    LOGOUT = "logout", _("Logget ud")
    OTP_FAILED = "otp_failed", _("Forkert engangskode")
    OTP_VERIFIED = "otp_verified", _("Engangskode godkendt")
    PERMISSION_DENIED = "permission_denied", _("Adgang nægtet (403)")
    CPR_REVEAL = "cpr_reveal", _("Fuldt CPR-nummer vist")
    TOKEN_CREATED = "token_created", _("API-nøgle udstedt")
    TOKEN_EXPIRED = "token_expired", _("Udløbet API-nøgle afvist")


class SecurityEvent(models.Model):
    """One security-relevant event. Holds no personal data beyond the user (when known) and
    the id of the object concerned: no CPR number, no name, no attempted password, no IP
    address, and for a failed login with an unknown username not even that username (it
    could be anything typed into the field, a CPR number included)."""

    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("hændelse"), max_length=20, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bruger"),
    )
    channel = models.CharField(_("kanal"), max_length=20, blank=True)  # web, admin, api
    path = models.CharField(_("adresse"), max_length=200, blank=True)
    object_type = models.CharField(_("objekttype"), max_length=60, blank=True)
    object_id = models.CharField(_("objekt-id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("sikkerhedshændelse")
        verbose_name_plural = _("sikkerhedslog")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "-at"], name="security_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}"

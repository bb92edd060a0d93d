"""Two separate logins: staff (members of an organisation) and applicants (self-service).

An applicant is an auth.User linked to an Applicant (Applicant.user) and never a member of an
organisation. The staff login refuses applicant users; the self-service login refuses
everyone who is not an applicant. Both authenticate through the project's backends, so the
login protection (django-axes: lock-out per username and address) covers both. E-mail
verification uses a signed, time-limited token (django.core.signing)."""

from __future__ import annotations

import hashlib
import hmac

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core import signing
from django.utils.translation import gettext_lazy as _

VERIFY_SALT = "waitlist.email-verify"
VERIFY_MAX_AGE = 3 * 24 * 3600


def is_applicant_user(user) -> bool:
    return bool(user and user.is_authenticated and hasattr(user, "applicant"))


class StaffAuthenticationForm(AuthenticationForm):
    """The staff login: an applicant's self-service account cannot log in here."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if hasattr(user, "applicant"):
            raise forms.ValidationError(
                _("Dette er medarbejdernes login. Ansøgere logger ind på ventelistens side."),
                code="applicant_account",
            )


class ApplicantAuthenticationForm(AuthenticationForm):
    """The self-service login (e-mail as user name): staff accounts cannot log in here."""

    username = forms.CharField(label=_("E-mail"), max_length=254)

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not hasattr(user, "applicant") or user.is_staff or user.is_superuser:
            raise forms.ValidationError(
                _("Kun ansøgere kan logge ind her. Medarbejdere bruger medarbejderlogin."),
                code="not_applicant",
            )


class ApplicantPasswordResetForm(PasswordResetForm):
    """Password reset mails go only to applicants' accounts, never to staff accounts."""

    def get_users(self, email):
        return (
            user
            for user in super().get_users(email)
            if hasattr(user, "applicant") and not user.is_staff and not user.is_superuser
        )


def _email_digest(email: str) -> str:
    """The address in the token only as a digest: no personal data in URLs or logs; a
    changed address makes old links invalid."""
    return hashlib.sha256(email.lower().encode()).hexdigest()[:20]


def verify_token(user) -> str:
    return signing.TimestampSigner(salt=VERIFY_SALT).sign(f"{user.pk}.{_email_digest(user.email)}")


def verify_user(token: str):
    """The user a verification token was made for, or None (bad, tampered or expired)."""
    try:
        value = signing.TimestampSigner(salt=VERIFY_SALT).unsign(token, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    pk, _sep, digest = value.partition(".")
    user = get_user_model().objects.filter(pk=pk).first() if pk.isdigit() else None
    if user is None or not hmac.compare_digest(_email_digest(user.email), digest):
        return None
    return user

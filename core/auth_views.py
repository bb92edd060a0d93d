"""The two-factor pages (TOTP, django-otp): enrolment and the code step after the password.

Both are reached through core.middleware.SecurityMiddleware, which sends a user who must use
two-factor here until a code is accepted in this session."""

from __future__ import annotations

import base64
import io

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SecurityEventKind
from .security import security_event_record


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label=gettext_lazy("Engangskode (6 cifre)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Koden er 6 cifre fra din autentificeringsapp.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return settings.LOGIN_REDIRECT_URL


def _wrong_code(request, form: TokenForm) -> None:
    form.add_error("otp_token", _("Koden er forkert eller udløbet. Prøv den næste kode."))
    security_event_record(kind=SecurityEventKind.OTP_FAILED, user=request.user, request=request)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The code step after the password: a confirmed device's current code."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("two_factor_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["otp_token"].strip())
        if device is not None:
            otp_login(request, device)
            security_event_record(
                kind=SecurityEventKind.OTP_VERIFIED, user=request.user, request=request
            )
            return redirect(_next_url(request))
        _wrong_code(request, form)
    return render(
        request, "core/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@login_required
@require_http_methods(["GET"])
def two_factor_qr(request):
    """The enrolment secret as a QR code (SVG; a separate file, so a strict CSP needs no
    data: images). Only the user's own unconfirmed device; 404 when there is none."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        raise Http404
    svg = io.BytesIO()  # a standalone SVG file (with its namespace), not an inline fragment
    segno.make(device.config_url, error="m").save(svg, kind="svg", scale=5, border=2)
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up an authenticator app: a new secret shown as a QR code and as text, confirmed
    by its first code. A user who already has a device must verify first (middleware)."""
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    if has_device and not request.user.is_verified():
        return redirect("two_factor_verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Autentificeringsapp"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"].strip()):
            TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            security_event_record(
                kind=SecurityEventKind.OTP_VERIFIED, user=request.user, request=request
            )
            return redirect(_next_url(request))
        _wrong_code(request, form)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": _next_url(request),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "core/two_factor_enrol.html", context)

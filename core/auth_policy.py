"""Who must do what to stay logged in: idle time-outs and the two-factor gate
(core.middleware.SecurityMiddleware), and the rules behind them.

core imports no app, so a user's roles are read through the `memberships` relation that the
tenancy app's Membership model gives every user (role values as in settings), not through an
import of that model."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .models import SecurityEventKind
from .security import security_event_record

LAST_SEEN_KEY = "security_last_seen"
# Reachable before the second factor (and by anyone): login/logout, the two-factor pages,
# static files, health, language switch, the admin's own login/logout.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/konto/tofaktor/",
    "/static/",
    "/favicon.ico",
    "/healthz",
    "/i18n/",
    "/admin/login/",
    "/admin/logout/",
)


def user_roles(user) -> set[str]:
    """The user's roles in any organisation (cached on the user object per request)."""
    cached = getattr(user, "security_roles", None)
    if cached is None:
        memberships = getattr(user, "memberships", None)
        cached = set(memberships.values_list("role", flat=True)) if memberships else set()
        user.security_roles = cached
    return cached


def two_factor_required(user) -> bool:
    """Superusers and the roles in TWO_FACTOR_REQUIRED_ROLES must; anyone who enrolled does."""
    if not user.is_authenticated or not settings.TWO_FACTOR_ENFORCED:
        return False
    if user.is_superuser or user_roles(user) & set(settings.TWO_FACTOR_REQUIRED_ROLES):
        return True
    return user_has_device(user, confirmed=True)


def short_session(user) -> bool:
    return bool(user_roles(user) & set(settings.SHORT_SESSION_ROLES))


def idle_timeout(request: HttpRequest) -> HttpResponse | None:
    """Log out a short-session user idle for longer than SHORT_SESSION_IDLE_SECONDS."""
    if not hasattr(request, "session") or not short_session(request.user):
        return None
    now = int(time.time())
    last_seen = request.session.get(LAST_SEEN_KEY)
    request.session[LAST_SEEN_KEY] = now
    if last_seen is None or now - int(last_seen) <= settings.SHORT_SESSION_IDLE_SECONDS:
        return None
    logout(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Sessionen er udløbet. Log ind igen.")}, status=401)
    return redirect_to(settings.LOGIN_URL, request)


def redirect_to(url_name: str, request: HttpRequest) -> HttpResponse:
    url = reverse(url_name)
    if request.method == "GET" and url_has_allowed_host_and_scheme(
        request.get_full_path(), allowed_hosts={request.get_host()}
    ):
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


def two_factor_gate(request: HttpRequest) -> HttpResponse | None:
    """Keep an unverified user who must use two-factor on the two-factor pages."""
    if request.path.startswith(OPEN_PREFIXES):
        return None
    user = request.user
    if not two_factor_required(user) or user.is_verified():  # type: ignore[union-attr]
        return None
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Bekræft log-ind med en engangskode (to-faktor) først.")}, status=403
        )
    if user_has_device(user, confirmed=True):
        return redirect_to("two_factor_verify", request)
    return redirect_to("two_factor_enrol", request)


def member_gate(request: HttpRequest) -> HttpResponse | None:
    """The staff screens and the staff API are for members of an organisation (and
    superusers): any other logged-in user (an applicant's self-service account, a user whose
    memberships were removed) gets 403 there, before any view runs. Their own pages
    (settings.NON_MEMBER_PATH_PREFIXES, the open pages) stay reachable."""
    if request.path.startswith(OPEN_PREFIXES + tuple(settings.NON_MEMBER_PATH_PREFIXES)):
        return None
    user = request.user
    if user.is_superuser or user_roles(user):
        return None
    record_denial(request)
    message = _("Siden er kun for medarbejdere i en boligorganisation.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    return HttpResponseForbidden(message)


def record_denial(request: HttpRequest) -> None:
    security_event_record(
        kind=SecurityEventKind.PERMISSION_DENIED,
        user=getattr(request, "user", None),
        request=request,
    )

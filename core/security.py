"""The security log (core.models.SecurityEvent) and who writes it.

`security_event_record` is the one writer. Django's authentication signals (login, logout,
failed login), django-axes' lock-out signal and the two-factor step feed it; the 403s are
recorded by core.middleware.SecurityMiddleware; full CPR reveals by the gdpr app's reveal
logger. Connected in core.apps.CoreConfig.ready()."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from .models import SecurityEvent, SecurityEventKind

logger = logging.getLogger("boligkontor.security")


def request_channel(request: HttpRequest | None) -> str:
    """Which door the event came through: the admin, the API or the staff web."""
    if request is None:
        return ""
    path = request.path
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "web"


def security_event_record(
    *,
    kind: str,
    user=None,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: object = "",
) -> SecurityEvent:
    """Write one security event (and a log line with the same content, no personal data)."""
    if user is not None and not getattr(user, "pk", None):
        user = None  # AnonymousUser or an unsaved user
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        channel=request_channel(request),
        path=(request.path[:200] if request is not None else ""),
        object_type=object_type[:60],
        object_id=str(object_id)[:64],
    )
    logger.info(
        "security event=%s user_id=%s channel=%s path=%s object=%s:%s",
        kind,
        getattr(user, "pk", None),
        event.channel,
        event.path,
        object_type,
        event.object_id,
    )
    return event


def _known_user(credentials: dict):
    """The user a failed login named, if that user exists; None otherwise (the typed name
    itself is never stored)."""
    username = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if not username or not isinstance(username, str):
        return None
    return (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .first()
    )


def on_logged_in(sender, request, user, **kwargs) -> None:
    security_event_record(kind=SecurityEventKind.LOGIN, user=user, request=request)


def on_logged_out(sender, request, user, **kwargs) -> None:
    security_event_record(kind=SecurityEventKind.LOGOUT, user=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED, user=_known_user(credentials), request=request
    )


def on_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    user = _known_user({"username": username}) if username else None
    security_event_record(kind=SecurityEventKind.LOCKED_OUT, user=user, request=request)


def connect_signals() -> None:
    """Feed the log from Django's and django-axes' signals (dispatch_uid: once only)."""
    user_logged_in.connect(on_logged_in, dispatch_uid="core.security.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="core.security.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="core.security.login_failed")
    from axes.signals import user_locked_out

    user_locked_out.connect(on_locked_out, dispatch_uid="core.security.locked_out")

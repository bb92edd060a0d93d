"""Tags each request with an id so change records can be grouped by request."""

import logging
import uuid
from contextvars import ContextVar

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


class RequestActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request_id.set(str(uuid.uuid4()))
        try:
            return self.get_response(request)
        finally:
            current_request_id.reset(token)


# --- Security (issue 17): idle time-outs, the two-factor gate and the 403 log ---------------


class SecurityMiddleware:
    """After authentication (and django-otp's OTPMiddleware):

    1. a member of a role in settings.SHORT_SESSION_ROLES is logged out after
       SHORT_SESSION_IDLE_SECONDS without a request (everyone else after SESSION_COOKIE_AGE,
       Django's own expiry);
    2. a user who must use two-factor (core.auth_policy.two_factor_required) and has not
       entered a code in this session reaches nothing but the login, two-factor and static
       pages: the browser is sent to the code (or enrolment) page, the API answers 403;
    3. a logged-in user who is neither a member of an organisation nor a superuser (an
       applicant's self-service account) gets 403 on the staff screens and API;
    4. the admin's posted changelist search becomes a URL without a CPR number
       (core.security_admin.admin_search_redirect);
    5. every 403 is written to the security log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import auth_policy  # the auth machinery is ready only after app loading
        from .security_admin import admin_search_redirect

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response = (
                auth_policy.idle_timeout(request)
                or auth_policy.two_factor_gate(request)
                or auth_policy.member_gate(request)
                or admin_search_redirect(request)
            )
            if response is not None:
                return response
        response = self.get_response(request)
        if response.status_code == 403:
            auth_policy.record_denial(request)
        return response


# --- Hardening (issue 17): no caching of personal data, 503 while the database is down ---


class NoStoreMiddleware:
    """Every response made by a view may hold personal data (pages, API, Excel downloads),
    so none may be kept by a browser or a proxy. Static files never reach this middleware
    (WhiteNoise answers them earlier in the chain)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseUnavailableMiddleware:
    """A database that is down or restarting (OperationalError, InterfaceError) gives a 503
    with a Danish message instead of a 500; the broken connection is dropped so the next
    request connects afresh (recovery needs nobody). Errors raised outside a view (in another
    middleware) reach the same page through handler500 (core.views.server_error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request)
        return None


def database_unavailable(request) -> HttpResponse:
    logger.warning("Database unavailable: answering 503 for %s", request.path, exc_info=True)
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
    message = _("Systemet er midlertidigt utilgængeligt, fordi databasen ikke svarer.")
    hint = _("Prøv igen om et øjeblik. Intet af det, du var ved at gemme, er gemt halvt.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": f"{message} {hint}", "code": "database_unavailable"}, status=503
        )
    else:
        # Rendered without a request context: context processors would query the database.
        html = render_to_string("503.html", {"message": message, "hint": hint})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "10"
    add_never_cache_headers(response)
    return response

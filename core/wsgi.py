"""The web processes' WSGI application: Django's handler, plus a lean one for the
machine-to-machine endpoints named in settings.MACHINE_ROUTES (the payment provider's
webhook).

A machine endpoint is called by another system, never a browser: it has no session, login,
CSRF token, language, messages, two-factor state or Content-Security-Policy to look after;
it authenticates each request itself (the webhook's HMAC signature). Running it through the
whole browser middleware stack cost about a third of its CPU (docs/waitlist.md), and a
payment provider sends many. The lean handler is Django's own WSGIHandler (same URLconf,
views, signals, connection handling and error pages) with only settings.MACHINE_MIDDLEWARE.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import resolve, reverse
from django.utils.module_loading import import_string


class MachineHandler(WSGIHandler):
    """WSGIHandler with settings.MACHINE_MIDDLEWARE instead of settings.MIDDLEWARE (sync
    middleware only, which is all the product has). Its paths are resolved once, not per
    request."""

    def __init__(self, paths: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.matches = {path: resolve(path) for path in paths}

    def resolve_request(self, request):
        match = self.matches.get(request.path_info)
        if match is None:
            return super().resolve_request(request)
        request.resolver_match = match
        return match

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list = []
        self._template_response_middleware: list = []
        self._exception_middleware: list = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(settings.MACHINE_MIDDLEWARE):
            instance = import_string(path)(handler)
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


class Application:
    """Requests for the paths of settings.MACHINE_ROUTES go to the lean handler, all others
    to Django's. Exact path match: anything else (another method is the view's business)
    takes the ordinary way."""

    def __init__(self, default: WSGIHandler) -> None:
        self.default = default
        self.paths = frozenset(reverse(name) for name in settings.MACHINE_ROUTES)
        self.machine = MachineHandler(self.paths)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in self.paths:
            return self.machine(environ, start_response)
        return self.default(environ, start_response)

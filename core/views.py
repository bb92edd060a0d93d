"""Error handlers set in config/urls.py (used when DEBUG is off)."""

import sys

from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as django_server_error

from core.middleware import DATABASE_ERRORS, database_unavailable


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """The 500 page, except that a database outage raised outside a view (a middleware, the
    session save) answers 503 like the views do (core.middleware.DatabaseUnavailableMiddleware)."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable(request)
    return django_server_error(request, template_name=template_name)

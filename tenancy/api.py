"""REST API for the tenancy core (placeholder: filled in by the API step)."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    return drf_exception_handler(exc, context)

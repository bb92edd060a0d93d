"""API authentication (issue 17): tokens that expire. Set in REST_FRAMEWORK
["DEFAULT_AUTHENTICATION_CLASSES"]; its own module because DRF imports it while
rest_framework.views is still being imported (core.api imports from there)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_expired(token) -> bool:
    """A token older than settings.API_TOKEN_TTL_HOURS no longer authenticates."""
    ttl = timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    return token.created < timezone.now() - ttl


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, except that a token expires API_TOKEN_TTL_HOURS after it
    was issued (the client fetches a new one at /api/auth/token/). Admins revoke a token by
    deleting it in the admin (Auth Token)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("API-nøglen er udløbet. Hent en ny."))
        return user, token

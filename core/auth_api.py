"""The API token endpoint (issue 17): expiring tokens (core.api.ExpiringTokenAuthentication),
a throttle, django-axes' lock-out and the second factor for users who must use it. Mounted
at /api/auth/token/ in config/urls.py. Kept apart from core.api because DRF reads the
authentication class while rest_framework.views is still being imported."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import match_token
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from .auth_policy import two_factor_required
from .authentication import token_expired
from .models import SecurityEventKind
from .security import security_event_record


class TokenRequestSerializer(AuthTokenSerializer):
    """Username and password, and for a user who must use two-factor the current code."""

    otp_token = serializers.CharField(
        label=gettext_lazy("Engangskode"), required=False, allow_blank=True, max_length=12
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if two_factor_required(user):
            code = (attrs.get("otp_token") or "").strip()
            if not code or match_token(user, code) is None:
                raise serializers.ValidationError(
                    {"otp_token": [_("Din rolle kræver en gyldig engangskode (to-faktor).")]}
                )
        return attrs


class ObtainExpiringToken(ObtainAuthToken):
    """POST username/password (and otp_token) for a token valid API_TOKEN_TTL_HOURS. An
    expired token is replaced by a new one. Throttled (scope "token") and protected by the
    lock-out after repeated wrong passwords (django-axes)."""

    serializer_class = TokenRequestSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False):  # set by django-axes' backend
            return Response(
                {"detail": _("For mange mislykkede forsøg. Log-ind er spærret et stykke tid.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        with transaction.atomic():
            token, created = Token.objects.select_for_update().get_or_create(user=user)
            if not created and token_expired(token):
                token.delete()
                token = Token.objects.create(user=user)
        security_event_record(kind=SecurityEventKind.TOKEN_CREATED, user=user, request=request)
        return Response({"token": token.key, "expires_hours": settings.API_TOKEN_TTL_HOURS})


obtain_expiring_token = ObtainExpiringToken.as_view()

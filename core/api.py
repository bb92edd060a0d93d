"""REST API pieces every app shares: the exception handler (settings.REST_FRAMEWORK),
strict input serializers and their validation helper."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

# --- errors -----------------------------------------------------------------------------


def _validation_error_data(exc: DjangoValidationError) -> dict:
    """A Django/domain ValidationError as DRF-style data: field errors keyed by field,
    errors without a field under "detail" (one message) or "non_field_errors"."""
    if hasattr(exc, "error_dict"):
        data = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
            data[key] = list(messages)
        return data
    messages = exc.messages
    if len(messages) == 1:
        return {"detail": messages[0]}
    return {api_settings.NON_FIELD_ERRORS_KEY: messages}


def exception_handler(exc, context):
    """DRF's handler plus the project's errors: a broken business rule (DomainError) or a
    Django ValidationError is a 400 with its Danish message; deleting something other
    records still point at is a 409. Everything else is DRF's standard handling."""
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {
                "detail": _(
                    "Kan ikke slettes, fordi andre oplysninger henviser til det (fx bygninger, "
                    "enheder eller lejemål). Fjern eller flyt dem først."
                )
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know instead of silently
    ignoring them (a client must not believe it changed something it did not)."""

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Feltet findes ikke eller kan ikke ændres her.")] for name in unknown}
            )
        return attrs


def validated(serializer_class, request, *, partial: bool = False) -> dict:
    """Validate request data with an input serializer (400 on bad input)."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)

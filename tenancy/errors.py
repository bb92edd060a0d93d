"""Domain errors: a ValidationError with a human (Danish) message that views turn into a
form error and the API into a 400."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A business rule was broken; the message says which and what to do instead."""


class TenantChangeError(DomainError):
    """Someone tried to change the tenant by editing an existing lease."""

"""Domain errors: a ValidationError with a human (Danish) message that views turn into a
form error (core.forms.apply_domain_error) and the API into a 400 (core.api)."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A business rule was broken; the message says which and what to do instead."""

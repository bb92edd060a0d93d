"""What the tenancy services share."""

from django.core.exceptions import ValidationError

from core.errors import DomainError


def full_clean(obj, **kwargs) -> None:
    """Model validation as a domain error, so every caller handles one error type."""
    try:
        obj.full_clean(**kwargs)
    except DomainError:
        raise
    except ValidationError as exc:
        raise DomainError(exc.error_dict if hasattr(exc, "error_dict") else exc.messages) from exc

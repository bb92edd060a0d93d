"""Tenancy's own domain errors (the base type lives in core.errors)."""

from core.errors import DomainError


class TenantChangeError(DomainError):
    """Someone tried to change the tenant by editing an existing lease."""

"""Django admin for the tenancy core: superusers administer organisations, users and the
portfolio here; caseworkers use the screens in tenancy.views.

Records with a rule are written through tenancy.services, never by a plain model save: the
admin form calls the service while it validates, so a DomainError becomes a form error and
nothing is half-saved (tenancy.admin.base). After creation a lease's unit, parties and
start date are read-only (a tenant change is always end + new lease). Every change page
shows the record's change history read-only. Importing this package registers every
ModelAdmin (Django's admin autodiscovery imports it).
"""

from . import documents, leases, organisations, people, portfolio, records  # noqa: F401
from .base import HistoryMixin, ServiceAdmin, ServiceForm

__all__ = ["HistoryMixin", "ServiceAdmin", "ServiceForm"]

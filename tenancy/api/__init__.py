"""REST API for the tenancy core: portfolio, people and leases, mounted at /api/.

Thin by design: querysets come from tenancy.selectors (scoped to the user's organisations,
so another organisation's object is a 404), writes with a rule go through an explicit input
serializer and a tenancy service, and lease lifecycle changes are explicit actions. The API
is for other systems, so what it returns leaves the organisation: protected persons appear
as "Beskyttet person" without contact details, and CPR numbers only masked (the full number
only through the logged reveal action for CPR officers). One module per topic; the router
(tenancy.api_urls) takes the viewsets from here.
"""

from .leases import LeaseViewSet
from .people import PersonViewSet
from .portfolio import (
    BuildingViewSet,
    DepartmentViewSet,
    EntranceViewSet,
    OrganisationViewSet,
    PropertyViewSet,
    UnitViewSet,
)

__all__ = [
    "BuildingViewSet",
    "DepartmentViewSet",
    "EntranceViewSet",
    "LeaseViewSet",
    "OrganisationViewSet",
    "PersonViewSet",
    "PropertyViewSet",
    "UnitViewSet",
]

"""URLs of the tenancy REST API, mounted at /api/ (config/urls.py)."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
# No ".json" suffix routes: the schema has none, and actions do not take a format (issue 17).
router.include_format_suffixes = False
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("departments", api.DepartmentViewSet, basename="department")
router.register("properties", api.PropertyViewSet, basename="property")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("entrances", api.EntranceViewSet, basename="entrance")
router.register("units", api.UnitViewSet, basename="unit")
router.register("people", api.PersonViewSet, basename="person")
router.register("leases", api.LeaseViewSet, basename="lease")

app_name = "api"
urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    *router.urls,
]

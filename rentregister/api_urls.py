from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api, api_sync

router = DefaultRouter()
# No ".json" suffix routes: the schema has none, and actions do not take a format (issue 17).
router.include_format_suffixes = False
router.register("filings", api.FilingViewSet, basename="rent-filing")
router.register("udk-tasks", api.UdkTaskViewSet, basename="rent-udk-task")
router.register("consents", api.ConsentViewSet, basename="rent-consent")
# issue 12 (fidelity): the register kept in step
router.register("comparisons", api_sync.ComparisonViewSet, basename="rent-comparison")
router.register("differences", api_sync.DifferenceViewSet, basename="rent-difference")

urlpatterns = [
    path("refunds/", api.RefundView.as_view(), name="rent-refunds"),
    path("", include(router.urls)),
]

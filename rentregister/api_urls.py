from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("filings", api.FilingViewSet, basename="rent-filing")
router.register("udk-tasks", api.UdkTaskViewSet, basename="rent-udk-task")
router.register("consents", api.ConsentViewSet, basename="rent-consent")

urlpatterns = [
    path("refunds/", api.RefundView.as_view(), name="rent-refunds"),
    path("", include(router.urls)),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("applicants", api.ApplicantViewSet, basename="waitlist-applicant")
router.register("applications", api.ApplicationViewSet, basename="waitlist-application")
router.register("payments", api.PaymentViewSet, basename="waitlist-payment")

urlpatterns = [path("", include(router.urls))]

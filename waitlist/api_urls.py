from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api, api_letting

router = DefaultRouter()
# No ".json" suffix routes: the schema has none, and actions do not take a format (issue 17).
router.include_format_suffixes = False
router.register("applicants", api.ApplicantViewSet, basename="waitlist-applicant")
router.register("applications", api.ApplicationViewSet, basename="waitlist-application")
router.register("payments", api.PaymentViewSet, basename="waitlist-payment")
router.register("vacancies", api_letting.VacancyViewSet, basename="waitlist-vacancy")  # issue 14
router.register("offers", api_letting.OfferViewSet, basename="waitlist-offer")  # issue 14

urlpatterns = [path("", include(router.urls))]

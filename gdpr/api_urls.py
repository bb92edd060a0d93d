urlpatterns: list = []

# -- retention schedule, runs and anonymisation (issue 15)

# -- data-subject requests, consents, contact form (issue 15)
from django.urls import include, path  # noqa: E402
from rest_framework.routers import SimpleRouter  # noqa: E402

from .subject import api as subject_api  # noqa: E402

subject_router = SimpleRouter()
subject_router.include_format_suffixes = False
subject_router.register("requests", subject_api.SubjectRequestViewSet, basename="gdpr-request")
subject_router.register("consents", subject_api.ConsentViewSet, basename="gdpr-consent")
subject_router.register("objections", subject_api.ObjectionViewSet, basename="gdpr-objection")
subject_router.register("restrictions", subject_api.RestrictionViewSet, basename="gdpr-restriction")
urlpatterns += [path("", include(subject_router.urls))]

# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)

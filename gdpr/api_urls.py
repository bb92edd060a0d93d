urlpatterns: list = []

# -- retention schedule, runs and anonymisation (issue 15)
from django.urls import path  # noqa: E402
from rest_framework.routers import DefaultRouter  # noqa: E402

from .retention import api as retention_api  # noqa: E402

_retention = DefaultRouter(trailing_slash=True)
_retention.include_root_view = False
_retention.include_format_suffixes = False
_retention.register(
    "retention/rules", retention_api.RetentionRuleViewSet, basename="retention-rule"
)
_retention.register("retention/runs", retention_api.RetentionRunViewSet, basename="retention-run")
urlpatterns += [
    path(
        "retention/preview/", retention_api.RetentionPreviewView.as_view(), name="retention-preview"
    ),
    *_retention.urls,
]

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
from .disclosure import api as disclosure_api  # noqa: E402

_disclosure = DefaultRouter(trailing_slash=True)
_disclosure.include_root_view = False
_disclosure.include_format_suffixes = False
_disclosure.register("disclosures", disclosure_api.DisclosureViewSet, basename="gdpr-disclosure")
_disclosure.register(
    "outbound-exports", disclosure_api.OutboundExportViewSet, basename="gdpr-outbound-export"
)
_disclosure.register("findings", disclosure_api.FindingViewSet, basename="gdpr-finding")
_disclosure.register("breaches", disclosure_api.BreachViewSet, basename="gdpr-breach")
_disclosure.register("processors", disclosure_api.ProcessorViewSet, basename="gdpr-processor")
urlpatterns += _disclosure.urls

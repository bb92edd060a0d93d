"""URLs of the CPR lookup REST API, mounted at /api/cpr/ (config/urls.py)."""

from rest_framework.routers import DefaultRouter

from . import api, api_records

router = DefaultRouter()
# No ".json" suffix routes: the schema has none, and actions do not take a format (issue 17).
router.include_format_suffixes = False
router.register("lookups", api.LookupViewSet, basename="cpr-lookup")
router.register("ledger", api.ChargeViewSet, basename="cpr-charge")
router.register("scans", api.ScanJobViewSet, basename="cpr-scan")
router.register("reconciliation", api.ReconciliationViewSet, basename="cpr-reconciliation")
router.register("events", api.EventViewSet, basename="cpr-event")
# issue 12 (fidelity): the private landlord's document, owner use
router.register(
    "dwellings-evidence", api_records.DwellingsEvidenceViewSet, basename="cpr-dwellings-evidence"
)
router.register("owner-use", api_records.OwnerUseViewSet, basename="cpr-owner-use")

app_name = "cprapi"
urlpatterns = router.urls

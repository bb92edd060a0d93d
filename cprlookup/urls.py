from django.urls import path

from . import views, views_records

app_name = "cprlookup"
urlpatterns = [
    path("", views.index, name="index"),
    path("opslag/<uuid:pk>/", views.lookup_detail, name="lookup_detail"),
    path("opslag/<uuid:pk>/excel/", views.lookup_excel, name="lookup_excel"),
    path("log/", views.log, name="log"),
    path("log/person/<int:person_pk>/", views.log_person, name="log_person"),
    path("omkostninger/", views.ledger, name="ledger"),
    path("scanninger/", views.scans, name="scans"),
    path("scanninger/indstilling/", views.scan_setting, name="scan_setting"),
    path("scanninger/start/", views.scan_start, name="scan_start"),
    path("scanninger/<int:pk>/", views.scan_detail, name="scan_detail"),
    path("scanninger/<int:pk>/fremskridt/", views.scan_progress, name="scan_progress"),
    path("scanninger/<int:pk>/genoptag/", views.scan_resume, name="scan_resume"),
    path("afstemning/", views.reconciliation, name="reconciliation"),
    path("flytninger/", views.events, name="events"),
    # issue 12 (fidelity): full-CPR download with a purpose, eligibility, owner use
    path("opslag/<uuid:pk>/excel-cpr/", views_records.lookup_cpr_excel, name="lookup_cpr_excel"),
    path("adgang/", views_records.eligibility, name="eligibility"),
    path("adgang/dokumentation/", views_records.evidence_record, name="evidence_record"),
    path("adgang/ejerbenyttelse/", views_records.owner_use_add, name="owner_use_add"),
    path(
        "adgang/ejerbenyttelse/<int:pk>/fjern/",
        views_records.owner_use_remove,
        name="owner_use_remove",
    ),
]

from django.urls import path

from . import views

app_name = "gdpr"
urlpatterns = [
    path("", views.index, name="index"),
]

# -- retention schedule, runs and anonymisation (issue 15)
from .retention import views as retention_views  # noqa: E402

urlpatterns += [
    path("sletning/", retention_views.schedule, name="retention"),
    path("sletning/forhaandsvisning/", retention_views.preview, name="retention_preview"),
    path("sletning/koer/", retention_views.run_start, name="retention_run_start"),
    path("sletning/koersler/", retention_views.run_list, name="retention_runs"),
    path("sletning/koersler/<int:pk>/", retention_views.run_detail, name="retention_run_detail"),
    path(
        "sletning/koersler/<int:pk>/fremskridt/",
        retention_views.run_progress,
        name="retention_run_progress",
    ),
    path(
        "sletning/koersler/<int:pk>/genoptag/",
        retention_views.run_resume,
        name="retention_run_resume",
    ),
    path(
        "sletning/person/<int:pk>/anonymiser/",
        retention_views.person_anonymise,
        name="retention_person_anonymise",
    ),
]

# -- data-subject requests, consents, contact form (issue 15)

# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)
from .disclosure import views as disclosure_views  # noqa: E402

urlpatterns += [
    path("videregivelser/", disclosure_views.disclosure_list, name="disclosure_list"),
    path("videregivelser/<int:pk>/", disclosure_views.disclosure_detail, name="disclosure_detail"),
    path(
        "videregivelser/person/<int:person_pk>/",
        disclosure_views.person_disclosures,
        name="person_disclosures",
    ),
]

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
from .disclosure import views_breach as disclosure_breach  # noqa: E402
from .disclosure import views_discovery as disclosure_discovery  # noqa: E402
from .disclosure import views_outbound as disclosure_outbound  # noqa: E402
from .disclosure import views_records as disclosure_records  # noqa: E402

urlpatterns += [
    path("videregivelser/", disclosure_views.disclosure_list, name="disclosure_list"),
    path("videregivelser/<int:pk>/", disclosure_views.disclosure_detail, name="disclosure_detail"),
    path(
        "videregivelser/person/<int:person_pk>/",
        disclosure_views.person_disclosures,
        name="person_disclosures",
    ),
    path("udtraek/", disclosure_outbound.export_list, name="export_list"),
    path("udtraek/<int:pk>/", disclosure_outbound.export_detail, name="export_detail"),
    path("udtraek/<int:pk>/hent/", disclosure_outbound.export_download, name="export_download"),
    path(
        "udtraek/markedsstatistik/tilmelding/",
        disclosure_outbound.market_opt_in,
        name="market_opt_in",
    ),
    path("dataopdagelse/", disclosure_discovery.finding_list, name="finding_list"),
    path("dataopdagelse/scan/", disclosure_discovery.discovery_start, name="discovery_start"),
    path(
        "dataopdagelse/<int:pk>/fjern/", disclosure_discovery.finding_redact, name="finding_redact"
    ),
    path(
        "dataopdagelse/<int:pk>/afvis/",
        disclosure_discovery.finding_dismiss,
        name="finding_dismiss",
    ),
    path("sikkerhedsbrud/", disclosure_breach.breach_list, name="breach_list"),
    path("sikkerhedsbrud/<int:pk>/", disclosure_breach.breach_detail, name="breach_detail"),
    path(
        "sikkerhedsbrud/<int:pk>/berorte/",
        disclosure_breach.breach_people_add,
        name="breach_people_add",
    ),
    path("sikkerhedsbrud/<int:pk>/anmeldt/", disclosure_breach.breach_report, name="breach_report"),
    path(
        "sikkerhedsbrud/<int:pk>/underret/", disclosure_breach.breach_notify, name="breach_notify"
    ),
    path("sikkerhedsbrud/<int:pk>/afslut/", disclosure_breach.breach_close, name="breach_close"),
    path("databehandlere/", disclosure_records.processor_list, name="processor_list"),
    path(
        "databehandlere/<int:pk>/afslut/",
        disclosure_records.processor_end,
        name="processor_end",
    ),
    path("fortegnelse/", disclosure_records.processing_record, name="processing_record"),
]

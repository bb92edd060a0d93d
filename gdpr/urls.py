from django.urls import path

from . import views

app_name = "gdpr"
urlpatterns = [
    path("", views.index, name="index"),
]

# -- retention schedule, runs and anonymisation (issue 15)

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

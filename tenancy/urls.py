from django.urls import include, path

from . import views
from .views.person_edit import person_edit

app_name = "tenancy"
urlpatterns = [
    path("eksport/", include("tenancy.export_urls")),
    path("", views.dashboard, name="dashboard"),
    path("organisation/", views.organisation_switch, name="organisation_switch"),
    path("soeg/", views.search, name="search"),
    path("ejendomme/", views.property_list, name="property_list"),
    path("ejendomme/<int:pk>/", views.property_detail, name="property_detail"),
    path("opgange/", views.entrance_list, name="entrance_list"),
    path("opgange/<int:pk>/", views.entrance_detail, name="entrance_detail"),
    path("enheder/", views.unit_list, name="unit_list"),
    path("enheder/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("enheder/<int:unit_pk>/nyt-lejemaal/", views.lease_create, name="lease_create"),
    path("personer/", views.person_list, name="person_list"),
    path("personer/vaelg/", views.person_picker, name="person_picker"),
    path("personer/<int:pk>/", views.person_detail, name="person_detail"),
    path("personer/<int:pk>/vis-cpr/", views.person_reveal_cpr, name="person_reveal_cpr"),
    path("lejemaal/", views.lease_list, name="lease_list"),
    path("lejemaal/<int:pk>/", views.lease_detail, name="lease_detail"),
    path("lejemaal/<int:pk>/rediger/", views.lease_edit, name="lease_edit"),
    path("lejemaal/<int:pk>/afslut/", views.lease_end, name="lease_end"),
    path("lejemaal/<int:pk>/genoptag/", views.lease_reinstate, name="lease_reinstate"),
    path("lejemaal/<int:pk>/husleje/", views.lease_change_rent, name="lease_change_rent"),
    # issue 12 (domain): corrections as an action; a person's details (CPR as a correction)
    path("lejemaal/<int:pk>/ret-fejl/", views.lease_correct, name="lease_correct"),
    path("personer/<int:pk>/ret/", person_edit, name="person_edit"),
    # issue 15: lease documents (served to the organisation's staff only)
    path("lejemaal/<int:pk>/dokumenter/", views.lease_documents, name="lease_documents"),
    path(
        "lejemaal/<int:pk>/dokumenter/<int:document_pk>/",
        views.lease_document_download,
        name="lease_document_download",
    ),
]

from django.urls import path

from . import views, views_sync

app_name = "rentregister"
urlpatterns = [
    path("", views.index, name="index"),
    path("indberetninger/", views.filing_list, name="filing_list"),
    path("indberetninger/<int:pk>/", views.filing_detail, name="filing_detail"),
    path("indberetninger/<int:pk>/send-igen/", views.filing_retry, name="filing_retry"),
    path("indberetninger/<int:pk>/annuller/", views.filing_cancel, name="filing_cancel"),
    path("udk-opgaver/", views.task_list, name="task_list"),
    path("udk-opgaver/<int:pk>/", views.task_detail, name="task_detail"),
    path("genhusning/", views.rehousing_list, name="rehousing_list"),
    path("genhusning/ny/", views.rehousing_create, name="rehousing_create"),
    path("genhusning/<int:pk>/afslut/", views.rehousing_end, name="rehousing_end"),
    path("tilbagebetaling/", views.refunds, name="refunds"),
    path("kontaktpersoner/", views.contacts, name="contacts"),
    path("kontaktpersoner/<int:pk>/", views.contact_edit, name="contact_edit"),
    path("personer/<int:pk>/samtykke/", views.person_consent, name="person_consent"),
    # issue 12 (fidelity): the register kept in step
    path("afstemning/", views_sync.sync_overview, name="sync"),
    path("afstemning/sammenlign/", views_sync.sync_compare, name="sync_compare"),
    path("afstemning/<int:pk>/indberet/", views_sync.sync_refile, name="sync_refile"),
    path("afstemning/kontaktpersoner/", views_sync.sync_contacts_push, name="sync_contacts_push"),
]

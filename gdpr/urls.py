from django.urls import path

from . import views

app_name = "gdpr"
urlpatterns = [
    path("", views.index, name="index"),
]

# -- retention schedule, runs and anonymisation (issue 15)

# -- data-subject requests, consents, contact form (issue 15)

# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)

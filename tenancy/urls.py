from django.urls import include, path
from django.views.generic import TemplateView

app_name = "tenancy"
urlpatterns = [
    path("eksport/", include("tenancy.export_urls")),
    path("", TemplateView.as_view(template_name="base.html"), name="dashboard"),
]

"""Excel downloads, included at /eksport/ in the `tenancy` namespace.

`{% url 'tenancy:export' 'units' %}?{{ request.GET.urlencode }}` downloads the filtered list;
kinds: properties, entrances, units, people, leases.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("job/<int:pk>/", views.export_job_detail, name="export_job"),
    path("job/<int:pk>/status/", views.export_job_status, name="export_job_status"),
    path("job/<int:pk>/fil/", views.export_job_file, name="export_job_file"),
    path("<slug:kind>/", views.export_download, name="export"),
]

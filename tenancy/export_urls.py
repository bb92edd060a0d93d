"""Excel downloads, included at /eksport/ in the `tenancy` namespace.

`{% url 'tenancy:export' 'units' %}?{{ request.GET.urlencode }}` downloads the filtered list;
kinds: properties, entrances, units, people, leases.
"""

from django.urls import path

from . import export_views

urlpatterns = [
    path("job/<int:pk>/", export_views.export_job_detail, name="export_job"),
    path("job/<int:pk>/status/", export_views.export_job_status, name="export_job_status"),
    path("job/<int:pk>/fil/", export_views.export_job_file, name="export_job_file"),
    path("<slug:kind>/", export_views.export_download, name="export"),
]

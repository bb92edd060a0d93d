from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/cpr/", include("cprlookup.api_urls")),
    path("api/rent-register/", include("rentregister.api_urls")),
    path("api/", include("tenancy.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("cpr/", include("cprlookup.urls")),
    path("huslejeregister/", include("rentregister.urls")),
    path("venteliste/", include("waitlist.urls")),
    path("gdpr/", include("gdpr.urls")),
    path("", include("tenancy.urls")),
]

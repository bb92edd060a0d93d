from django.contrib import admin
from django.contrib.auth.views import LoginView  # issue 13 (waitlist)
from django.shortcuts import redirect  # issue 11 (ux): the favicon
from django.templatetags.static import static  # issue 11 (ux): the favicon
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz
from core import auth_api, auth_views
from waitlist.auth import StaffAuthenticationForm  # issue 13 (waitlist)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # issue 11 (ux): browsers ask for /favicon.ico on pages without a <link rel="icon">.
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file (no inline script: CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # --- authz (issue 17): the token endpoint with expiry, throttle, lock-out and two-factor
    # (before tenancy.api_urls, whose plain obtain_auth_token at the same path it replaces);
    # the two-factor pages after the password login ---
    path("api/auth/token/", auth_api.obtain_expiring_token, name="api-token"),
    path("konto/tofaktor/", auth_views.two_factor_verify, name="two_factor_verify"),
    path("konto/tofaktor/opsaet/", auth_views.two_factor_enrol, name="two_factor_enrol"),
    path("konto/tofaktor/qr.svg", auth_views.two_factor_qr, name="two_factor_qr"),
    path("api/cpr/", include("cprlookup.api_urls")),
    path("api/rent-register/", include("rentregister.api_urls")),
    path("api/waitlist/", include("waitlist.api_urls")),  # issue 13 (waitlist)
    path("api/gdpr/", include("gdpr.api_urls")),  # issue 15/16 (gdpr)
    path("api/", include("tenancy.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # issue 13 (waitlist): the staff login refuses applicants' self-service accounts; the
    # applicants have their own login and pages at /ansoeger/.
    path(
        "accounts/login/",
        LoginView.as_view(authentication_form=StaffAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("ansoeger/", include("waitlist.public_urls")),  # issue 13 (waitlist)
    path("cpr/", include("cprlookup.urls")),
    path("huslejeregister/", include("rentregister.urls")),
    path("venteliste/", include("waitlist.urls")),
    path("gdpr/", include("gdpr.urls")),
    path("", include("tenancy.urls")),
]

# A database outage raised outside a view answers 503 too (issue 17, hardening).
handler500 = "core.views.server_error"

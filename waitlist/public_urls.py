"""The applicants' self-service at /ansoeger/ (public part; its own login)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import letting_public, public

app_name = "waitlist_public"
urlpatterns = [
    path("", public.home, name="home"),
    path("tilmeld/", public.signup, name="signup"),
    path("bekraeft/<str:token>/", public.verify, name="verify"),
    path("log-ind/", public.ApplicantLoginView.as_view(), name="login"),
    path("nyt-link/", public.resend_verification, name="resend"),
    path("log-ud/", public.logout_view, name="logout"),
    path("glemt-adgangskode/", public.ApplicantPasswordResetView.as_view(), name="password_reset"),
    path(
        "glemt-adgangskode/sendt/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="waitlist/public/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "nulstil/<uidb64>/<token>/",
        public.ApplicantPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "nulstil/faerdig/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="waitlist/public/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("min-side/", public.overview, name="overview"),
    path("betal/<int:pk>/", public.pay, name="pay"),
    path("oplysninger/", public.contact, name="contact"),
    path("tilbudsform/", public.channel, name="channel"),
    path("tilmeld-liste/", public.open_list, name="open_list"),
    path("ansoegning/<int:pk>/oensker/", public.wishes, name="wishes"),
    path("ansoegning/<int:pk>/forny/", public.renew, name="renew"),
    path("ansoegning/<int:pk>/udmeld/", public.leave, name="leave"),
    path("beskeder/", public.message_list, name="messages"),
]

# --- letting (issue 14): the applicant's offers ---
urlpatterns += [
    path("tilbud/", letting_public.offers, name="offers"),
    path("tilbud/<int:pk>/", letting_public.offer_detail, name="offer_detail"),
    path("tilbud/<int:pk>/brev/", letting_public.offer_pdf, name="offer_pdf"),
]

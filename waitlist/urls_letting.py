"""Caseworker routes of letting (issue 14), added to waitlist.urls (/venteliste/)."""

from django.urls import path

from .views import letting

urlpatterns = [
    path("udlejning/", letting.vacancy_list, name="vacancy_list"),
    path("udlejning/ny/", letting.vacancy_create, name="vacancy_create"),
    path("udlejning/<int:pk>/", letting.vacancy_detail, name="vacancy_detail"),
    path("udlejning/<int:pk>/runde/", letting.round_start, name="round_start"),
    path("udlejning/<int:pk>/traek-tilbage/", letting.vacancy_withdraw, name="vacancy_withdraw"),
    path("udlejning/runder/<int:pk>/placeringer/", letting.round_ranking, name="round_ranking"),
    path("udlejning/tilbud/<int:pk>/svar/", letting.offer_answer, name="offer_answer"),
    path("udlejning/tilbud/<int:pk>/brev/", letting.offer_letter, name="offer_letter"),
    path("udlejning/svar/", letting.answers_due, name="answers_due"),
    path("udlejning/anvisninger/", letting.referral_list, name="referral_list"),
    path("udlejning/anvisninger/<int:pk>/afslut/", letting.referral_close, name="referral_close"),
    path("udlejning/pauser/", letting.hold_list, name="hold_list"),
    path("udlejning/pauser/<int:pk>/ophaev/", letting.hold_lift, name="hold_lift"),
    path(
        "ansoegninger/<int:pk>/udlejning/",
        letting.application_letting,
        name="application_letting",
    ),
]

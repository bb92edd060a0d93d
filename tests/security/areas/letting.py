"""Authorisation-matrix entries and world builders for letting (issue 14): vacancies,
rounds, offers, referrals and holds, and the applicant's own offers in self-service."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from tests.security.route_policy import LOGGED_OUT, STAFF, Entry

POLICY: dict[str, Entry] = {
    "waitlist:vacancy_list": Entry(STAFF),
    "waitlist:vacancy_create": Entry(STAFF),
    "waitlist:vacancy_detail": Entry(STAFF, obj="vacancy"),
    "waitlist:round_start": Entry(STAFF, obj="vacancy"),
    "waitlist:vacancy_withdraw": Entry(STAFF, obj="vacancy"),
    "waitlist:round_ranking": Entry(STAFF, obj="offer_round"),
    "waitlist:offer_answer": Entry(STAFF, obj="offer"),
    "waitlist:offer_letter": Entry(STAFF, obj="offer"),
    "waitlist:answers_due": Entry(STAFF),
    "waitlist:referral_list": Entry(STAFF),
    "waitlist:referral_close": Entry(STAFF, obj="referral"),
    "waitlist:hold_list": Entry(STAFF),
    "waitlist:hold_lift": Entry(STAFF, obj="letting_hold"),
    "waitlist:application_letting": Entry(STAFF, obj="application"),
    # Self-service: by the time the matrix reaches these, the applicant role's applicant has
    # left the list (waitlist_public:leave runs first), so the login answers as for
    # waitlist_public:overview. Reaching one's own offer and not another's is tested in
    # tests/waitlist/test_letting_views.py.
    "waitlist_public:offers": Entry(LOGGED_OUT),
    "waitlist_public:offer_detail": Entry(LOGGED_OUT, obj="offer"),
    "waitlist_public:offer_pdf": Entry(LOGGED_OUT, obj="offer"),
    # API
    "GET /api/waitlist/vacancies/": Entry(STAFF),
    "POST /api/waitlist/vacancies/": Entry(STAFF),
    "GET /api/waitlist/vacancies/{pk}/": Entry(STAFF, obj="vacancy"),
    "POST /api/waitlist/vacancies/{pk}/start-round/": Entry(STAFF, obj="vacancy"),
    "POST /api/waitlist/vacancies/{pk}/withdraw/": Entry(STAFF, obj="vacancy"),
    "GET /api/waitlist/vacancies/{pk}/ranking/": Entry(STAFF, obj="vacancy"),
    "GET /api/waitlist/offers/": Entry(STAFF),
    "GET /api/waitlist/offers/{pk}/": Entry(STAFF, obj="offer"),
    "POST /api/waitlist/offers/{pk}/answer/": Entry(STAFF, obj="offer"),
}
PUBLIC_FOR_ANONYMOUS: set[str] = set()
KWARG_OBJECTS: dict[str, str] = {}


def _vacancy(world, side: str):
    from waitlist.models import Vacancy

    unit = world.obj("unit", side, fresh=True)
    return Vacancy.objects.create(
        organisation=world.orgs[side],
        cooperation=world.obj("cooperation", side),
        unit=unit,
        list_type="family",
        move_in_date=date(2027, 1, 1),
        rent=Decimal("6500.00"),
        rooms=unit.rooms,
        area_m2=unit.area_m2,
    )


def _offer_round(world, side: str):
    from waitlist.models import OfferRound

    return OfferRound.objects.create(
        vacancy=world.obj("vacancy", side),
        number=1,
        deadline=timezone.now() + timedelta(days=5),
    )


def _offer(world, side: str):
    """A's offer is the applicant role's own (A's applicant has the self-service login)."""
    from waitlist.models import Offer

    rnd = world.obj("offer_round", side)
    application = world.obj("application", side)
    return Offer.objects.create(
        round=rnd,
        vacancy=rnd.vacancy,
        application=application,
        applicant=application.applicant,
        rank=1,
        channel="e_offer",
        deadline=rnd.deadline,
    )


def _referral(world, side: str):
    from waitlist.models import MunicipalReferral

    unit = world.obj("unit", side, fresh=True)
    return MunicipalReferral.objects.create(
        organisation=world.orgs[side], unit=unit, vacant_from=date(2027, 1, 1)
    )


def _letting_hold(world, side: str):
    from waitlist.models import LettingHold

    return LettingHold.objects.create(applicant=world.obj("applicant", side), reason="test")


BUILDERS: dict = {
    "vacancy": _vacancy,
    "offer_round": _offer_round,
    "offer": _offer,
    "referral": _referral,
    "letting_hold": _letting_hold,
}

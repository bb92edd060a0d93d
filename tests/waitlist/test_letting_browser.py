"""The letting issue's "done when" in a real browser (issue 14): a caseworker ends a lease on
a list home, sees the vacancy, starts a round; the e-offer applicant reads the letter and
answers in the self-service area; a caseworker registers the letter applicant's answer; the
home goes to the best-placed acceptor with the reasons for everyone above; the new lease and
its rent-register filing exist."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from rentregister.models import Filing
from tests.factories import UserFactory, make_lease
from waitlist.models import Offer, Vacancy

from .letting_fixtures import applicant_on_list, list_unit

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "letting"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed"),
]


@pytest.fixture
def page_as(browser, live_server, settings):
    """A fresh browser context per user. Switching users by swapping the session cookie in one
    context raced: with SESSION_SAVE_EVERY_REQUEST a request still in flight for the previous
    user (the favicon, say) answered with that user's cookie after the swap (CI, PostgreSQL run)."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_as(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        ctx = browser.new_context(base_url=live_server.url, locale="da-DK")
        ctx.set_default_timeout(30_000)  # the machine is shared: generous under load
        ctx.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )
        contexts.append(ctx)
        return ctx.new_page()

    yield open_as
    for ctx in contexts:
        ctx.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_end_lease_to_new_lease(page_as, caseworker, cooperation, unit):
    list_unit(unit)
    lease = make_lease(unit)
    picky = applicant_on_list(
        cooperation, seniority=date(2005, 1, 1), name="Per Pris", max_rent=3000
    )
    letter = applicant_on_list(
        cooperation, seniority=date(2006, 1, 1), name="Bente Brev", channel="letter"
    )
    online = applicant_on_list(cooperation, seniority=date(2007, 1, 1), name="Olga Online")
    applicant_on_list(cooperation, seniority=date(2008, 1, 1), name="Niels Nummer3")
    user = UserFactory(username="olga@example.dk")
    online.applicant.user = user
    online.applicant.save(update_fields=["user"])

    page = page_as(caseworker)
    end = timezone.localdate() + timedelta(days=20)
    page.goto(f"/lejemaal/{lease.pk}/afslut/")
    page.fill("#id_end_date", end.isoformat())
    page.fill("#id_reason", "Opsagt af lejer")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/lejemaal/{lease.pk}/")

    page.goto("/venteliste/udlejning/?status=active")
    page.click(f"text={unit}")
    page.wait_for_selector("text=Start tilbudsrunde")
    _shot(page, "1-vacancy")
    page.click("text=Start tilbudsrunde")
    page.wait_for_selector("text=Tilbudsrunden er startet")
    page.wait_for_selector("text=Huslejen er over ønsket")  # why Per was passed over
    _shot(page, "2-round")
    vacancy = Vacancy.objects.get(unit=unit)
    assert vacancy.move_in_date == end + timedelta(days=1)

    # The e-offer applicant answers in the self-service area.
    page = page_as(user)
    page.goto("/ansoeger/tilbud/")
    page.click("text=Se og svar")
    page.wait_for_selector("text=Husleje pr. måned")
    _shot(page, "3-self-service-offer")
    page.click("text=Ja tak, jeg vil gerne have boligen")
    page.wait_for_selector("text=du har sagt ja")
    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.OFFERING  # the letter applicant is better placed

    # The caseworker registers the letter applicant's answer (a no).
    page = page_as(caseworker)
    page.goto("/venteliste/udlejning/svar/")
    page.wait_for_selector("text=Bente Brev")
    _shot(page, "4-answers-due")
    page.click("text=Registrér nej")
    page.wait_for_selector("text=Svaret er registreret")

    vacancy.refresh_from_db()
    assert vacancy.status == Vacancy.Status.ASSIGNED
    assert vacancy.assigned_offer.application == online
    assert Offer.objects.get(application=letter).status == Offer.Status.DECLINED
    page.goto(f"/venteliste/udlejning/{vacancy.pk}/")
    page.wait_for_selector("text=Hvorfor fik denne ansøger boligen?")
    page.wait_for_selector("text=Fik boligen")
    _shot(page, "5-assigned")
    new_lease = vacancy.new_lease
    assert new_lease.parties.get().name == "Olga Online"
    assert Filing.objects.filter(lease=new_lease).exists()
    page.click(f"text={new_lease.number}")
    page.wait_for_url(f"**/lejemaal/{new_lease.pk}/")
    page.wait_for_selector("text=Olga Online")
    _shot(page, "6-new-lease")
    # Why not me, for the applicant who was passed over.
    page.goto(f"/venteliste/ansoegninger/{picky.pk}/udlejning/")
    page.wait_for_selector("text=Huslejen er over ønsket")
    _shot(page, "7-why-not")

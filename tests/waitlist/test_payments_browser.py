"""In the browser: an applicant pays the sign-up fee on the simulated payment page (a
declined card first) and comes back to see the seniority date; the webhook and the return
page apply the payment once."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from waitlist.models import Application, Invoice, Payment
from waitlist.services.applicants import applicant_signup

from .conftest import data
from .fixtures_payments import *  # noqa: F403 - the simulator fixtures

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("REQUIRE_BROWSER") != "1",
        reason=f"{CHROMIUM} not installed",
    ),
]


def test_applicant_pays_on_the_hosted_page(
    browser, cooperation, live_payment_settings, payment_simulator, live_server, settings
):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_CODE = "da"
    applicant = applicant_signup(
        cooperation=cooperation, data=data(cpr="", birth_date=date(1990, 1, 1))
    )
    user = get_user_model().objects.create_user("anna@example.dk", "anna@example.dk", "x")
    applicant.user = user
    applicant.email_verified_at = timezone.now()
    applicant.save(update_fields=["user", "email_verified_at"])
    invoice = applicant.applications.get().invoices.get()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    context = browser.new_context(locale="da-DK")
    try:
        context.set_default_timeout(15_000)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/ansoeger/min-side/")
        page.click("text=Betal med kort")
        page.wait_for_url(payment_simulator.base_url + "/pay/*")
        assert page.url.startswith(payment_simulator.base_url + "/pay/ps_")
        assert "200,00 DKK" in page.content()
        page.fill("#card", "4000 0000 0000 0002")
        page.click("button[value=pay]")
        assert "Kortet blev afvist" in page.content()
        page.fill("#card", "4242 4242 4242 4242")
        page.click("button[value=pay]")
        page.wait_for_url(f"{live_server.url}/venteliste/betaling/retur/*")
        returned = page.content()
        page.click("text=Til min side")
        overview = page.content()
    finally:
        context.close()

    # (The ORM is not used inside Playwright's event loop.)
    seniority = Application.objects.get(pk=invoice.application_id).seniority_date
    assert seniority == timezone.localdate()
    assert "Tak for din betaling" in returned
    assert seniority.strftime("%d.%m.%Y") in returned
    assert seniority.strftime("%d.%m.%Y") in overview
    payment_simulator.wait_idle()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Payment.objects.count() == 1

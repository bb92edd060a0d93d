"""The issue's "done when" in a real browser: an applicant signs up, verifies the e-mail,
pays on the simulated payment page (real HTTP, signed webhook to the live server), sees the
seniority date; a caseworker sees the applicant, the payment and the messages; letting time
pass (waitlist_nightly --date) sends the renewal invoice, then the reminder, then deletes."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from waitlist.models import Application, Message, Payment

from .fixtures_payments import (  # noqa: F401 - fixtures
    live_payment_settings,
    payment_settings,
    payment_simulator,
    payment_simulator_process,
)

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# synchronous (as in tests/e2e/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed"),
]


@pytest.fixture
def browser_page(browser, live_server, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url, locale="da-DK")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_sign_up_pay_see_seniority_then_time_passes(
    browser_page,
    live_payment_settings,  # noqa: F811 - the fixture
    cooperation,
    caseworker,
):
    page = browser_page
    page.goto("/ansoeger/tilmeld/")
    for field, value in {
        "#id_name": "Emil Ende",
        "#id_cpr": "120394-4321",
        "#id_address": "Nygade 3",
        "#id_postal_code": "7400",
        "#id_city": "Herning",
        "#id_email": "emil@example.com",
        "#id_phone": "12345678",
        "#id_password1": "Meget-Lang-Kode-9",
        "#id_password2": "Meget-Lang-Kode-9",
    }.items():
        page.fill(field, value)
    page.check("#id_accept_terms")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Tjek din e-mail")
    link = re.search(r"https?://\S+/ansoeger/bekraeft/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.wait_for_selector("text=Afventer betaling")
    page.click("text=Betal med kort")
    page.wait_for_selector("#card")
    page.fill("#card", "4242 4242 4242 4242")
    page.click("button[value=pay]")
    page.wait_for_selector("text=Tak for din betaling")
    today = timezone.localdate()
    page.goto("/ansoeger/min-side/")
    page.wait_for_selector(f"text={today:%d.%m.%Y}")
    app = Application.objects.get(applicant__email="emil@example.com")
    assert app.status == "active"
    assert app.seniority_date == today
    assert Payment.objects.filter(applicant=app.applicant).count() == 1

    staff = Client()
    staff.force_login(caseworker)
    detail = staff.get(
        reverse("waitlist:applicant_detail", args=[app.applicant_id])
    ).content.decode()
    assert "Emil Ende" in detail
    assert "Betalingskort" in detail

    paid_until = app.paid_until
    call_command("waitlist_nightly", "--date", f"{paid_until - timedelta(days=30):%Y-%m-%d}")
    call_command("waitlist_nightly", "--date", f"{paid_until + timedelta(days=1):%Y-%m-%d}")
    call_command("waitlist_nightly", "--date", f"{paid_until + timedelta(days=12):%Y-%m-%d}")
    call_command("waitlist_nightly", "--date", f"{paid_until + timedelta(days=12):%Y-%m-%d}")
    kinds = list(
        Message.objects.filter(applicant=app.applicant)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["renewal_invoice", "reminder", "deleted"]
    app.refresh_from_db()
    assert app.status == "deleted"
    assert app.seniority_date is None

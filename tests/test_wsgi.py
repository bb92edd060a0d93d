"""The web processes' WSGI application (config.wsgi): the payment webhook takes the lean
machine handler (no session, CSRF, CSP ... middleware) and still verifies, stores and
refuses exactly as the view does; every other path takes Django's whole stack."""

from __future__ import annotations

import json
import time

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from waitlist.models import WebhookEvent
from waitlist.payments import sign

SECRET = "wsgi-secret"


@pytest.fixture
def call(settings):
    """Call config.wsgi.application the way gunicorn does; (status, headers, body)."""
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    settings.SECURE_SSL_REDIRECT = False
    from config.wsgi import application

    # As Django's test client: the handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def run(request):
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

        body = b"".join(application(request.environ, start_response))
        return seen["status"], seen["headers"], body

    yield run
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _event(event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "data": {"session": {"id": "ps_1", "status": "open", "amount": 20000, "metadata": {}}},
        }
    ).encode()


def _post(body: bytes, *, secret: str = SECRET):
    return RequestFactory().post(
        reverse("waitlist:payment_webhook"),
        data=body,
        content_type="application/json",
        HTTP_WEBHOOK_SIGNATURE=sign(secret, int(time.time()), body),
        HTTP_WEBHOOK_ID="evt",
    )


@pytest.mark.django_db
def test_webhook_takes_the_lean_handler(call):
    from config.wsgi import application

    assert reverse("waitlist:payment_webhook") in application.paths
    status, headers, body = call(_post(_event("evt_w1")))
    assert (status, json.loads(body)) == (200, {"outcome": "received"})
    assert WebhookEvent.objects.get().outcome == "pending"
    # None of the browser middleware ran: no CSP header, no cookies, no language.
    assert "Content-Security-Policy" not in headers
    assert "Set-Cookie" not in headers
    assert "Content-Language" not in headers
    assert "no-store" in headers["Cache-Control"]  # the machine middleware did
    # Redelivered: a duplicate; forged: refused (400); GET: 405.
    assert json.loads(call(_post(_event("evt_w1")))[2]) == {"outcome": "duplicate"}
    assert call(_post(_event("evt_w2"), secret="guess"))[0] == 400
    assert call(RequestFactory().get(reverse("waitlist:payment_webhook")))[0] == 405
    assert WebhookEvent.objects.filter(outcome="rejected").count() == 1


@pytest.mark.django_db
def test_other_paths_take_the_whole_stack(call):
    status, headers, _body = call(RequestFactory().get(reverse("login")))
    assert status == 200
    assert "Content-Security-Policy" in headers
    # Not the webhook's exact path: the ordinary way (and no such page).
    status, headers, _body = call(RequestFactory().get("/venteliste/betaling/webhook/x/"))
    assert status == 404
    assert "Content-Security-Policy" in headers

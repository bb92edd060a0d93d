"""Card payments end to end over real HTTP: the payment simulator as its own process, the
product on pytest-django's live server receiving the webhooks into its inbox, which these
tests apply by calling the inbox run (test_payments_worker.py has a real worker do it).
Lost, duplicated, delayed and reordered webhooks: every payment is applied exactly once."""

from __future__ import annotations

import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

import pytest
from django.db.models import Count

from waitlist.models import Application, Invoice, Payment, PaymentSession, WebhookEvent
from waitlist.services import payment_inbox
from waitlist.services import payments as payment_services
from waitlist.services.applicants import applicant_signup

from .conftest import data
from .fixtures_payments import *  # noqa: F403 - the simulator fixtures

pytestmark = pytest.mark.django_db(transaction=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def make_invoices(cooperation, count: int) -> list[Invoice]:
    invoices = []
    for n in range(count):
        applicant = applicant_signup(
            cooperation=cooperation,
            data=data(name=f"Ansøger {n}", cpr="", birth_date=date(1990, 1, 1)),
        )
        invoices.append(applicant.applications.get().invoices.get())
    return invoices


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def assert_each_paid_once(invoices: list[Invoice]) -> None:
    ids = [i.pk for i in invoices]
    assert Payment.objects.filter(invoice_id__in=ids).count() == len(ids)
    assert not Payment.objects.values("invoice").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Invoice.objects.filter(pk__in=ids, status="paid").count() == len(ids)
    applications = Application.objects.filter(invoices__in=ids)
    assert applications.filter(status="active", seniority_date__isnull=False).count() == len(ids)


def test_hosted_page_payment_and_webhook(cooperation, live_payment_settings, payment_simulator):
    (invoice,) = make_invoices(cooperation, 1)
    session = payment_services.payment_session_start(invoice=invoice)
    assert session.checkout_url.startswith(payment_simulator.base_url + "/pay/ps_")
    assert session.amount == invoice.amount

    page = urllib.request.urlopen(session.checkout_url, timeout=5).read().decode()  # noqa: S310
    assert "200,00 DKK" in page
    assert 'name="card_number"' in page

    opener = urllib.request.build_opener(NoRedirect)
    form = urllib.parse.urlencode({"card_number": "4000 0000 0000 0002", "action": "pay"})
    declined = opener.open(session.checkout_url, data=form.encode(), timeout=5).read().decode()
    assert "Kortet blev afvist" in declined

    form = urllib.parse.urlencode({"card_number": "4242 4242 4242 4242", "action": "pay"})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(session.checkout_url, data=form.encode(), timeout=5)
    assert redirect.value.code == 303
    location = redirect.value.headers["Location"]
    assert location.startswith(live_payment_settings.PAYMENT_CALLBACK_BASE_URL)
    assert f"session_id={session.provider_session_id}" in location

    payment_simulator.wait_idle()
    assert WebhookEvent.objects.filter(outcome="pending").count() == 2  # stored, not applied
    payment_inbox.payment_events_apply()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    session.refresh_from_db()
    assert session.status == "paid"
    assert Payment.objects.get().provider_payment_id
    outcomes = {e.payload["type"]: e.outcome for e in WebhookEvent.objects.all()}
    assert outcomes["payment.succeeded"] == "applied"
    # The declined attempt's event may arrive after the payment's (parallel deliveries).
    assert outcomes["payment.failed"] in ("applied", "ignored")

    # The return page: status from the provider, seniority date shown (Danish format).
    page = urllib.request.urlopen(location, timeout=5).read().decode()  # noqa: S310
    application = Application.objects.get(pk=invoice.application_id)
    assert "Tak for din betaling" in page
    assert application.seniority_date.strftime("%d.%m.%Y") in page
    assert Payment.objects.count() == 1


def test_lost_duplicated_delayed_reordered_webhooks_apply_each_payment_once(
    cooperation, live_payment_settings, payment_simulator
):
    invoices = make_invoices(cooperation, 24)
    sessions = [payment_services.payment_session_start(invoice=i) for i in invoices]
    payment_simulator.configure(
        webhook_loss_rate=0.3,
        webhook_duplicate_rate=0.5,
        webhook_delay_ms=5,
        webhook_jitter_ms=60,
        webhooks_paused=True,
    )
    random.seed(13)
    for session in sessions[:8]:  # a declined attempt first: a "failed" event for these
        assert payment_simulator.pay(session.provider_session_id, "4000000000000002")[
            "outcome"
        ] == ("declined")
    for session in random.sample(sessions, len(sessions)):
        assert payment_simulator.pay(session.provider_session_id)["outcome"] == "paid"
    # Release the backlog at once: four delivery threads plus jitter reorder the events.
    payment_simulator.configure(webhooks_paused=False)
    stats = payment_simulator.wait_idle()
    assert stats["webhooks_lost"] > 0
    assert stats["webhook_acknowledged"] > stats["webhooks_delivered"]  # duplicates arrived

    # Late duplicates of everything that was delivered.
    for event in payment_simulator.events():
        if event["state"] == "delivered":
            payment_simulator.redeliver(event["id"])
    payment_simulator.wait_idle()
    payment_inbox.payment_events_apply()

    # Reconciliation finds the payments whose webhook was lost.
    missing = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).exclude(status="paid")
    lost = missing.count()
    result = payment_services.payments_reconcile()
    assert result.applied == lost
    assert_each_paid_once(invoices)
    assert payment_services.payments_reconcile().applied == 0  # nothing left to do
    assert PaymentSession.objects.exclude(status="paid").count() == 0
    assert WebhookEvent.objects.filter(outcome="rejected").count() == 0


def test_webhook_retried_with_same_event_id_until_acknowledged(
    cooperation, live_payment_settings, payment_simulator, monkeypatch
):
    (invoice,) = make_invoices(cooperation, 1)
    session = payment_services.payment_session_start(invoice=invoice)
    real = payment_inbox.webhook_receive
    calls: list[str] = []

    def flaky(*, raw_body, headers):
        calls.append(headers.get("Webhook-Id"))
        if len(calls) <= 2:
            raise RuntimeError("database hiccup")  # the view answers 500
        return real(raw_body=raw_body, headers=headers)

    monkeypatch.setattr(payment_inbox, "webhook_receive", flaky)
    payment_simulator.pay(session.provider_session_id)
    payment_simulator.wait_idle()
    assert payment_inbox.payment_events_apply() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert len(calls) == 3
    assert len(set(calls)) == 1  # the same event id every time
    (event,) = payment_simulator.events()
    assert event["attempts"] == 3
    assert event["state"] == "delivered"
    assert Payment.objects.count() == 1


def test_return_page_applies_payment_when_webhook_is_lost(
    cooperation, live_payment_settings, payment_simulator, live_server
):
    (invoice,) = make_invoices(cooperation, 1)
    session = payment_services.payment_session_start(invoice=invoice)
    payment_simulator.configure(webhook_loss_rate=1)
    payment_simulator.pay(session.provider_session_id)
    url = f"{live_server.url}/venteliste/betaling/retur/?session_id={session.provider_session_id}"
    page = urllib.request.urlopen(url, timeout=5).read().decode()  # noqa: S310
    assert "Tak for din betaling" in page
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    # Unknown session ids are simply not found.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url.replace("ps_", "ps_x"), timeout=5)  # noqa: S310
    assert missing.value.code == 404
    # And the reconciliation afterwards finds nothing more to do.
    assert payment_services.payments_reconcile().applied == 0
    assert Payment.objects.count() == 1


def test_reconcile_survives_provider_down(cooperation, payment_settings, payment_simulator):
    invoices = make_invoices(cooperation, 3)
    payment_settings.PAYMENT_CALLBACK_BASE_URL = "http://127.0.0.1:9"  # webhooks go nowhere
    payment_simulator.configure(webhook_retry_base_ms=60000)
    sessions = [payment_services.payment_session_start(invoice=i) for i in invoices]
    for session in sessions:
        payment_simulator.pay(session.provider_session_id)
    payment_simulator.configure(down=True)
    result = payment_services.payments_reconcile()
    assert (result.checked, result.applied, result.errors) == (3, 0, 3)
    assert Payment.objects.count() == 0
    payment_simulator.configure(down=False)
    assert payment_services.payments_reconcile().applied == 3
    assert_each_paid_once(invoices)


def test_session_start_refusals(cooperation, payment_settings, payment_simulator):
    from core.errors import DomainError

    (invoice,) = make_invoices(cooperation, 1)
    payment_simulator.configure(down=True)
    with pytest.raises(DomainError, match="svarer ikke"):
        payment_services.payment_session_start(invoice=invoice)
    assert PaymentSession.objects.count() == 0
    payment_simulator.configure(down=False)
    Invoice.objects.filter(pk=invoice.pk).update(status="paid")
    invoice.refresh_from_db()
    with pytest.raises(DomainError, match="allerede betalt"):
        payment_services.payment_session_start(invoice=invoice)


def test_simulator_api_contract(payment_simulator):
    body = {"amount": 15000, "reference": "WL-1", "return_url": "http://127.0.0.1:1/r"}
    status, first = payment_simulator.api(
        "POST", "/v1/sessions", body, {"Idempotency-Key": "key-1"}
    )
    assert status == 201
    assert re.fullmatch(r"ps_[0-9a-f]{24}", first["id"])
    status, again = payment_simulator.api(
        "POST", "/v1/sessions", body, {"Idempotency-Key": "key-1"}
    )
    assert (status, again["id"]) == (200, first["id"])
    status, _ = payment_simulator.api(
        "POST", "/v1/sessions", {**body, "amount": 1}, {"Idempotency-Key": "key-1"}
    )
    assert status == 409
    status, errors = payment_simulator.api("POST", "/v1/sessions", {"amount": "12"})
    assert status == 422
    assert {e["field"] for e in errors["errors"]} == {"amount", "reference", "return_url"}
    assert payment_simulator.api("GET", "/v1/sessions/ps_nope")[0] == 404
    status, _ = payment_simulator.api(
        "GET", f"/v1/sessions/{first['id']}", headers={"X-Api-Key": ""}
    )
    assert status == 401
    payment_simulator.configure(error_rate=1)
    assert payment_simulator.api("GET", f"/v1/sessions/{first['id']}")[0] == 503
    payment_simulator.configure(error_rate=0)
    with pytest.raises(AssertionError):
        payment_simulator.configure(failure_rate=2)
    assert payment_simulator.pay(first["id"], "1234")["outcome"] == "invalid_card"
    payment_simulator.configure(failure_rate=1)
    assert payment_simulator.pay(first["id"])["outcome"] == "declined"
    payment_simulator.configure(failure_rate=0)
    assert payment_simulator.pay(first["id"])["outcome"] == "paid"
    assert payment_simulator.pay(first["id"])["outcome"] == "not_open"
    status, paid = payment_simulator.api("GET", f"/v1/sessions/{first['id']}")
    assert paid["status"] == "paid"
    assert paid["payment"]["amount"] == 15000
    queue = payment_simulator.control("GET", "/_sim/queue")  # the cheap poll: one figure
    assert list(queue) == ["webhooks_queued"]
    assert queue["webhooks_queued"] >= 2  # the two events above have nowhere to go


def test_simulator_keeps_sessions_and_undelivered_webhooks_across_a_restart(tmp_path):
    """SIGTERM writes the snapshot; on start, a webhook not yet acknowledged is sent."""
    import http.server
    import threading

    from .fixtures_payments import PaymentSimulator

    received: list[str] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(self.headers["Webhook-Id"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    sim = PaymentSimulator(tmp_path)
    data_file = tmp_path / "state.json"
    sim.proc.cmd[sim.proc.cmd.index("--data") + 1] = str(data_file)
    sim.start()
    try:
        sim.configure(webhooks_paused=True)
        body = {
            "amount": 20000,
            "reference": "WL-9",
            "return_url": "http://127.0.0.1:1/r",
            "webhook_url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
        }
        session = sim.api("POST", "/v1/sessions", body)[1]
        assert sim.pay(session["id"])["outcome"] == "paid"
        sim.stop()
        assert data_file.exists()
        sim.start()  # knobs are back to their defaults: deliveries run
        wait_until(lambda: len(received) == 1, timeout=10)
        assert sim.api("GET", f"/v1/sessions/{session['id']}")[1]["status"] == "paid"
        (event,) = sim.events()
        assert received == [event["id"]]
        assert event["state"] == "delivered"
    finally:
        sim.stop()
        receiver.shutdown()


def test_reconcile_checks_the_last_hour_first(cooperation, payment_settings, payment_simulator):
    """Many abandoned sessions never starve a fresh payment whose webhook was lost."""
    from datetime import timedelta

    from django.utils import timezone

    old_invoice, new_invoice = make_invoices(cooperation, 2)
    payment_settings.PAYMENT_CALLBACK_BASE_URL = "http://127.0.0.1:9"  # webhooks go nowhere
    payment_simulator.configure(webhook_retry_base_ms=60000)
    abandoned = payment_services.payment_session_start(invoice=old_invoice)
    fresh = payment_services.payment_session_start(invoice=new_invoice)
    now = timezone.now()
    PaymentSession.objects.filter(pk=abandoned.pk).update(created_at=now - timedelta(hours=5))
    PaymentSession.objects.filter(pk=fresh.pk).update(created_at=now - timedelta(minutes=10))
    payment_simulator.pay(fresh.provider_session_id)
    result = payment_services.payments_reconcile(limit=1)
    assert (result.checked, result.applied) == (1, 1)
    assert Invoice.objects.get(pk=new_invoice.pk).status == "paid"
    assert Invoice.objects.get(pk=old_invoice.pk).status == "open"

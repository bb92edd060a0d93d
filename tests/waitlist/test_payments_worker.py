"""The payment and messaging tasks in a real Celery worker process: webhooks stored by the
live server are applied by the worker the webhook view asks; a payment whose webhook was
lost is found by the reconciliation task; a queued e-mail is sent by the messaging task;
each exactly once."""

from __future__ import annotations

from datetime import date

import pytest

from waitlist.models import Invoice, Message, Payment, WebhookEvent
from waitlist.services import payments as payment_services
from waitlist.services.applicants import applicant_signup, message_queue

from .conftest import data
from .fixtures_payments import *  # noqa: F403 - the simulator and mail sink fixtures

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def payment_worker(payment_settings, payment_simulator, mail_sink, monkeypatch, request):
    """A worker whose settings (read from the environment) point at the simulators."""
    env = {
        "PAYMENT_PROVIDER_URL": payment_simulator.base_url,
        "PAYMENT_PROVIDER_API_KEY": payment_simulator.api_key,
        "PAYMENT_WEBHOOK_SECRET": payment_simulator.secret,
        "PAYMENT_RECONCILE_AFTER_SECONDS": "0",
        "SMS_GATEWAY_URL": payment_simulator.base_url + "/sms",
        "SMS_GATEWAY_API_KEY": payment_simulator.api_key,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_sink.smtp_port),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return request.getfixturevalue("celery_worker_process")


def test_reconcile_and_send_tasks_in_a_worker(
    cooperation, payment_simulator, mail_sink, payment_worker
):
    from waitlist.tasks_payments import messages_send, payments_reconcile

    applicant = applicant_signup(
        cooperation=cooperation, data=data(cpr="", birth_date=date(1990, 1, 1))
    )
    invoice = applicant.applications.get().invoices.get()
    payment_simulator.configure(webhook_loss_rate=1)  # the webhook never comes
    session = payment_services.payment_session_start(invoice=invoice)
    assert payment_simulator.pay(session.provider_session_id)["outcome"] == "paid"
    message_queue(
        applicant=applicant, kind="info", subject="Velkommen", body="Hej", dedup_key="w:1"
    )

    payments_reconcile.delay()
    messages_send.delay()
    payments_reconcile.delay()  # a second run finds nothing more
    payment_worker.wait_for(
        lambda: (
            Invoice.objects.get(pk=invoice.pk).status == "paid"
            and Message.objects.filter(status="sent").count() == 1
        )
    )
    messages_send.delay()
    payment_worker.wait_for(lambda: len(mail_sink.messages()) >= 1)
    import time

    time.sleep(1)  # let the last tasks finish
    assert Payment.objects.count() == 1
    assert len(mail_sink.messages()) == 1


def test_webhooks_are_applied_by_the_worker(
    cooperation, live_payment_settings, payment_simulator, payment_worker
):
    invoices = [
        applicant_signup(
            cooperation=cooperation,
            data=data(name=f"Ansøger {n}", cpr="", birth_date=date(1990, 1, 1)),
        )
        .applications.get()
        .invoices.get()
        for n in range(6)
    ]
    payment_simulator.configure(webhook_duplicate_rate=0.5, webhook_jitter_ms=40)
    for invoice in invoices:
        session = payment_services.payment_session_start(invoice=invoice)
        assert payment_simulator.pay(session.provider_session_id)["outcome"] == "paid"
    ids = [i.pk for i in invoices]
    # Nobody calls the inbox run here: the webhook view asked the worker to.
    payment_worker.wait_for(
        lambda: Invoice.objects.filter(pk__in=ids, status="paid").count() == len(ids)
    )
    payment_simulator.wait_idle()
    payment_worker.wait_for(lambda: not WebhookEvent.objects.filter(outcome="pending").exists())
    assert Payment.objects.filter(invoice_id__in=ids).count() == len(ids)
    assert set(WebhookEvent.objects.values_list("outcome", flat=True)) == {"applied"}

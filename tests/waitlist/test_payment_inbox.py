"""The payment webhook inbox: a batch of stored events is applied set-based, each payment
exactly once, whatever else the batch holds (duplicates, late "failed", a session we never
stored, a bad event); the statements per batch do not grow with the batch; the request to
apply is throttled but never leaves an event behind."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from waitlist.models import Application, Invoice, Payment, PaymentSession, WebhookEvent
from waitlist.services import payment_inbox
from waitlist.services.applicants import applicant_signup
from waitlist.services.fees import invoices_mark_paid
from waitlist.services.payment_inbox import payment_events_apply

from .conftest import data
from .test_payments import event_body, post


@pytest.fixture(autouse=True)
def signed(settings):
    settings.PAYMENT_WEBHOOK_SECRET = "unit-secret"
    settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300


def sessions(cooperation, count: int, start: int = 0) -> list[PaymentSession]:
    out = []
    for n in range(start, start + count):
        applicant = applicant_signup(
            cooperation=cooperation,
            data=data(name=f"Ansøger {n}", cpr="", birth_date=date(1990, 1, 1)),
            today=date(2025, 3, 10),
        )
        invoice = applicant.applications.get().invoices.get()
        out.append(
            PaymentSession.objects.create(
                applicant=applicant,
                invoice=invoice,
                amount=invoice.amount,
                provider_session_id=f"ps_{n}",
                checkout_url="http://127.0.0.1:8103/pay/x",
            )
        )
    return out


def outcomes() -> dict[str, str]:
    return dict(WebhookEvent.objects.values_list("event_id", "outcome"))


def test_a_mixed_batch_applies_each_payment_once(client, cooperation):
    paid = sessions(cooperation, 5)
    for n, session in enumerate(paid):
        assert post(client, event_body(f"evt_{n}", "payment.succeeded", session)).status_code == 200
    # In the same batch: the same payment under a second event id, a late "failed" for a
    # paid session, an event type we do not handle, and a session we never stored (its
    # create answer was lost) but ours by its metadata.
    post(client, event_body("evt_again", "payment.succeeded", paid[0]))
    post(client, event_body("evt_late", "payment.failed", paid[1], status="open"))
    post(client, event_body("evt_other", "session.updated", paid[2]))
    (ghost,) = sessions(cooperation, 1, start=50)
    ghost.delete()
    post(client, event_body("evt_ghost", "payment.succeeded", ghost))
    assert set(outcomes().values()) == {"pending"}
    assert Payment.objects.count() == 0

    assert payment_events_apply() == 9
    assert outcomes() == {
        **{f"evt_{n}": "applied" for n in range(5)},
        "evt_again": "duplicate",
        "evt_late": "ignored",
        "evt_other": "ignored",
        "evt_ghost": "applied",
    }
    assert Payment.objects.count() == 6
    assert Invoice.objects.filter(status="paid").count() == 6
    assert PaymentSession.objects.filter(status="paid").count() == 6
    assert (
        Application.objects.filter(status="active", seniority_date=date(2025, 3, 12)).count() == 6
    )
    assert payment_events_apply() == 0  # a second run finds nothing to do
    assert Payment.objects.count() == 6


def _statements(client, cooperation, count: int, start: int) -> int:
    for session in sessions(cooperation, count, start=start):
        post(client, event_body(f"evt_{session.pk}", "payment.succeeded", session))
    with CaptureQueriesContext(connection) as ctx:
        assert payment_events_apply() == count
    return len(ctx.captured_queries)


def test_statements_per_batch_do_not_grow_with_the_batch(client, cooperation):
    few = _statements(client, cooperation, 3, start=0)
    many = _statements(client, cooperation, 30, start=100)
    assert few == many, (few, many)
    assert Invoice.objects.filter(status="paid").count() == 33


def test_signup_and_renewal_of_one_application_in_one_batch(cooperation):
    (session,) = sessions(cooperation, 1)
    signup = session.invoice
    renewal = Invoice.objects.create(
        applicant=signup.applicant,
        application=signup.application,
        kind=Invoice.Kind.RENEWAL,
        amount=signup.amount,
        due_date=date(2026, 3, 1),
        period_end=date(2027, 3, 12),
    )
    payments = Payment.objects.bulk_create(
        Payment(
            applicant=signup.applicant,
            invoice=invoice,
            amount=invoice.amount,
            paid_on=date(2025, 3, 12),
            method=Payment.Method.CARD,
            provider_payment_id=f"pay_{invoice.pk}",
        )
        for invoice in (signup, renewal)
    )
    invoices_mark_paid(payments)
    application = Application.objects.get(pk=signup.application_id)
    assert application.seniority_date == date(2025, 3, 12)
    assert application.paid_until == date(2027, 3, 12)  # both invoices counted
    assert Invoice.objects.filter(status="paid").count() == 2


def test_a_failing_event_is_set_aside_and_the_rest_applied(client, cooperation, monkeypatch):
    paid = sessions(cooperation, 3)
    for n, session in enumerate(paid):
        post(client, event_body(f"evt_{n}", "payment.succeeded", session))
    real = payment_inbox.invoices_mark_paid

    def broken_for_one(payments):
        if any(p.provider_payment_id == "pay_ps_1" for p in payments):
            raise RuntimeError("disk full")
        return real(payments)

    monkeypatch.setattr(payment_inbox, "invoices_mark_paid", broken_for_one)
    assert payment_events_apply() == 3
    assert outcomes() == {"evt_0": "applied", "evt_1": "failed", "evt_2": "applied"}
    assert "RuntimeError: disk full" in WebhookEvent.objects.get(event_id="evt_1").error
    # Nothing of the failed event was half-applied; the reconciliation asks the provider.
    assert not Payment.objects.filter(provider_payment_id="pay_ps_1").exists()
    assert PaymentSession.objects.get(provider_session_id="ps_1").status == "created"


@pytest.mark.django_db
def test_the_request_to_apply_is_throttled_but_covers_every_event(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENT_INBOX_KICK_SECONDS = 0.5
    sent: list[tuple[float, float]] = []
    clock = [1000.0]
    monkeypatch.setattr(payment_inbox, "_next_kick", 0.0)
    monkeypatch.setattr(payment_inbox, "_delayed_until", 0.0)
    monkeypatch.setattr(payment_inbox.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(payment_inbox, "_enqueue_apply", lambda c: sent.append((clock[0], c)))

    for step in range(30):  # a webhook every 0.05 s for 1.5 s
        clock[0] = 1000.0 + step * 0.05
        with django_capture_on_commit_callbacks(execute=True):
            payment_inbox.schedule_apply()
        # Some request runs at or after this event was stored.
        assert any(at + countdown >= clock[0] for at, countdown in sent)
    assert len(sent) <= 7, sent  # not one per webhook
    assert sent[0] == (1000.0, 0.0)  # the first is sent at once


def test_webhook_body_is_stored_as_sent(client, cooperation):
    (session,) = sessions(cooperation, 1)
    body = event_body("evt_keep", "payment.succeeded", session)
    assert post(client, body).json() == {"outcome": "received"}
    assert WebhookEvent.objects.get().payload == json.loads(body)

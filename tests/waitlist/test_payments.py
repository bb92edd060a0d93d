"""Payments on the product side without the simulator: signature checks, the webhook
endpoint with hand-signed events (duplicates, late and out-of-order events, forged and
malformed ones), the inbox that applies them, bank transfers."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from waitlist.models import Invoice, Payment, PaymentSession, WebhookEvent
from waitlist.payments import SignatureError, sign, verify_signature
from waitlist.services.applicants import applicant_signup
from waitlist.services.payment_inbox import payment_events_apply
from waitlist.services.payments import payment_register_bank_transfer

from .conftest import data

SECRET = "unit-secret"
TODAY = date(2025, 3, 10)


def test_signature_checks():
    body = b'{"id":"evt_1"}'
    now = 1_700_000_000
    header = sign(SECRET, now, body)
    verify_signature(raw_body=body, header=header, secret=SECRET, tolerance=300, now=now + 10)
    # Rotated signatures: any matching v1 passes.
    verify_signature(raw_body=body, header=header + ",v1=00", secret=SECRET, tolerance=300, now=now)
    bad = [
        (body + b" ", header, now),  # body changed after signing (even whitespace)
        (body, sign("other", now, body), now),  # wrong secret
        (body, header, now + 301),  # too old (replayed)
        (body, header, now - 301),  # from the future
        (body, None, now),
        (body, "v1=abc", now),
        (body, "t=notanumber,v1=abc", now),
        (body, f"t={now}", now),
    ]
    for raw, head, at in bad:
        with pytest.raises(SignatureError):
            verify_signature(raw_body=raw, header=head, secret=SECRET, tolerance=300, now=at)


@pytest.fixture
def signup_invoice(cooperation):
    applicant = applicant_signup(cooperation=cooperation, data=data(), today=TODAY)
    return applicant.applications.get().invoices.get()


@pytest.fixture
def session(signup_invoice):
    return PaymentSession.objects.create(
        applicant=signup_invoice.applicant,
        invoice=signup_invoice,
        amount=signup_invoice.amount,
        provider_session_id="ps_test1",
        checkout_url="http://127.0.0.1:8103/pay/ps_test1",
    )


def event_body(event_id, kind, session, *, status="paid", paid_at="2025-03-12T10:00:00+00:00"):
    payment = None
    if status == "paid":
        payment = {
            "id": f"pay_{session.provider_session_id}",
            "amount": int(session.amount * 100),
            "currency": "DKK",
            "paid_at": paid_at,
            "method": "card",
            "card_last4": "4242",
        }
    return json.dumps(
        {
            "id": event_id,
            "type": kind,
            "created": paid_at,
            "data": {
                "session": {
                    "id": session.provider_session_id,
                    "status": status,
                    "amount": int(session.amount * 100),
                    "currency": "DKK",
                    "reference": f"WL-{session.invoice_id}",
                    "metadata": {"invoice_id": session.invoice_id},
                    "payment": payment,
                }
            },
        }
    ).encode()


def post(client, body, *, secret=SECRET, event_id="evt", header=None):
    headers = {
        "HTTP_WEBHOOK_SIGNATURE": header or sign(secret, int(time.time()), body),
        "HTTP_WEBHOOK_ID": event_id,
    }
    return client.post(
        reverse("waitlist:payment_webhook"), data=body, content_type="application/json", **headers
    )


def deliver(client, body, **kwargs) -> str:
    """Post one event and run the inbox; the event's outcome (or the answer if not stored)."""
    answer = post(client, body, **kwargs).json()["outcome"]
    payment_events_apply()
    if answer != "received":
        return answer
    return WebhookEvent.objects.get(event_id=json.loads(body)["id"]).outcome


@pytest.fixture
def signed(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET
    settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300


def test_webhook_applies_payment_once_and_sets_seniority(client, session, signed):
    body = event_body("evt_1", "payment.succeeded", session)
    first = post(client, body)
    assert first.status_code == 200, first.content
    assert first.json() == {"outcome": "received"}  # stored in the inbox, not yet applied
    assert Payment.objects.count() == 0
    assert WebhookEvent.objects.get().outcome == "pending"
    assert payment_events_apply() == 1
    assert WebhookEvent.objects.get().outcome == "applied"
    assert post(client, body).json() == {"outcome": "duplicate"}  # same event redelivered
    assert payment_events_apply() == 0
    # Another event carrying the same payment (e.g. a provider-side resend) changes nothing.
    assert deliver(client, event_body("evt_2", "payment.succeeded", session)) == "duplicate"
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.provider_payment_id == "pay_ps_test1"
    assert payment.amount == session.amount
    invoice = Invoice.objects.get(pk=session.invoice_id)
    assert invoice.status == "paid"
    application = invoice.application
    application.refresh_from_db()
    assert application.seniority_date == date(2025, 3, 12)
    assert application.status == "active"
    session.refresh_from_db()
    assert session.status == "paid"
    assert set(WebhookEvent.objects.values_list("event_id", "outcome")) == {
        ("evt_1", "applied"),
        ("evt_2", "duplicate"),
    }


def test_late_failed_event_after_payment_is_ignored(client, session, signed):
    paid = event_body("evt_paid", "payment.succeeded", session)
    failed = event_body("evt_failed", "payment.failed", session, status="open")
    assert deliver(client, paid) == "applied"
    assert deliver(client, failed) == "ignored"
    session.refresh_from_db()
    assert session.status == "paid"
    assert Invoice.objects.get(pk=session.invoice_id).status == "paid"


def test_failed_then_paid_out_of_order(client, session, signed):
    failed = event_body("evt_failed", "payment.failed", session, status="open")
    assert deliver(client, failed) == "applied"
    session.refresh_from_db()
    assert session.status == "failed"
    assert deliver(client, event_body("evt_paid", "payment.succeeded", session)) == "applied"
    session.refresh_from_db()
    assert session.status == "paid"
    assert Payment.objects.count() == 1


def test_payment_date_is_the_danish_date(client, session, signed):
    """23:30 UTC on 11 March is 00:30 on 12 March in Copenhagen: the seniority date is 12."""
    body = event_body(
        "evt_midnight", "payment.succeeded", session, paid_at="2025-03-11T23:30:00+00:00"
    )
    assert deliver(client, body) == "applied"
    application = Invoice.objects.get(pk=session.invoice_id).application
    assert application.seniority_date == date(2025, 3, 12)
    assert Payment.objects.get().paid_on == date(2025, 3, 12)


@pytest.mark.parametrize(
    "case",
    ["wrong_secret", "tampered", "stale", "no_header", "not_json", "no_session", "not_post"],
)
def test_forged_or_malformed_webhooks_are_refused_and_apply_nothing(
    client, session, signed, case, caplog
):
    body = event_body("evt_x", "payment.succeeded", session)
    if case == "wrong_secret":
        response = post(client, body, secret="guessed")
    elif case == "tampered":
        header = sign(SECRET, int(time.time()), body)
        response = post(client, body.replace(b'"amount": 20000', b'"amount": 1'), header=header)
    elif case == "stale":
        response = post(client, body, header=sign(SECRET, int(time.time()) - 3600, body))
    elif case == "no_header":
        response = client.post(
            reverse("waitlist:payment_webhook"), data=body, content_type="application/json"
        )
    elif case == "not_json":
        response = post(client, b"{not json")
    elif case == "no_session":
        response = post(client, json.dumps({"id": "evt_y", "type": "x", "data": {}}).encode())
    else:
        response = client.get(reverse("waitlist:payment_webhook"))
    if case == "not_post":
        assert response.status_code == 405
    else:
        assert response.status_code == 400
        assert "payment webhook refused" in caplog.text
        assert WebhookEvent.objects.get().outcome == "rejected"
    assert Payment.objects.count() == 0
    assert Invoice.objects.get(pk=session.invoice_id).status == "open"
    # A forged event never takes the real event's id: the genuine delivery still applies.
    assert deliver(client, body, event_id="evt_x") == "applied"


def test_unknown_event_type_and_unknown_session_are_acknowledged(client, session, signed):
    body = event_body("evt_other", "session.updated", session)
    assert deliver(client, body) == "ignored"
    session.provider_session_id = "ps_nobody"
    stranger = json.loads(event_body("evt_s", "payment.succeeded", session))
    stranger["data"]["session"]["metadata"] = {}
    assert deliver(client, json.dumps(stranger).encode()) == "ignored"
    assert Payment.objects.count() == 0


def test_session_unknown_to_us_but_ours_by_metadata_is_stored_and_applied(
    client, signup_invoice, signed
):
    """Our create call's answer was lost: the provider's session exists, ours does not."""
    ghost = PaymentSession(
        invoice=signup_invoice, amount=signup_invoice.amount, provider_session_id="ps_lost"
    )
    assert deliver(client, event_body("evt_g", "payment.succeeded", ghost)) == "applied"
    assert PaymentSession.objects.get(provider_session_id="ps_lost").status == "paid"
    assert Invoice.objects.get(pk=signup_invoice.pk).status == "paid"


def test_bank_transfer_by_caseworker(signup_invoice, caseworker):
    paid_on = timezone.localdate() - timedelta(days=2)
    payment = payment_register_bank_transfer(
        invoice=signup_invoice,
        amount=signup_invoice.amount,
        paid_on=paid_on,
        actor=caseworker,
        note="Reg. 1234 konto 5678",
    )
    assert payment.method == "bank_transfer"
    assert payment.registered_by == caseworker
    signup_invoice.refresh_from_db()
    assert signup_invoice.status == "paid"
    application = signup_invoice.application
    application.refresh_from_db()
    assert application.seniority_date == paid_on
    assert signup_invoice.applicant.events.filter(kind="payment_registered").exists()
    with pytest.raises(DomainError, match="allerede betalt"):
        payment_register_bank_transfer(
            invoice=signup_invoice, amount=Decimal("1"), paid_on=paid_on, actor=caseworker
        )
    assert Payment.objects.count() == 1


def test_bank_transfer_refusals(signup_invoice, caseworker):
    for amount, paid_on, message in (
        (Decimal("0"), timezone.localdate(), "større end 0"),
        (Decimal("10"), timezone.localdate() + timedelta(days=1), "fremtiden"),
    ):
        with pytest.raises(DomainError, match=message):
            payment_register_bank_transfer(
                invoice=signup_invoice, amount=amount, paid_on=paid_on, actor=caseworker
            )
    Invoice.objects.filter(pk=signup_invoice.pk).update(status="cancelled")
    with pytest.raises(DomainError, match="annulleret"):
        payment_register_bank_transfer(
            invoice=signup_invoice,
            amount=Decimal("10"),
            paid_on=timezone.localdate(),
            actor=caseworker,
        )
    assert Payment.objects.count() == 0


def test_partial_bank_transfers_add_up(signup_invoice, caseworker):
    half = signup_invoice.amount / 2
    payment_register_bank_transfer(
        invoice=signup_invoice, amount=half, paid_on=timezone.localdate(), actor=caseworker
    )
    signup_invoice.refresh_from_db()
    assert signup_invoice.status == "open"
    payment_register_bank_transfer(
        invoice=signup_invoice, amount=half, paid_on=timezone.localdate(), actor=caseworker
    )
    signup_invoice.refresh_from_db()
    assert signup_invoice.status == "paid"

"""The nightly run killed midway (simulated by a BaseException, which nothing catches, in
the middle of a chunk or a row) and run again: every row done exactly once, nothing sent
twice, nobody deleted wrongly. tests/waitlist/test_nightly_worker.py kills a real worker."""

from datetime import date

import pytest

from waitlist.models import Application, Invoice, Message, Payment
from waitlist.services import nightly
from waitlist.services.applicants import applicant_signup
from waitlist.services.fees import invoice_mark_paid

from .conftest import data

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    pass


def _family(cooperation, k, paid_on):
    applicant = applicant_signup(
        cooperation=cooperation,
        data=data(cpr=f"0101{80 + k:02d}-{2000 + k}", name=f"P{k}"),
        today=paid_on,
    )
    invoice = applicant.invoices.get()
    payment = Payment.objects.create(
        applicant=applicant, amount=invoice.amount, paid_on=paid_on, method="card"
    )
    invoice_mark_paid(invoice=invoice, payment=payment)
    return applicant


def test_killed_midway_then_rerun_sends_nothing_twice(cooperation, monkeypatch, settings):
    settings.WAITLIST_NIGHTLY_CHUNK = 2
    for k in range(6):
        _family(cooperation, k, date(2024, 3, 1 + k))
    real_flush = nightly._Outbox.flush
    flushes = {"n": 0}

    def dying_flush(self):
        flushes["n"] += 1
        if flushes["n"] == 2:  # in the middle of the second chunk's transaction
            raise Killed
        return real_flush(self)

    monkeypatch.setattr(nightly._Outbox, "flush", dying_flush)
    with pytest.raises(Killed):
        nightly.nightly_run(today=date(2025, 2, 20))
    assert Invoice.objects.filter(kind="renewal").count() == 2  # the 2nd chunk rolled back
    assert Message.objects.filter(kind="renewal_invoice").count() == 2
    monkeypatch.setattr(nightly._Outbox, "flush", real_flush)
    result = nightly.nightly_run(today=date(2025, 2, 20))
    assert result.renewal_invoices == 4
    assert nightly.nightly_run(today=date(2025, 2, 20)).renewal_invoices == 0
    assert Invoice.objects.filter(kind="renewal").count() == 6
    assert Message.objects.filter(kind="renewal_invoice").count() == 6
    # Pay one renewal; the reminder run is killed midway, then rerun: reminders once each,
    # the payer never reminded; deletions after the deadline spare the payer.
    paid = Invoice.objects.filter(kind="renewal").order_by("pk").first()
    payment = Payment.objects.create(
        applicant=paid.applicant, amount=paid.amount, paid_on=date(2025, 2, 25), method="card"
    )
    invoice_mark_paid(invoice=paid, payment=payment)
    flushes["n"] = 0
    monkeypatch.setattr(nightly._Outbox, "flush", dying_flush)
    with pytest.raises(Killed):
        nightly.nightly_run(today=date(2025, 3, 10))
    assert Message.objects.filter(kind="reminder").count() == 2
    monkeypatch.setattr(nightly._Outbox, "flush", real_flush)
    nightly.nightly_run(today=date(2025, 3, 10))
    nightly.nightly_run(today=date(2025, 3, 10))
    assert Message.objects.filter(kind="reminder").count() == 5
    flushes["n"] = 0
    monkeypatch.setattr(nightly._Outbox, "flush", dying_flush)
    with pytest.raises(Killed):
        nightly.nightly_run(today=date(2025, 3, 25))
    assert Application.objects.filter(status="deleted").count() == 2  # first chunk only
    assert Message.objects.filter(kind="deleted").count() == 2
    monkeypatch.setattr(nightly._Outbox, "flush", real_flush)
    nightly.nightly_run(today=date(2025, 3, 25))
    assert Message.objects.filter(kind="deleted").count() == 5
    assert Application.objects.filter(status="deleted").count() == 5
    survivor = Application.objects.get(applicant=paid.applicant)
    assert survivor.status == "active"
    assert survivor.seniority_date is not None

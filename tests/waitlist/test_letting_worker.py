"""Letting over real processes (issue 14): the offer e-mail goes over SMTP to the mail sink
and the SMS to the SMS gateway simulator; the deadline task runs in a real Celery worker,
lapses the unanswered offers, starts the next round by itself, and does nothing twice."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from waitlist.models import Applicant, Message, Offer, OfferRound
from waitlist.services import letting as svc

from .fixtures_payments import (  # noqa: F401 - fixtures
    mail_sink,
    mail_sink_process,
    payment_settings,
    payment_simulator,
    payment_simulator_process,
)
from .letting_fixtures import RENT, applicant_on_list, list_unit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_offer_mail_and_sms_over_the_wire(
    unit,
    cooperation,
    payment_settings,  # noqa: F811
    payment_simulator,  # noqa: F811
    mail_sink,  # noqa: F811
):
    list_unit(unit)
    app = applicant_on_list(cooperation, seniority=date(2010, 1, 1), email="sms@example.dk")
    Applicant.objects.filter(pk=app.applicant_id).update(sms_opt_in=True, phone="20304050")
    vacancy = svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    svc.round_start(vacancy=vacancy)
    messages = Message.objects.filter(kind="offer")
    assert {m.channel: m.status for m in messages} == {"email": "sent", "sms": "sent"}
    mails = mail_sink.messages()
    assert len(mails) == 1
    assert "boligtilbud" in str(mails[0]).lower()
    assert any("20304050" in str(sms) for sms in payment_simulator.sms())


def test_deadline_task_in_a_worker(unit, cooperation, request):
    list_unit(unit)
    for i in range(4):
        applicant_on_list(cooperation, seniority=date(2010, 1, 1) + timedelta(days=i), email="")
    vacancy = svc.vacancy_create(unit=unit, move_in_date=date(2027, 1, 1), rent=RENT)
    first = svc.round_start(vacancy=vacancy)
    past = first.deadline - timedelta(days=30)
    OfferRound.objects.filter(pk=first.pk).update(deadline=past)
    Offer.objects.filter(round=first).update(deadline=past)
    worker = request.getfixturevalue("celery_worker_process")
    from waitlist.tasks_letting import letting_rounds_due

    letting_rounds_due.delay()
    letting_rounds_due.delay()  # a duplicate delivery does nothing more
    worker.wait_for(lambda: OfferRound.objects.filter(vacancy=vacancy, number=2).exists())
    time.sleep(1)  # let the duplicate finish
    assert OfferRound.objects.filter(vacancy=vacancy).count() == 2
    assert set(first.offers.values_list("status", flat=True)) == {Offer.Status.LAPSED}
    second = OfferRound.objects.get(vacancy=vacancy, number=2)
    assert second.offers.count() == 1  # the one applicant not offered before

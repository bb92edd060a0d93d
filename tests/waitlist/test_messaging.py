"""Messages over real SMTP (the mail sink process) and the SMS gateway (the payment
simulator process); letters rendered to PDF in print batches staff download."""

from __future__ import annotations

import re
import socket
from datetime import date

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OrganisationFactory
from waitlist.letters import print_batch_create, render_letters_pdf
from waitlist.messaging import message_send, messages_send_queued
from waitlist.models import Message, PrintBatch
from waitlist.services.applicants import applicant_signup, message_queue

from .conftest import data
from .fixtures_payments import *  # noqa: F403 - the simulator and mail sink fixtures

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """message_send as after a commit (the test runs inside a transaction)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            messages = message_send(**kwargs)
        for message in messages:
            message.refresh_from_db()
        return messages

    return run


def signup(cooperation, **overrides):
    return applicant_signup(cooperation=cooperation, data=data(**overrides), today=TODAY)


def test_email_and_sms_sent_and_recorded(cooperation, mail_sink, payment_settings, send):
    applicant = signup(cooperation, sms_opt_in=True, phone="+45 12 34 56 78")
    messages = send(
        applicant=applicant,
        kind="reminder",
        subject="Rykker: ajourføringsgebyr – betal senest 20.03.2025",
        body="Hej Anna\n\nDit gebyr på 150,00 kr. er ikke betalt.",
    )
    assert sorted(m.channel for m in messages) == ["email", "sms"]
    assert {m.status for m in messages} == {"sent"}
    email = next(m for m in messages if m.channel == "email")
    sms = next(m for m in messages if m.channel == "sms")
    (received,) = mail_sink.messages()
    assert received["rcpt_tos"] == ["anna@example.dk"]
    assert received["subject"] == "Rykker: ajourføringsgebyr – betal senest 20.03.2025"
    assert "150,00 kr." in received["text"]
    assert received["message_id"] == email.external_id
    (text,) = payment_settings_sms(payment_settings)
    assert text["id"] == sms.external_id
    assert text["to"] == "+4512345678"
    assert text["text"].startswith("Rykker:")
    assert Message.objects.filter(applicant=applicant, status="sent").count() == 2


def payment_settings_sms(settings):
    import json
    import urllib.request

    base = settings.SMS_GATEWAY_URL.rsplit("/sms", 1)[0]
    with urllib.request.urlopen(base + "/_sim/sms", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())["messages"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failures_are_recorded_not_raised(cooperation, mail_sink, payment_settings, send):
    applicant = signup(cooperation, sms_opt_in=True)
    payment_settings.EMAIL_PORT = closed_port()  # the SMTP server is not there
    payment_settings.SMS_GATEWAY_API_KEY = "wrong"  # the gateway refuses
    messages = send(applicant=applicant, kind="info", subject="Hej", body="Tekst")
    assert {m.status for m in messages} == {"failed"}
    assert mail_sink.messages() == []


def test_sms_gateway_failure_knob(
    cooperation, payment_settings, payment_simulator, mail_sink, send
):
    applicant = signup(cooperation, sms_opt_in=True)
    payment_simulator.configure(sms_failure_rate=1)
    messages = send(applicant=applicant, kind="info", subject="Hej", body="Tekst")
    statuses = {m.channel: m.status for m in messages}
    assert statuses == {"email": "sent", "sms": "failed"}


def test_queued_messages_sent_once_by_the_periodic_task(cooperation, mail_sink, payment_settings):
    applicant = signup(cooperation)
    queued = message_queue(
        applicant=applicant, kind="renewal", subject="Faktura", body="Betal", dedup_key="r:1"
    )
    assert [m.status for m in queued] == ["queued"]
    assert messages_send_queued() == {"sent": 1, "failed": 0, "skipped": 0}
    assert messages_send_queued() == {"sent": 0, "failed": 0, "skipped": 0}
    assert len(mail_sink.messages()) == 1
    # The same dedup key never makes a second message.
    assert (
        message_queue(applicant=applicant, kind="renewal", subject="x", body="y", dedup_key="r:1")
        == []
    )


def test_letters_collected_in_a_print_batch(
    cooperation, caseworker, client, tmp_path, settings, send
):
    settings.MEDIA_ROOT = tmp_path
    letter_people = [
        signup(
            cooperation,
            name=f"Brev {n}",
            cpr="",
            birth_date=date(1980, 1, 1),
            email="",
            channel="letter",
        )
        for n in range(3)
    ]
    for applicant in letter_people:
        messages = send(
            applicant=applicant,
            kind="reminder",
            subject="Rykker – ajourføring",
            body="Kære ansøger\n\nBetal venligst inden 10 dage. “Tak” … €",
        )
        assert [(m.channel, m.status) for m in messages] == [("letter", "queued")]
        assert messages[0].to_address == "Nygade 1, 7400 Herning"
    batch = print_batch_create(cooperation=cooperation, actor=caseworker)
    assert batch is not None
    assert batch.letter_count == 3
    assert batch.created_by == caseworker
    content = batch.file.read()
    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", content)) == 3  # one page per letter
    assert set(Message.objects.values_list("status", "print_batch")) == {("sent", batch.pk)}
    assert print_batch_create(cooperation=cooperation, actor=caseworker) is None  # nothing twice

    client.force_login(caseworker)
    response = client.get(reverse("waitlist:print_batch_download", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    outsider = MembershipFactory(organisation=OrganisationFactory(name="Udenfor")).user
    client.force_login(outsider)
    response = client.get(reverse("waitlist:print_batch_download", args=[batch.pk]))
    assert response.status_code == 404
    client.logout()
    response = client.get(reverse("waitlist:print_batch_download", args=[batch.pk]))
    assert response.status_code == 302
    assert PrintBatch.objects.count() == 1


def test_pdf_renders_any_text():
    class Fake:
        pk = 1
        kind = "info"
        subject = "Emne med 日本 og emoji 🙂"
        body = "Linje\n" * 200  # more than one page
        to_address = "Vej 1, 1000 By"

        class applicant:
            name = "Åse Ørsted"

    pdf = render_letters_pdf([Fake()], sender="Lejehuset")
    assert pdf.startswith(b"%PDF")


def test_print_batch_screen(cooperation, caseworker, client, tmp_path, settings, send):
    settings.MEDIA_ROOT = tmp_path
    applicant = signup(cooperation, cpr="", birth_date=date(1980, 1, 1), email="", channel="letter")
    send(applicant=applicant, kind="info", subject="Brev", body="Tekst")
    client.force_login(caseworker)
    url = reverse("waitlist:print_batch_list")
    page = client.get(url).content.decode()
    assert "Lejehuset" in page
    assert "Dan printbatch" in page
    response = client.post(url, {"cooperation": cooperation.pk}, follow=True)
    assert "Printbatch med 1 breve er dannet." in response.content.decode()
    batch = PrintBatch.objects.get()
    assert reverse("waitlist:print_batch_download", args=[batch.pk]) in response.content.decode()
    assert "Dan printbatch" not in response.content.decode()  # nothing left to print
    xlsx = client.get(url, {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.post(url, {"cooperation": "999999"}).status_code == 404
    outsider = MembershipFactory(organisation=OrganisationFactory(name="Udenfor")).user
    client.force_login(outsider)
    assert "Ingen printbatches endnu." in client.get(url).content.decode()
    assert client.post(url, {"cooperation": cooperation.pk}).status_code == 404

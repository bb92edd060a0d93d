"""The public contact form (issue 15): Danish, CSRF-protected, throttled, a honeypot; the
enquiry is deleted after six months or at once through the signed withdrawal link, which
carries no personal data."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gdpr.models import ContactEnquiry
from gdpr.subject import contact
from tenancy.history import history_for
from tests.security.conftest import verified_client

pytestmark = pytest.mark.django_db


def _data(organisation, **extra):
    return {
        "organisation": organisation.pk,
        "name": "Ida Interesseret",
        "email": "ida@example.dk",
        "phone": "12345678",
        "home": "Strandvejen 1, 2. th",
        "message": "Kan jeg se den på tirsdag?",
        "consent": "on",
        **extra,
    }


def test_anonymous_visitor_sends_an_enquiry_and_gets_a_receipt(
    organisation, django_capture_on_commit_callbacks
):
    client = Client()
    page = client.get(reverse("gdpr:contact_form") + f"?udlejer={organisation.pk}")
    assert page.status_code == 200
    assert "Fremvisning af bolig" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gdpr:contact_form"), _data(organisation))
    assert response.status_code == 302
    enquiry = ContactEnquiry.objects.get()
    assert (enquiry.name, enquiry.organisation) == ("Ida Interesseret", organisation)
    (receipt,) = mail.outbox
    assert receipt.to == ["ida@example.dk"]
    link = next(line for line in receipt.body.splitlines() if "/kontakt/tilbagekald/" in line)
    # the link names no personal data
    for value in ("Ida", "ida@example.dk", "12345678", "Strandvejen"):
        assert value not in link
    # the history keeps no personal data either
    assert "Ida" not in str(history_for(enquiry).get().after)

    path = link[link.index("/gdpr/") :]
    assert "Slet mine oplysninger" in client.get(path).content.decode()
    done = client.post(path)
    assert "slettet" in done.content.decode()
    assert not ContactEnquiry.objects.exists()
    assert client.post(path).status_code == 200  # twice is fine


def test_consent_is_required_and_bad_links_are_refused(organisation):
    client = Client()
    response = client.post(reverse("gdpr:contact_form"), _data(organisation, consent=""))
    assert response.status_code == 200
    assert not ContactEnquiry.objects.exists()
    bad = client.get(reverse("gdpr:contact_withdraw", args=["forfalsket"]))
    assert bad.status_code == 400
    assert "ikke gyldigt" in bad.content.decode()


def test_csrf_is_enforced(organisation):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("gdpr:contact_form"), _data(organisation))
    assert response.status_code == 403
    assert not ContactEnquiry.objects.exists()


def test_honeypot_and_rate_limit(organisation, settings):
    client = Client()
    client.post(reverse("gdpr:contact_form"), _data(organisation, website="http://spam"))
    assert not ContactEnquiry.objects.exists()
    settings.CONTACT_FORM_RATE = "2/h"
    for _ in range(2):
        assert client.post(reverse("gdpr:contact_form"), _data(organisation)).status_code == 302
    refused = client.post(reverse("gdpr:contact_form"), _data(organisation))
    assert refused.status_code == 200
    assert "mange henvendelser" in refused.content.decode()
    assert ContactEnquiry.objects.count() == 2


def test_enquiries_are_deleted_after_six_months_by_the_retention_run(organisation):
    from gdpr.retention import services as retention

    old = contact.enquiry_submit(organisation=organisation, name="Gammel", email="g@x.dk", home="A")
    new = contact.enquiry_submit(organisation=organisation, name="Ny", email="n@x.dk", home="B")
    ContactEnquiry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=190))
    run = retention.run_process(run_id=retention.run_create(organisation=organisation).pk)
    assert run.counts["contact_enquiries"] == 1
    assert list(ContactEnquiry.objects.values_list("pk", flat=True)) == [new.pk]
    again = retention.run_process(run_id=retention.run_create(organisation=organisation).pk)
    assert again.counts.get("contact_enquiries", 0) == 0  # idempotent


def test_caseworkers_see_their_organisations_enquiries(
    organisation, other_organisation, caseworker
):
    mine = contact.enquiry_submit(organisation=organisation, name="Min", email="m@x.dk", home="A")
    contact.enquiry_submit(organisation=other_organisation, name="Andens", email="a@x.dk", home="B")
    client = verified_client(caseworker)
    page = client.get(reverse("gdpr:enquiry_list")).content.decode()
    assert "Min" in page
    assert "Andens" not in page
    client.post(reverse("gdpr:enquiry_handled", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.handled_by == caseworker
    again = client.post(reverse("gdpr:enquiry_handled", args=[mine.pk]), follow=True)
    assert "allerede behandlet" in again.content.decode()
    xlsx = client.get(reverse("gdpr:enquiry_list") + "?status=open&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

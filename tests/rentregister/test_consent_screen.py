"""A tenant's consent to file the CPR number, recorded and withdrawn on the person page's
panel and through the API; the person's active leases are filed again each time."""

import pytest
from django.urls import reverse

from rentregister.models import Filing, FilingConsent, FilingKind
from tenancy import services as tenancy_services
from tests.factories import make_lease, make_person
from tests.rentregister.fixtures_rent import make_rent_unit, push, rent_unit

pytestmark = pytest.mark.django_db
__all__ = ["push", "rent_unit"]


@pytest.fixture
def browser(client, caseworker):
    client.force_login(caseworker)
    return client


def _sent_tenants(hlr_simulator, lease):
    status, body = hlr_simulator.api("GET", f"/api/v3/lejekontrakter/{lease.number}")
    assert status == 200
    return body["current"]["lease"]["tenants"]


def _consent_url(person):
    return reverse("rentregister:person_consent", args=[person.pk])


def test_person_page_offers_consent_and_records_it(
    browser, organisation, rent_unit, push, hlr_simulator
):
    person = make_person(organisation, cpr="170580-1234")
    lease = make_lease(rent_unit, parties=[person])
    ended = make_lease(make_rent_unit(organisation), parties=[person])
    tenancy_services.lease_end(lease=ended, end_date=ended.start_date, actor=None)
    push()
    assert _sent_tenants(hlr_simulator, lease)[0]["cpr"] is None

    page = browser.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Intet samtykke" in page
    assert "Registrér samtykke" in page

    response = browser.post(
        _consent_url(person), {"action": "give", "confirmed": "on", "note": "J.nr. 12"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/personer/{person.pk}/#samtykke")
    consent = FilingConsent.objects.get(person=person)
    assert consent.note == "J.nr. 12"
    assert consent.withdrawn_at is None
    # Only the active lease is filed again, with the CPR number (sent, never stored).
    refiled = Filing.objects.filter(kind=FilingKind.TENANT_ID)
    assert [f.lease_id for f in refiled] == [lease.pk]
    assert refiled[0].cpr_person_ids == [person.pk]
    push()
    assert _sent_tenants(hlr_simulator, lease)[0]["cpr"] == "1705801234"

    page = browser.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Samtykke givet" in page
    assert "J.nr. 12" in page
    assert "Træk samtykket tilbage" in page

    browser.post(_consent_url(person), {"action": "withdraw"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert Filing.objects.filter(kind=FilingKind.TENANT_ID).count() == 2
    push()
    assert _sent_tenants(hlr_simulator, lease)[0]["cpr"] is None
    page = browser.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Samtykkehistorik" in page
    assert "samtykke trukket tilbage" in page  # the withdrawal is in the history (issue 11)
    assert "Registrér samtykke" in page


def test_consent_needs_confirmation_and_says_why(browser, organisation, rent_unit):
    person = make_person(organisation, cpr="170580-1234")
    make_lease(rent_unit, parties=[person])
    response = browser.post(_consent_url(person), {"action": "give"}, follow=True)
    assert "Bekræft, at lejeren har givet samtykke." in response.content.decode()
    assert not FilingConsent.objects.exists()
    assert not Filing.objects.filter(kind=FilingKind.TENANT_ID).exists()

    too_long = browser.post(
        _consent_url(person), {"action": "give", "confirmed": "on", "note": "x" * 201}, follow=True
    )
    assert "200 tegn" in too_long.content.decode()
    assert not FilingConsent.objects.exists()

    browser.post(_consent_url(person), {"action": "give", "confirmed": "on"})
    again = browser.post(_consent_url(person), {"action": "give", "confirmed": "on"}, follow=True)
    assert "Der er allerede registreret et aktivt samtykke." in again.content.decode()
    assert FilingConsent.objects.count() == 1
    assert Filing.objects.filter(kind=FilingKind.TENANT_ID).count() == 1


def test_no_cpr_no_consent_and_withdraw_without_consent(browser, organisation):
    person = make_person(organisation, name="Ole Olsen", cpr="")
    page = browser.get(reverse("tenancy:person_detail", args=[person.pk])).content.decode()
    assert "Personen har intet CPR-nummer registreret" in page
    # (the rent register's consent button; the GDPR panel's "Registrér samtykke eller
    # grundlag" form for other purposes is there for every person)
    assert "Registrér samtykke</button>" not in page
    response = browser.post(
        _consent_url(person), {"action": "give", "confirmed": "on"}, follow=True
    )
    assert "Personen har intet CPR-nummer registreret." in response.content.decode()
    withdrawn = browser.post(_consent_url(person), {"action": "withdraw"}, follow=True)
    assert "Der er intet aktivt samtykke at trække tilbage." in withdrawn.content.decode()
    assert browser.post(_consent_url(person), {"action": "x"}, follow=True).status_code == 200
    assert not FilingConsent.objects.exists()


def test_consent_of_another_organisations_person_is_not_found(browser, other_organisation):
    person = make_person(other_organisation, cpr="170580-1234")
    assert (
        browser.post(_consent_url(person), {"action": "give", "confirmed": "on"}).status_code == 404
    )
    assert browser.get(_consent_url(person)).status_code == 405
    assert not FilingConsent.objects.exists()


def test_consent_admin_is_read_only(client, organisation):
    from django.contrib.auth import get_user_model

    from rentregister import services

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.dk", "pw"))
    person = make_person(organisation, cpr="170580-4821")
    consent = services.filing_consent_give(person=person, note="J.nr. 7")
    response = client.get(reverse("admin:rentregister_filingconsent_changelist"))
    assert response.status_code == 200
    assert "J.nr. 7" in response.content.decode()
    assert "4821" not in response.content.decode()
    assert client.get(reverse("admin:rentregister_filingconsent_add")).status_code == 403
    change = reverse("admin:rentregister_filingconsent_change", args=[consent.pk])
    assert client.post(change, {"note": "Ændret"}).status_code == 403
    consent.refresh_from_db()
    assert consent.note == "J.nr. 7"


def test_consent_api_give_list_withdraw(client, caseworker, organisation, rent_unit):
    client.force_login(caseworker)
    person = make_person(organisation, cpr="170580-1234")
    lease = make_lease(rent_unit, parties=[person])
    response = client.post(
        "/api/rent-register/consents/",
        {"person": person.pk, "note": "Digital blanket"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["active"] is True
    assert body["note"] == "Digital blanket"
    assert body["recorded_by"] == caseworker.username
    assert Filing.objects.filter(kind=FilingKind.TENANT_ID, lease=lease).count() == 1
    again = client.post(
        "/api/rent-register/consents/", {"person": person.pk}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "Der er allerede registreret et aktivt samtykke."

    listed = client.get(f"/api/rent-register/consents/?person={person.pk}").json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]
    assert client.get("/api/rent-register/consents/?person=x").status_code == 400

    withdrawn = client.post(
        "/api/rent-register/consents/withdraw/",
        {"person": person.pk},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["active"] is False
    assert Filing.objects.filter(kind=FilingKind.TENANT_ID, lease=lease).count() == 2


def test_consent_api_bad_input_and_other_organisation(
    client, caseworker, organisation, other_organisation
):
    client.force_login(caseworker)
    theirs = make_person(other_organisation, cpr="170580-1234")
    for payload in ({}, {"person": "abc"}, {"person": theirs.pk}, {"person": 10**9}):
        response = client.post(
            "/api/rent-register/consents/", payload, content_type="application/json"
        )
        assert response.status_code == 400
        assert "person" in response.json()
    mine = make_person(organisation, cpr="170580-1234")
    long_note = client.post(
        "/api/rent-register/consents/",
        {"person": mine.pk, "note": "x" * 201},
        content_type="application/json",
    )
    assert long_note.status_code == 400
    assert "note" in long_note.json()
    services_consent = make_person(other_organisation, cpr="170580-4321")
    from rentregister import services

    services.filing_consent_give(person=services_consent)
    assert client.get("/api/rent-register/consents/").json()["count"] == 0
    assert not FilingConsent.objects.filter(person__in=[theirs, mine]).exists()

"""The data-subject API (issue 15): the same services as the screens, scoped to the user's
organisations, Danish 400s for broken rules."""

import pytest
from rest_framework.test import APIClient

from gdpr.models import Consent, Objection, Restriction, SubjectRequest
from tenancy.models import Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def test_requests_create_extend_close(api, organisation):
    person = make_person(organisation)
    created = api.post(
        "/api/gdpr/requests/",
        {"person": person.pk, "kind": "access", "received_on": "2026-01-31"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["deadline"] == "2026-02-28"
    pk = created.json()["id"]
    extended = api.post(
        f"/api/gdpr/requests/{pk}/extend/", {"reason": "Mange sager"}, format="json"
    )
    assert extended.json()["deadline"] == "2026-04-30"
    again = api.post(f"/api/gdpr/requests/{pk}/extend/", {"reason": "Igen"}, format="json")
    assert again.status_code == 400
    closed = api.post(
        f"/api/gdpr/requests/{pk}/close/",
        {"status": "completed", "outcome": "Indsigtspakke sendt"},
        format="json",
    )
    assert closed.json()["status"] == "completed"
    assert api.get("/api/gdpr/requests/?status=completed").json()["count"] == 1
    assert api.get(f"/api/gdpr/requests/{pk}/").status_code == 200
    unknown = api.post(
        "/api/gdpr/requests/", {"person": person.pk, "kind": "x", "y": 1}, format="json"
    )
    assert unknown.status_code == 400


def test_consents_objections_restrictions(api, organisation, other_organisation):
    person = make_person(organisation)
    stranger = make_person(other_organisation)
    given = api.post(
        "/api/gdpr/consents/",
        {"person": person.pk, "purpose": "health", "evidence": "Blanket"},
        format="json",
    )
    assert given.status_code == 201, given.content
    consent = given.json()["id"]
    refused = api.post(
        "/api/gdpr/consents/",
        {"person": stranger.pk, "purpose": "health", "evidence": "Blanket"},
        format="json",
    )
    assert refused.status_code == 400  # another organisation's person is "not found"
    withdrawn = api.post(
        f"/api/gdpr/consents/{consent}/withdraw/", {"evidence": "Mail"}, format="json"
    )
    assert withdrawn.json()["withdrawn_at"]
    assert Consent.objects.get(pk=consent).withdrawal_evidence == "Mail"

    objection = api.post(
        "/api/gdpr/objections/",
        {"person": person.pk, "purpose": "market_statistics"},
        format="json",
    ).json()["id"]
    api.post(f"/api/gdpr/objections/{objection}/withdraw/")
    assert Objection.objects.get(pk=objection).withdrawn_at is not None

    restriction = api.post(
        "/api/gdpr/restrictions/", {"person": person.pk, "reason": "Bestrider"}, format="json"
    ).json()["id"]
    assert Person.objects.get(pk=person.pk).restricted
    lifted = api.post(
        f"/api/gdpr/restrictions/{restriction}/lift/", {"reason": "Rettet"}, format="json"
    )
    assert lifted.status_code == 200
    assert Restriction.objects.get(pk=restriction).lifted_at is not None
    assert not Person.objects.get(pk=person.pk).restricted
    for path in ("consents", "objections", "restrictions", "requests"):
        assert api.get(f"/api/gdpr/{path}/").status_code == 200
    assert not SubjectRequest.objects.exists()


@pytest.mark.parametrize("pk", ["null", "true", "1.5"])
def test_a_non_numeric_restriction_id_is_not_found(api, pk):
    """(found by the API fuzz test: Django's get_object_or_404 let the ValueError through)"""
    response = api.post(f"/api/gdpr/restrictions/{pk}/lift/", {"reason": "x"}, format="json")
    assert response.status_code == 404

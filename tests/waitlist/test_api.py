from datetime import date

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import MembershipFactory
from waitlist.services.applicants import applicant_signup

from .conftest import data

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(caseworker, cooperation):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def applicant(cooperation):
    return applicant_signup(
        cooperation=cooperation,
        data=data(list_types=["family", "student"]),
        today=date(2025, 3, 10),
    )


def test_list_detail_masked_and_filtered(api, applicant):
    response = api.get("/api/waitlist/applicants/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["cpr_masked"] == "010190-xxxx"
    assert "cpr" not in row
    assert {a["list_type"] for a in row["applications"]} == {"family", "student"}
    assert api.get("/api/waitlist/applicants/", {"status": "left"}).json()["count"] == 0
    assert api.get("/api/waitlist/applicants/", {"q": "010190-1234"}).json()["count"] == 1
    assert api.get(f"/api/waitlist/applicants/{applicant.pk}/invoices/").status_code == 200
    assert api.get("/api/waitlist/applications/", {"list_type": "student"}).json()["count"] == 1
    assert api.get("/api/waitlist/payments/").status_code == 200


def test_create_with_danish_errors_and_unknown_fields(api, cooperation):
    body = {
        "name": "Ny",
        "cpr": "010115-4111",
        "address": "Vej 1",
        "postal_code": "7400",
        "city": "Herning",
        "phone": "12345678",
        "channel": "letter",
        "list_types": ["family"],
    }
    response = api.post("/api/waitlist/applicants/", body, format="json")
    assert response.status_code == 400
    assert "fyldt 15 år" in str(response.json())
    response = api.post(
        "/api/waitlist/applicants/", {**body, "cpr": "010190-4111", "hacker": 1}, format="json"
    )
    assert response.status_code == 400
    response = api.post("/api/waitlist/applicants/", {**body, "cpr": "010190-4111"}, format="json")
    assert response.status_code == 201
    assert response.json()["applications"][0]["status"] == "pending_payment"


def test_application_actions(api, applicant):
    student = applicant.applications.get(list_type="student")
    response = api.post(
        f"/api/waitlist/applications/{student.pk}/wishes/",
        {"min_rooms": 1, "max_rooms": 2},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["max_rooms"] == 2
    # signed up 10.03.2025, so expired by now: renewing runs on from the old end date
    response = api.post(f"/api/waitlist/applications/{student.pk}/renew/")
    assert response.status_code == 200
    assert response.json()["paid_until"] == "2027-03-10"
    response = api.post(f"/api/waitlist/applications/{student.pk}/renew/")
    assert response.status_code == 400  # too early now: Danish message
    assert "tidligst" in str(response.json())
    response = api.post(f"/api/waitlist/applications/{student.pk}/leave/")
    assert response.json()["status"] == "left"


def test_scope_and_applicant_accounts_refused(applicant, other_organisation, cooperation):
    outsider = MembershipFactory(organisation=other_organisation).user
    client = APIClient()
    client.force_authenticate(outsider)
    assert client.get("/api/waitlist/applicants/").json()["count"] == 0
    assert client.get(f"/api/waitlist/applicants/{applicant.pk}/").status_code == 404
    user = get_user_model().objects.create_user("x@example.com", "x@example.com", "pw")
    applicant_signup(
        cooperation=cooperation,
        data=data(cpr="020290-2222", email="x@example.com"),
        user=user,
        today=date(2025, 1, 1),
    )
    client.force_authenticate(user)
    assert client.get("/api/waitlist/applicants/").status_code == 403


def test_openapi_documents_waitlist(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/waitlist/applicants/" in schema["paths"]
    assert "/api/waitlist/payments/" in schema["paths"]

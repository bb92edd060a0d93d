"""Corrections as an action (issue 12, item 2): the caseworker marks a lease change as a
correction, with a reason, on the lease page and through the API; the rent register's
rules decide the UDK task (same day: none; later: a task; before 1 June 2014: e-mail)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.errors import DomainError
from rentregister.models import Filing, UdkTask, UdkTaskKind
from tenancy import services
from tenancy.models import ChangeRecord
from tests.factories import make_lease
from tests.rentregister.fixtures_rent import backdate_filings, make_rent_unit, push

pytestmark = pytest.mark.django_db
__all__ = ["push"]


@pytest.fixture
def lease(organisation):
    return make_lease(make_rent_unit(organisation), start_date=date(2020, 1, 1))


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


def test_correction_needs_a_reason(lease):
    with pytest.raises(DomainError) as exc:
        services.lease_correct(lease=lease, reason=" ", water="included")
    assert "reason" in exc.value.error_dict


def test_correction_must_change_something(lease):
    with pytest.raises(DomainError):
        services.lease_correct(lease=lease, reason="Fejl", water=lease.water)


def test_correction_cannot_change_the_tenant(lease, organisation):
    from tests.factories import make_person

    with pytest.raises(DomainError):
        services.lease_correct(lease=lease, reason="Fejl", parties=[make_person(organisation)])


def test_same_day_correction_through_the_screen_needs_no_task(client, caseworker, lease, push):
    services.lease_update(lease=lease, water="included")
    push()
    client.force_login(caseworker)
    url = reverse("tenancy:lease_correct", args=[lease.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Ret fejlindberetning" in form.content.decode()
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if value is not False and value is not None
    }
    data.update(water="aconto_organisation", reason="Vand blev indberettet forkert")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    filing = Filing.objects.filter(lease=lease).latest("pk")
    assert filing.is_correction
    assert filing.payload["lease"]["water"] == "aconto_organisation"
    assert UdkTask.objects.count() == 0
    record = ChangeRecord.objects.filter(object_id=lease.pk, action="update").first()
    assert record.correction
    assert record.reason == "Vand blev indberettet forkert"
    page = client.get(reverse("tenancy:lease_detail", args=[lease.pk])).content.decode()
    assert "rettelse: Vand blev indberettet forkert" in page


def test_screen_refuses_without_reason(client, caseworker, lease):
    client.force_login(caseworker)
    url = reverse("tenancy:lease_correct", args=[lease.pk])
    response = client.post(url, {"rent": "6000", "rent_effective_date": "2024-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]


def test_later_correction_through_the_api_creates_the_udk_task(api, lease, push):
    services.lease_change_rent(lease=lease, rent=Decimal("5000"), effective_date=date(2026, 1, 1))
    push()
    backdate_filings(lease, days=3)
    response = api.post(
        f"/api/leases/{lease.pk}/correct/",
        {"rent": "6400.00", "rent_effective_date": "2026-01-01", "reason": "Tastefejl"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.CORRECTION
    filing = Filing.objects.filter(lease=lease).latest("pk")
    assert filing.is_correction
    assert filing.payload["lease"]["rent"] == "6400.00"


def test_api_correction_before_june_2014_creates_the_email_task(api, organisation):
    lease = make_lease(make_rent_unit(organisation), start_date=date(2010, 1, 1))
    services.lease_change_rent(lease=lease, rent=Decimal("7000"), effective_date=date(2020, 1, 1))
    response = api.post(
        f"/api/leases/{lease.pk}/correct/",
        {"rent": "6000.00", "rent_effective_date": "2013-01-01", "reason": "Forkert leje i 2013"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.PRE_2014_RENT
    # The rent of today is untouched by a correction of 2013.
    assert response.json()["rent"] == "7000.00"


def test_api_correction_validation(api, lease):
    url = f"/api/leases/{lease.pk}/correct/"
    assert api.post(url, {"water": "included"}, format="json").status_code == 400  # no reason
    response = api.post(url, {"reason": "x", "rent": "1"}, format="json")
    assert response.status_code == 400
    assert "rent_effective_date" in response.json()
    response = api.post(url, {"reason": "x", "parties": [1]}, format="json")
    assert response.status_code == 400  # unknown field: the tenant is never corrected
    response = api.post(
        url,
        {"reason": "x", "rent": "100", "rent_effective_date": "2021-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "confirm_large_drop" in response.json()


def test_correct_is_in_the_openapi_schema(api):
    text = api.get("/api/schema/").content.decode()
    assert "/api/leases/{id}/correct/" in text
    assert "confirm_large_drop" in text

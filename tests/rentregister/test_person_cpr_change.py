"""The tenant-change rule cannot be bypassed through the person (issue 12, item 3): a CPR
change of a lease party is a correction with a reason and re-files the leases; a CPR
number of another person, or a new name and number at once, is refused; a name change
(marriage) is allowed and re-filed."""

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.errors import DomainError
from rentregister.models import Filing, UdkTask, UdkTaskKind
from tenancy import services
from tenancy.errors import TenantChangeError
from tenancy.models import ChangeRecord
from tests.factories import make_cpr, make_lease, make_person
from tests.rentregister.fixtures_rent import backdate_filings, make_rent_unit, push

pytestmark = pytest.mark.django_db
__all__ = ["push"]


@pytest.fixture
def tenant(organisation):
    person = make_person(organisation, name="Anna Jensen", cpr=make_cpr(date(1980, 5, 17)))
    make_lease(make_rent_unit(organisation), parties=[person])
    return person


def _filings(person):
    return Filing.objects.filter(lease__parties=person).order_by("pk")


def test_cpr_change_of_a_tenant_needs_a_reason(tenant):
    with pytest.raises(DomainError) as exc:
        services.person_update(person=tenant, cpr=make_cpr(date(1980, 5, 17)))
    assert "reason" in exc.value.error_dict


def test_cpr_change_is_a_refiled_correction(tenant):
    before = _filings(tenant).count()
    services.person_update(
        person=tenant, cpr=make_cpr(date(1980, 5, 18)), reason="Forkert fødselsdato tastet"
    )
    filing = _filings(tenant).last()
    assert _filings(tenant).count() == before + 1
    assert filing.is_correction
    assert filing.payload["lease"]["tenants"][0]["birth_date"] == "1980-05-18"
    record = ChangeRecord.objects.filter(content_type__model="person", object_id=tenant.pk).first()
    assert record.correction
    assert record.reason == "Forkert fødselsdato tastet"


def test_later_cpr_correction_creates_udk_task(tenant, push):
    push()
    backdate_filings(_filings(tenant).first().lease, days=2)
    services.person_update(person=tenant, cpr=make_cpr(date(1980, 5, 17)), reason="Tastefejl")
    task = UdkTask.objects.get()
    assert task.kind == UdkTaskKind.CORRECTION
    assert "-xxxx (rettet)" in task.message  # the change is named, the digits are not


def test_cpr_of_another_person_is_refused(tenant, organisation):
    other_cpr = make_cpr(date(1975, 1, 2))
    make_person(organisation, name="Bo Hansen", cpr=other_cpr)
    with pytest.raises(TenantChangeError) as exc:
        services.person_update(person=tenant, cpr=other_cpr, reason="Ny lejer")
    assert "lejerskifte" in str(exc.value) or "afslut lejemålet" in str(exc.value)
    tenant.refresh_from_db()
    assert tenant.birth_date == date(1980, 5, 17)


def test_new_name_and_cpr_at_once_is_refused(tenant):
    with pytest.raises(TenantChangeError):
        services.person_update(
            person=tenant, name="Bo Hansen", cpr=make_cpr(date(1975, 1, 2)), reason="Ny lejer"
        )


def test_name_change_is_allowed_and_refiled(tenant):
    before = _filings(tenant).count()
    services.person_update(person=tenant, name="Anna Jensen Holm")
    filing = _filings(tenant).last()
    assert _filings(tenant).count() == before + 1
    assert not filing.is_correction
    assert filing.payload["lease"]["tenants"][0]["name"] == "Anna Jensen Holm"


def test_non_tenant_cpr_change_needs_no_reason(organisation):
    person = make_person(organisation, name="Ikke Lejer")
    services.person_update(person=person, cpr=make_cpr(date(1990, 1, 1)))
    person.refresh_from_db()
    assert person.birth_date == date(1990, 1, 1)


def test_person_edit_screen(client, caseworker, tenant):
    client.force_login(caseworker)
    detail = client.get(reverse("tenancy:person_detail", args=[tenant.pk])).content.decode()
    url = reverse("tenancy:person_edit", args=[tenant.pk])
    assert url in detail
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url, {"name": "Bo Hansen", "cpr": make_cpr(date(1975, 1, 2)), "reason": "x"}
    )
    assert response.status_code == 200
    assert "lejerskifte" in response.content.decode()
    response = client.post(
        url, {"name": tenant.name, "cpr": make_cpr(date(1980, 5, 17)), "reason": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    response = client.post(url, {"name": "Anna Holm"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Anna Holm"


def test_api_cpr_change_needs_reason(caseworker, tenant):
    api = APIClient()
    api.force_authenticate(caseworker)
    url = f"/api/people/{tenant.pk}/"
    response = api.patch(url, {"cpr": make_cpr(date(1980, 5, 17))}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    response = api.patch(
        url, {"cpr": make_cpr(date(1980, 5, 17)), "reason": "Tastefejl"}, format="json"
    )
    assert response.status_code == 200


def test_admin_cpr_change_needs_reason(client, tenant, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "r@example.com", "pw")
    client.force_login(admin_user)
    url = reverse("admin:tenancy_person_change", args=[tenant.pk])
    data = {"name": tenant.name, "birth_date": "", "email": "", "phone": ""}
    data["cpr"] = make_cpr(date(1980, 5, 17))
    response = client.post(url, data)
    assert response.status_code == 200  # refused: no reason
    data["reason"] = "Tastefejl"
    response = client.post(url, data)
    assert response.status_code == 302

"""The security log (issue 17, item 9): one queryable model, no personal data beyond the
user and the object id, read-only in the admin with an Excel download."""

import io

import openpyxl
import pytest
from django.urls import reverse

from core.models import SecurityEvent, SecurityEventKind
from gdpr.services import cpr_reveal
from tests.factories import UserFactory, make_person

from .conftest import verified_client

pytestmark = pytest.mark.django_db


def test_login_and_failed_login_are_logged_without_the_typed_name(client, caseworker):
    client.post(reverse("login"), {"username": caseworker.username, "password": "pw"})
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN, user=caseworker).exists()
    client.post(reverse("login"), {"username": "1705801234", "password": "x"})
    failed = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN_FAILED)
    assert failed.user is None
    row = " ".join(str(v) for v in SecurityEvent.objects.values_list().get(pk=failed.pk))
    assert "1705801234" not in row


def test_permission_denied_is_logged(client, caseworker, organisation):
    person = make_person(organisation)
    client.force_login(caseworker)
    response = client.post(
        reverse("tenancy:person_reveal_cpr", args=[person.pk]), {"purpose": "test"}
    )
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSION_DENIED)
    assert event.user == caseworker
    assert event.path == reverse("tenancy:person_reveal_cpr", args=[person.pk])


def test_cpr_reveal_is_logged_with_the_person_id_only(cpr_officer, organisation):
    person = make_person(organisation, cpr="1705801234")
    cpr_reveal(user=cpr_officer, person=person, purpose="Kontrol af lejer 1705801234")
    event = SecurityEvent.objects.get(kind=SecurityEventKind.CPR_REVEAL)
    assert (event.user, event.object_type, event.object_id) == (
        cpr_officer,
        "person",
        str(person.pk),
    )
    row = " ".join(str(v) for v in SecurityEvent.objects.values_list().get(pk=event.pk))
    assert "1705801234" not in row
    assert person.name not in row


def test_admin_sees_the_log_read_only_and_downloads_it(client, caseworker):
    client.post(reverse("login"), {"username": caseworker.username, "password": "forkert"})
    admin_client = verified_client(UserFactory(is_superuser=True, is_staff=True))
    listing = admin_client.get("/admin/core/securityevent/")
    assert listing.status_code == 200
    assert "Mislykket login" in listing.content.decode()
    event = SecurityEvent.objects.first()
    assert admin_client.get("/admin/core/securityevent/add/").status_code == 403
    assert admin_client.post(f"/admin/core/securityevent/{event.pk}/delete/").status_code == 403
    download = admin_client.get(
        reverse("admin:core_securityevent_excel") + "?kind__exact=login_failed"
    )
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "Hændelse"
    assert {r[1] for r in rows[1:]} == {"Mislykket login"}


def test_caseworker_cannot_read_the_log(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("admin:core_securityevent_excel")).status_code == 302

"""Browser screens, Excel downloads and the REST API for CPR lookups."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from cprlookup.models import CprCharge, CprLookup, ScanJob
from tests.cprlookup.fixtures_cpr import SINCE, make_portfolio, register
from tests.factories import make_person

pytestmark = pytest.mark.django_db

SOEREN = "0101801234"
HANNE = "0202802345"


@pytest.fixture
def setup(db, gctp_settings):
    p = make_portfolio()
    # We know the protected person by name; CPR marks them protected.
    make_person(p.organisation, name="Hemmelig Hansen", cpr=HANNE)
    gctp_settings.load(
        register(
            p.organisation,
            people=[
                (SOEREN, "Søren Ærø", [(p.units[0], SINCE, None)]),
                (HANNE, "Hemmelig Hansen", [(p.units[1], SINCE, None)], True),
            ],
        )
    )
    return p


def _sheet(response):
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in wb.active.iter_rows(values_only=True)]


def test_browser_lookup_flow_and_excel(client, setup, gctp_settings):
    p = setup
    client.force_login(p.caseworker)
    assert client.get(reverse("cprlookup:index")).status_code == 200
    response = client.post(
        reverse("cprlookup:index"),
        {"kind": "address", "value": p.entrance.street_address, "purpose": "Sag 9"},
    )
    lookup = CprLookup.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cprlookup:lookup_detail", args=[lookup.pk])
    page = client.get(response.url).content.decode()
    assert "Søren Ærø" in page
    assert "Beskyttet person" in page
    assert "Hemmelig" not in page

    rows = _sheet(client.get(reverse("cprlookup:lookup_excel", args=[lookup.pk])))
    text = repr(rows)
    assert "Hemmelig" not in text
    assert "Beskyttet person" in text
    assert "010180-xxxx" in text  # a caseworker sees masked CPR numbers only
    assert "010180-1234" not in text

    client.force_login(p.officer)
    text = repr(_sheet(client.get(reverse("cprlookup:lookup_excel", args=[lookup.pk]))))
    assert "010180-1234" not in text  # full numbers only with a purpose (issue 12)
    full_url = reverse("cprlookup:lookup_cpr_excel", args=[lookup.pk])
    text = repr(_sheet(client.post(full_url, {"purpose": "Sag 9"})))
    assert "010180-1234" in text  # a CPR officer gets the full number, logged
    assert "Hemmelig" not in text


def test_bad_input_in_browser_shows_danish_error_and_calls_nothing(client, setup, gctp_settings):
    client.force_login(setup.caseworker)
    response = client.post(
        reverse("cprlookup:index"), {"kind": "dar_house", "value": "123", "purpose": "Sag"}
    )
    assert response.status_code == 200
    assert "Ugyldigt DAR-id" in response.content.decode()
    response = client.post(
        reverse("cprlookup:index"),
        {"kind": "address", "value": setup.entrance.street_address, "purpose": ""},
    )
    assert response.status_code == 200
    assert gctp_settings.stats()["requests"] == 0
    assert CprLookup.objects.count() == 0


def test_overview_pages_render(client, setup, gctp_settings, django_assert_max_num_queries):
    p = setup
    client.force_login(p.admin)
    client.post(
        reverse("cprlookup:index"),
        {"kind": "address", "value": p.entrance.street_address, "purpose": "Sag 9"},
    )
    person = make_person(p.organisation, name="Søren Ærø", cpr=SOEREN)
    for name in ("index", "log", "ledger", "scans", "reconciliation", "events"):
        with django_assert_max_num_queries(25):
            assert client.get(reverse(f"cprlookup:{name}")).status_code == 200, name
    for name in ("log", "ledger"):
        response = client.get(reverse(f"cprlookup:{name}") + "?format=xlsx")
        assert response["Content-Type"].startswith("application/vnd.openxml")
    rows = _sheet(client.get(reverse("cprlookup:log_person", args=[person.pk]) + "?format=xlsx"))
    assert len(rows) == 2
    assert "Sag 9" in rows[1]
    ledger_rows = _sheet(client.get(reverse("cprlookup:ledger") + "?format=xlsx"))
    assert ledger_rows[1][-1] == 0.05


def test_scan_from_browser_and_progress(client, setup):
    p = setup
    client.force_login(p.admin)
    response = client.post(reverse("cprlookup:scan_start"))
    job = ScanJob.objects.get()
    assert response.url == reverse("cprlookup:scan_detail", args=[job.pk])
    assert client.get(response.url).status_code == 200
    progress = client.get(reverse("cprlookup:scan_progress", args=[job.pk]))
    assert b"<progress" in progress.content
    assert b"hx-get" in progress.content  # still polling: not finished
    client.force_login(p.caseworker)
    client.post(reverse("cprlookup:scan_start"))
    assert ScanJob.objects.count() == 1  # a caseworker cannot start one
    rows = _sheet(client.get(reverse("cprlookup:scans") + "?format=xlsx"))
    assert rows[0][:2] == ["Scanning nr.", "Organisation"]
    assert [r[0] for r in rows[1:]] == [job.pk]
    assert rows[1][3] == p.admin.username
    assert rows[1][5] == job.total


def test_api_lookup_protected_and_log_read_only(setup, gctp_settings):
    p = setup
    api = APIClient()
    api.force_authenticate(p.caseworker)
    response = api.post(
        "/api/cpr/lookups/",
        {"entrance": p.entrance.pk, "purpose": "Sag 10"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "Hemmelig" not in response.content.decode()
    protected = [r for r in body["residents"] if r["protected"]]
    assert protected == [
        {
            "name": "Beskyttet person",
            "cpr_masked": "",  # the date part would help identify (issue 12)
            "move_in": "2015-01-01",
            "move_out": None,
            "protected": True,
            "unit": None,
            "dar_address_id": None,
            "floor": "",
            "door": "",
            "person": protected[0]["person"],
        }
    ]
    assert body["charged"] is True
    lookup_url = f"/api/cpr/lookups/{body['id']}/"
    assert api.get(lookup_url).status_code == 200
    assert api.delete(lookup_url).status_code == 405
    assert api.put(lookup_url, {}, format="json").status_code == 405
    assert api.get("/api/cpr/lookups/").json()["count"] == 1
    assert api.get("/api/cpr/ledger/").json()["count"] == 1
    assert api.get("/api/cpr/ledger/summary/").json()[0]["searches"] == 1
    assert api.get("/api/cpr/reconciliation/").status_code == 200
    assert api.get("/api/cpr/scans/").status_code == 200


def test_api_refusals_are_400_with_danish_message_and_free(db, gctp_settings):
    p = make_portfolio(kind="private", dwellings_owned=3)
    api = APIClient()
    api.force_authenticate(p.caseworker)
    response = api.post(
        "/api/cpr/lookups/", {"unit": p.units[0].pk, "purpose": "Sag"}, format="json"
    )
    assert response.status_code == 400
    assert "mere end 10" in response.json()["detail"]
    response = api.post(
        "/api/cpr/lookups/", {"dar_address_id": "x", "purpose": "Sag"}, format="json"
    )
    assert response.status_code == 400
    assert gctp_settings.stats()["requests"] == 0
    assert CprCharge.objects.count() == 0


def test_api_service_down_is_503(setup, gctp_settings, settings):
    gctp_settings.configure(error_rate=1.0)
    settings.GCTP_MAX_ATTEMPTS = 2
    api = APIClient()
    api.force_authenticate(setup.caseworker)
    response = api.post(
        "/api/cpr/lookups/", {"unit": setup.units[0].pk, "purpose": "Sag"}, format="json"
    )
    assert response.status_code == 503
    assert "svarer ikke" in response.json()["detail"]


def test_admin_is_read_only_for_log_and_ledger(admin_client, setup, gctp_settings):
    api = APIClient()
    api.force_authenticate(setup.caseworker)
    api.post("/api/cpr/lookups/", {"unit": setup.units[0].pk, "purpose": "Sag"}, format="json")
    lookup = CprLookup.objects.get()
    assert admin_client.get("/admin/cprlookup/cprlookup/").status_code == 200
    change = admin_client.post(
        f"/admin/cprlookup/cprlookup/{lookup.pk}/change/", {"purpose": "ændret"}
    )
    assert change.status_code == 403
    assert admin_client.post(f"/admin/cprlookup/cprlookup/{lookup.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/cprlookup/cprcharge/add/").status_code == 403
    lookup.refresh_from_db()
    assert lookup.purpose == "Sag"

"""REST API: CRUD and lease lifecycle through the services, errors as 400 (never 500),
CPR never in clear, the logged CPR reveal, query counts and the OpenAPI schema."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gdpr.models import CprReveal
from tenancy.history import history_for
from tenancy.models import Lease, Person, Property, Unit
from tests.factories import (
    BuildingFactory,
    EntranceFactory,
    PropertyFactory,
    UnitFactory,
    make_lease,
    make_person,
)

pytestmark = pytest.mark.django_db

CPR = "170580-4821"
CPR_DIGITS = "1705804821"


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def officer_api(cpr_officer):
    client = APIClient()
    client.force_authenticate(cpr_officer)
    return client


def _no_cpr(response) -> None:
    body = response.content.decode()
    assert CPR_DIGITS not in body
    assert CPR not in body
    assert "4821" not in body.replace("170580-xxxx", "")


# --- authentication -------------------------------------------------------------------


def test_anonymous_is_refused():
    assert APIClient().get("/api/units/").status_code in (401, 403)


def test_token_obtain_and_use(caseworker, unit):
    response = APIClient().post(
        "/api/auth/token/", {"username": caseworker.username, "password": "pw"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=caseworker).key == token
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/units/").json()["count"] == 1


def test_token_wrong_password_is_400(caseworker):
    response = APIClient().post(
        "/api/auth/token/", {"username": caseworker.username, "password": "x"}, format="json"
    )
    assert response.status_code == 400


# --- reads --------------------------------------------------------------------------------


def test_organisations_are_only_the_users_own(api, organisation, other_organisation):
    data = api.get("/api/organisations/").json()
    assert [o["cvr"] for o in data["results"]] == [organisation.cvr]
    assert api.get(f"/api/organisations/{other_organisation.pk}/").status_code == 404
    assert api.post("/api/organisations/", {"name": "x"}).status_code == 405


def test_unit_list_and_filter_by_address(api, organisation):
    entrance = EntranceFactory(
        building__property__organisation=organisation, street_name="Strandvejen", house_number="12"
    )
    a = UnitFactory(entrance=entrance, floor="1", door="tv", search_text="strandvejen 12 1 tv")
    UnitFactory(entrance=entrance, floor="2", door="th", search_text="strandvejen 12 2 th")
    UnitFactory(
        entrance__building__property__organisation=organisation,
        search_text="strandvejen 120 1 tv",
    )
    data = api.get("/api/units/", {"q": "Strandvejen 12"}).json()
    assert data["count"] == 2
    one = api.get(f"/api/units/{a.pk}/").json()
    assert one["address"] == "Strandvejen 12, 1. tv, 2900 Hellerup"
    assert one["dar_id"] == str(a.dar_id)


# --- people -------------------------------------------------------------------------------


def test_person_create_encrypts_cpr_and_returns_it_masked(api, organisation, caseworker):
    response = api.post(
        "/api/people/",
        {
            "organisation": organisation.pk,
            "name": "Jens Hansen",
            "cpr": CPR,
            "email": "j@x.dk",
            "cpr_basis": "consent",
            "cpr_evidence": "Underskrevet samtykke",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    _no_cpr(response)
    data = response.json()
    assert data["cpr_masked"] == "170580-xxxx"
    assert data["birth_date"] == "1980-05-17"
    assert "cpr" not in data
    person = Person.objects.get()
    assert person.reveal_cpr() == CPR
    assert history_for(person).get().actor == caseworker


def test_person_update_through_service(api, organisation):
    person = make_person(organisation, cpr=CPR)
    response = api.patch(f"/api/people/{person.pk}/", {"phone": "12345678"}, format="json")
    assert response.status_code == 200, response.content
    _no_cpr(response)
    person.refresh_from_db()
    assert person.phone == "12345678"
    assert list(history_for(person).values_list("action", flat=True)) == ["update", "create"]


def test_cpr_never_in_clear_in_person_and_lease_responses(api, unit):
    person = make_person(unit.organisation, cpr=CPR)
    lease = make_lease(unit, parties=[person])
    for url in (
        "/api/people/",
        f"/api/people/{person.pk}/",
        "/api/leases/",
        f"/api/leases/{lease.pk}/",
    ):
        response = api.get(url)
        assert response.status_code == 200
        _no_cpr(response)
    response = api.post("/api/people/search/", {"q": CPR}, format="json")
    assert response.status_code == 200
    _no_cpr(response)
    assert [row["id"] for row in response.json()["results"]] == [person.pk]


def test_person_search_by_cpr_in_url_refused_pointing_to_post(api, unit):
    make_person(unit.organisation, cpr=CPR)
    for q in (CPR, f"{CPR[:6]}-{CPR[6:]}"):
        response = api.get("/api/people/", {"q": q})
        assert response.status_code == 400
        assert "POST /api/people/search/" in response.json()["q"][0]
    # A name still filters in the URL.
    make_person(unit.organisation, name="Mette Holm")
    assert api.get("/api/people/", {"q": "mette"}).json()["count"] == 1


def test_person_search_post_pages_and_keeps_protected_hidden(api, unit):
    make_person(unit.organisation, name="Hemmelig Hansen", cpr=CPR, protected=True)
    for i in range(3):
        make_person(unit.organisation, name=f"Hans {i}")
    assert api.post("/api/people/search/", {"q": CPR}, format="json").json()["count"] == 0
    hans = api.post("/api/people/search/", {"q": "Hans"}, format="json").json()
    assert hans["count"] == 3  # Hemmelig Hansen is not found by name either
    everyone = api.post("/api/people/search/", {}, format="json").json()
    assert everyone["count"] == 4
    bad = api.post("/api/people/search/", {"protected": "kanske"}, format="json")
    assert bad.status_code == 400
    assert "protected" in bad.json()


def test_protected_person_leaves_without_name_or_contact(api, unit):
    person = make_person(
        unit.organisation, name="Hemmelig Hansen", email="h@x.dk", phone="99", protected=True
    )
    make_lease(unit, parties=[person])
    data = api.get(f"/api/people/{person.pk}/").json()
    assert data["name"] == "Beskyttet person"
    assert data["protected"] is True
    assert "email" not in data
    assert "phone" not in data
    body = api.get("/api/leases/").content.decode()
    assert "Hemmelig" not in body
    assert "Beskyttet person" in body
    # Not findable by name (that would tell where a named protected person lives).
    assert api.get("/api/people/", {"q": "Hemmelig"}).json()["count"] == 0


def test_people_are_not_listed_in_name_order(api, organisation):
    """A name-sorted list would place a protected person by their real name."""
    for name in ("Åse", "Bo", "Anders"):
        make_person(organisation, name=name, protected=name == "Bo")
    ids = [row["id"] for row in api.get("/api/people/").json()["results"]]
    assert ids == sorted(ids)


def test_unprotected_person_shows_contact(api, organisation):
    person = make_person(organisation, name="Åben Olsen", email="a@x.dk", phone="11")
    data = api.get(f"/api/people/{person.pk}/").json()
    assert (data["name"], data["email"], data["phone"]) == ("Åben Olsen", "a@x.dk", "11")


# --- CPR reveal -----------------------------------------------------------------------------


def test_cpr_officer_reveals_and_it_is_logged(officer_api, organisation, cpr_officer):
    person = make_person(organisation, cpr=CPR)
    response = officer_api.post(
        f"/api/people/{person.pk}/reveal-cpr/", {"purpose": "Sag 2024-17"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"cpr": CPR}
    log = CprReveal.objects.get()
    assert (log.user, log.person, log.purpose) == (cpr_officer, person, "Sag 2024-17")


def test_caseworker_reveal_is_403_and_not_logged(api, organisation):
    person = make_person(organisation, cpr=CPR)
    response = api.post(f"/api/people/{person.pk}/reveal-cpr/", {"purpose": "x"}, format="json")
    assert response.status_code == 403
    _no_cpr(response)
    assert not CprReveal.objects.exists()


def test_reveal_without_purpose_is_400(officer_api, organisation):
    person = make_person(organisation, cpr=CPR)
    response = officer_api.post(f"/api/people/{person.pk}/reveal-cpr/", {}, format="json")
    assert response.status_code == 400
    assert "purpose" in response.json()
    response = officer_api.post(
        f"/api/people/{person.pk}/reveal-cpr/", {"purpose": "  "}, format="json"
    )
    assert response.status_code == 400
    assert "purpose" in response.json()
    assert not CprReveal.objects.exists()


# --- portfolio writes ---------------------------------------------------------------------


def test_property_crud_with_history_and_protected_delete(api, organisation):
    response = api.post(
        "/api/properties/",
        {"organisation": organisation.pk, "name": "Solgården", "municipality_code": "0101"},
        format="json",
    )
    assert response.status_code == 201, response.content
    prop = Property.objects.get(pk=response.json()["id"])
    response = api.patch(f"/api/properties/{prop.pk}/", {"name": "Solgaarden"}, format="json")
    assert response.json()["name"] == "Solgaarden"
    assert list(history_for(prop).values_list("action", flat=True)) == ["update", "create"]
    BuildingFactory(property=prop)
    response = api.delete(f"/api/properties/{prop.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert Property.objects.filter(pk=prop.pk).exists()
    assert list(history_for(prop).values_list("action", flat=True)) == ["update", "create"]


def test_building_entrance_unit_create_and_unit_update(api, organisation):
    prop = PropertyFactory(organisation=organisation)
    response = api.post("/api/buildings/", {"property": prop.pk, "number": 2}, format="json")
    assert response.status_code == 201, response.content
    building_id = response.json()["id"]
    response = api.post(
        "/api/entrances/",
        {
            "building": building_id,
            "street_name": "Nørregade",
            "house_number": "7B",
            "postcode": "8000",
            "city": "Aarhus C",
            "municipality_code": "0751",
            "road_code": "1234",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    entrance_id = response.json()["id"]
    response = api.post(
        "/api/units/",
        {"entrance": entrance_id, "floor": "st", "door": "th", "area_m2": "65.5", "rooms": 2},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["address"] == "Nørregade 7B, st. th, 8000 Aarhus C"
    assert data["organisation"] == organisation.pk
    other = UnitFactory(entrance__building__property__organisation=organisation)
    response = api.patch(
        f"/api/units/{data['id']}/",
        {"letting_code": "H", "letting_reference": other.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Unit.objects.get(pk=data["id"]).letting_reference == other


def test_unit_h_without_reference_is_400_with_service_message(api, unit):
    response = api.patch(f"/api/units/{unit.pk}/", {"letting_code": "H"}, format="json")
    assert response.status_code == 400
    assert "letting_reference" in response.json()
    unit.refresh_from_db()
    assert unit.letting_code == ""


def test_unit_h_reference_to_building_is_refused(api, unit):
    """A building id sent as a unit reference is refused (never unit -> building)."""
    building = unit.entrance.building
    Unit.objects.exclude(pk=unit.pk).delete()
    response = api.patch(
        f"/api/units/{unit.pk}/",
        {"letting_code": "H", "letting_reference": building.pk + 10_000},
        format="json",
    )
    assert response.status_code == 400


# --- leases -------------------------------------------------------------------------------


def test_lease_create_through_service(api, unit, caseworker):
    person = make_person(unit.organisation)
    response = api.post(
        "/api/leases/",
        {"unit": unit.pk, "parties": [person.pk], "start_date": "2024-02-01", "rent": "7250.50"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "active"
    assert data["rent"] == "7250.50"
    assert data["parties"] == [{"id": person.pk, "name": person.name, "protected": False}]
    lease = Lease.objects.get()
    assert history_for(lease).get().actor == caseworker


def test_lease_overlap_is_400_with_service_message(api, unit):
    make_lease(unit, start_date=date(2020, 1, 1))
    person = make_person(unit.organisation)
    response = api.post(
        "/api/leases/",
        {"unit": unit.pk, "parties": [person.pk], "start_date": "2024-02-01", "rent": "100"},
        format="json",
    )
    assert response.status_code == 400
    assert "overlappe" in response.json()["start_date"][0]
    assert Lease.objects.count() == 1


def test_lease_terms_patch_through_lease_update(api, unit):
    lease = make_lease(unit)
    response = api.patch(
        f"/api/leases/{lease.pk}/", {"tenant_maintains": True, "heating": "included"}, format="json"
    )
    assert response.status_code == 200, response.content
    lease.refresh_from_db()
    assert lease.tenant_maintains is True
    assert lease.heating == "included"
    assert history_for(lease).first().action == "update"


def test_tenant_change_by_editing_parties_is_refused_with_explanation(api, unit):
    lease = make_lease(unit)
    newcomer = make_person(unit.organisation, name="Ny Lejer")
    response = api.patch(f"/api/leases/{lease.pk}/", {"parties": [newcomer.pk]}, format="json")
    assert response.status_code == 400
    message = response.json()["parties"][0]
    assert "afslut det gamle lejemål og opret et nyt" in message
    assert list(lease.parties.all()) != [newcomer]


def test_tenant_change_by_editing_start_date_is_refused_with_explanation(api, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    response = api.patch(f"/api/leases/{lease.pk}/", {"start_date": "2024-01-01"}, format="json")
    assert response.status_code == 400
    assert "opret et nyt lejemål" in response.json()["start_date"][0]
    lease.refresh_from_db()
    assert lease.start_date == date(2020, 1, 1)


def test_lease_patch_refuses_fields_it_cannot_change(api, unit):
    lease = make_lease(unit)
    for body in (
        {"status": "ended"},
        {"unit": unit.pk},
        {"number": "1"},
        {"end_date": "2024-01-01"},
    ):
        response = api.patch(f"/api/leases/{lease.pk}/", body, format="json")
        assert response.status_code == 400, body
        assert next(iter(body)) in response.json()
    response = api.patch(f"/api/leases/{lease.pk}/", {"rent": "1"}, format="json")
    assert response.status_code == 400
    assert "rent" in response.json()
    lease.refresh_from_db()
    assert lease.status == "active"
    assert lease.rent == Decimal("6500.00")


def test_lease_end_reinstate_and_change_rent_actions(api, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    url = f"/api/leases/{lease.pk}"
    response = api.post(
        f"{url}/end/", {"end_date": "2024-06-30", "reason": "Opsagt"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["end_date"]) == ("ended", "2024-06-30")
    # Ending twice is a rule, not a crash.
    response = api.post(f"{url}/end/", {"end_date": "2024-07-31"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    response = api.post(f"{url}/reinstate/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    response = api.post(
        f"{url}/change-rent/", {"rent": "7000.00", "effective_date": "2024-07-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["rent"] == "7000.00"
    actions = list(history_for(lease).values_list("action", flat=True))
    assert actions == ["rent_change", "reinstate", "end", "create"]


# --- bad input is 400, never 500 ----------------------------------------------------------


BAD_GETS = [
    ("/api/units/", {"dar_id": "not-a-uuid"}),
    ("/api/entrances/", {"dar_id": "123"}),
    ("/api/leases/", {"start_from": "31-02-2024"}),
    ("/api/leases/", {"start_to": "2024-13-01"}),
    ("/api/leases/", {"status": "unknown"}),
    ("/api/units/", {"letting_code": "X"}),
    ("/api/units/", {"min_area": "abc"}),
    ("/api/leases/", {"unit": "abc"}),
]


@pytest.mark.parametrize(("url", "params"), BAD_GETS)
def test_bad_filters_are_400(api, unit, url, params):
    response = api.get(url, params)
    assert response.status_code == 400, response.content
    assert next(iter(params)) in response.json()


@pytest.mark.parametrize("url", ["/api/units/abc/", "/api/leases/1.5/", "/api/people/-1/"])
def test_bad_ids_in_path_are_404(api, url):
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cpr": "3213901234"}, "cpr"),
        ({"cpr": "abcdefghij"}, "cpr"),
        ({"cpr": "12345"}, "cpr"),
        ({"birth_date": "1980-02-30"}, "birth_date"),
        ({"email": "no-at-sign"}, "email"),
        ({"organisation": "abc"}, "organisation"),
        ({"name": ""}, "name"),
        ({"protected": "maybe"}, "protected"),
        ({"cpr": CPR, "birth_date": "1990-01-01"}, "birth_date"),
        # issue 15: a CPR number only on a recorded basis
        ({"cpr": CPR}, "cpr"),
        ({"cpr": CPR, "cpr_basis": "whim", "cpr_evidence": "x"}, "cpr_basis"),
    ],
)
def test_bad_person_input_is_400_with_field(api, organisation, body, field):
    data = {"organisation": organisation.pk, "name": "Jens", **body}
    response = api.post("/api/people/", data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    _no_cpr(response)
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rent": "abc"}, "rent"),
        ({"rent": "-1"}, "rent"),
        ({"rent": "1e400"}, "rent"),
        ({"start_date": "2024-02-30"}, "start_date"),
        ({"heating": "solar"}, "heating"),
        ({"holder_type": "owner"}, "holder_type"),
        ({"parties": []}, "parties"),
        ({"parties": ["x"]}, "parties"),
        ({"unit": "not-a-number"}, "unit"),
        ({"special_payments": "12,50"}, "special_payments"),
    ],
)
def test_bad_lease_input_is_400_with_field(api, unit, body, field):
    person = make_person(unit.organisation)
    data = {"unit": unit.pk, "parties": [person.pk], "start_date": "2024-02-01", "rent": "100"}
    response = api.post("/api/leases/", {**data, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Lease.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"floor": "99x"}, "floor"),
        ({"door": "venstre"}, "door"),
        ({"area_m2": "0"}, "area_m2"),
        ({"area_m2": "many"}, "area_m2"),
        ({"rooms": "-2"}, "rooms"),
        ({"dar_id": "xyz"}, "dar_id"),
        ({"letting_code": "Q"}, "letting_code"),
    ],
)
def test_bad_unit_input_is_400_with_field(api, organisation, body, field):
    entrance = EntranceFactory(building__property__organisation=organisation)
    data = {"entrance": entrance.pk, "floor": "1", "door": "tv", "area_m2": "50", "rooms": 2}
    response = api.post("/api/units/", {**data, **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Unit.objects.exists()


def test_bad_action_input_is_400(api, unit):
    lease = make_lease(unit, start_date=date(2020, 1, 1))
    url = f"/api/leases/{lease.pk}"
    assert api.post(f"{url}/end/", {"end_date": "yesterday"}, format="json").status_code == 400
    response = api.post(f"{url}/end/", {"end_date": "2019-12-31"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()
    response = api.post(f"{url}/change-rent/", {"rent": "x", "effective_date": "2024-01-01"})
    assert response.status_code == 400
    response = api.post(
        f"{url}/change-rent/", {"rent": "1", "effective_date": "2019-01-01"}, format="json"
    )
    assert "effective_date" in response.json()
    assert api.post(f"{url}/reinstate/", {}, format="json").status_code == 400
    lease.refresh_from_db()
    assert (lease.status, lease.rent) == ("active", Decimal("6500.00"))


def test_malformed_json_is_400(api):
    response = api.generic("POST", "/api/people/", "{not json", content_type="application/json")
    assert response.status_code == 400


# --- query counts ---------------------------------------------------------------------------


def _make_rows(kind, organisation, n):
    for _ in range(n):
        unit = UnitFactory(entrance__building__property__organisation=organisation)
        if kind == "leases":
            make_lease(unit, parties=[make_person(organisation), make_person(organisation)])
        elif kind == "people":
            make_person(organisation)


@pytest.mark.parametrize(
    "kind", ["units", "leases", "people", "entrances", "properties", "buildings"]
)
def test_list_query_count_does_not_grow_with_rows(
    caseworker, organisation, kind, django_assert_num_queries
):
    def client():
        # A fresh user object per request, as in real requests (no cached memberships).
        client = APIClient()
        client.force_authenticate(type(caseworker).objects.get(pk=caseworker.pk))
        return client

    _make_rows(kind, organisation, 5)
    api = client()
    with CaptureQueriesContext(connection) as five:
        response = api.get(f"/api/{kind}/")
    assert response.json()["count"] >= 5
    # memberships, count, page (+ one prefetch of lease parties)
    assert len(five.captured_queries) <= 4
    _make_rows(kind, organisation, 45)
    api = client()
    with django_assert_num_queries(len(five.captured_queries)):
        response = api.get(f"/api/{kind}/")
    assert response.json()["count"] >= 50
    assert len(response.json()["results"]) == 50


# --- schema ---------------------------------------------------------------------------------


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/leases/{id}/change-rent/" in text
    assert "/api/people/{id}/reveal-cpr/" in text


def test_schema_and_docs_are_served(api):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200

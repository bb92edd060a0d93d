"""Organisation scope in the API: a caseworker of organisation A never sees, changes or
creates anything in organisation B (404 on B's objects, 400 on B's ids in a body)."""

import pytest
from rest_framework.test import APIClient

from gdpr.models import CprReveal
from tenancy.models import Building, Entrance, Lease, Person, Property, Unit
from tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    PropertyFactory,
    make_lease,
    make_person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    return client


@pytest.fixture
def theirs(other_unit):
    """Organisation B's portfolio, people and lease."""
    person = make_person(other_unit.organisation, name="Bent Andersen")
    lease = make_lease(other_unit, parties=[person])
    entrance = other_unit.entrance
    return {
        "units": other_unit,
        "leases": lease,
        "people": person,
        "entrances": entrance,
        "buildings": entrance.building,
        "properties": entrance.building.property,
        "departments": DepartmentFactory(organisation=other_unit.organisation),
        "organisations": other_unit.organisation,
    }


@pytest.fixture
def ours(unit):
    make_lease(unit)
    return unit


KINDS = [
    "units",
    "leases",
    "people",
    "entrances",
    "buildings",
    "properties",
    "departments",
    "organisations",
]


@pytest.mark.parametrize("kind", KINDS)
def test_other_organisations_object_is_404(api, theirs, kind):
    assert api.get(f"/api/{kind}/{theirs[kind].pk}/").status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_list_excludes_other_organisation(api, ours, theirs, kind):
    response = api.get(f"/api/{kind}/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert theirs[kind].pk not in ids
    if kind != "departments":
        assert ids, "the user's own rows are listed"


def test_other_organisations_name_is_not_in_any_list(api, ours, theirs):
    for kind in KINDS:
        assert "Bent Andersen" not in api.get(f"/api/{kind}/").content.decode()


def test_search_by_cpr_does_not_find_other_organisations_person(api, ours, other_organisation):
    theirs = make_person(other_organisation, cpr="170580-4821")
    mine = make_person(ours.organisation, cpr="170580-4821")
    found = api.post("/api/people/search/", {"q": "1705804821"}, format="json").json()
    assert [row["id"] for row in found["results"]] == [mine.pk]
    assert theirs.pk != mine.pk


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "units/{units}/", {"rooms": 9}),
        ("patch", "people/{people}/", {"name": "Ændret"}),
        ("patch", "properties/{properties}/", {"name": "Ændret"}),
        ("delete", "properties/{properties}/", None),
        ("patch", "leases/{leases}/", {"tenant_maintains": True}),
        ("post", "leases/{leases}/end/", {"end_date": "2030-01-31"}),
        ("post", "leases/{leases}/change-rent/", {"rent": "1", "effective_date": "2030-01-01"}),
        ("post", "leases/{leases}/reinstate/", {}),
    ],
)
def test_cannot_change_other_organisations_objects(api, theirs, method, path, body):
    url = "/api/" + path.format(**{k: v.pk for k, v in theirs.items()})
    response = getattr(api, method)(url, body, format="json")
    assert response.status_code == 404
    lease = Lease.objects.get(pk=theirs["leases"].pk)
    assert (lease.status, lease.tenant_maintains) == ("active", False)
    assert Unit.objects.get(pk=theirs["units"].pk).rooms == 3
    assert Person.objects.get(pk=theirs["people"].pk).name == "Bent Andersen"
    assert Property.objects.filter(pk=theirs["properties"].pk).exists()


def test_cpr_officer_of_a_cannot_reveal_in_b(theirs, organisation):
    officer = MembershipFactory(organisation=organisation, role="cpr_officer").user
    client = APIClient()
    client.force_authenticate(officer)
    url = f"/api/people/{theirs['people'].pk}/reveal-cpr/"
    assert client.post(url, {"purpose": "Sag"}, format="json").status_code == 404
    assert not CprReveal.objects.exists()


def test_cannot_create_under_other_organisation(api, theirs, organisation, unit):
    b = theirs["organisations"]
    counts = {m: m.objects.count() for m in (Person, Property, Building, Entrance, Unit, Lease)}
    own_person = make_person(organisation)
    counts[Person] += 1
    attempts = [
        ("people", {"organisation": b.pk, "name": "Ny"}, "organisation"),
        (
            "properties",
            {"organisation": b.pk, "name": "Ny", "municipality_code": "0101"},
            "organisation",
        ),
        (
            "properties",
            {
                "organisation": organisation.pk,
                "department": theirs["departments"].pk,
                "name": "Ny",
                "municipality_code": "0101",
            },
            "department",
        ),
        ("buildings", {"property": theirs["properties"].pk}, "property"),
        (
            "entrances",
            {
                "building": theirs["buildings"].pk,
                "street_name": "Vej",
                "house_number": "1",
                "postcode": "1000",
                "city": "By",
                "municipality_code": "0101",
                "road_code": "0001",
            },
            "building",
        ),
        (
            "units",
            {"entrance": theirs["entrances"].pk, "area_m2": "50", "rooms": 2},
            "entrance",
        ),
        (
            "leases",
            {
                "unit": theirs["units"].pk,
                "parties": [own_person.pk],
                "start_date": "2030-01-01",
                "rent": "100",
            },
            "unit",
        ),
        # Own unit, but B's person as tenant.
        (
            "leases",
            {
                "unit": unit.pk,
                "parties": [theirs["people"].pk],
                "start_date": "2030-01-01",
                "rent": "100",
            },
            "parties",
        ),
    ]
    for kind, body, field in attempts:
        response = api.post(f"/api/{kind}/", body, format="json")
        assert response.status_code == 400, (kind, response.content)
        assert field in response.json(), (kind, response.json())
    assert {m: m.objects.count() for m in counts} == counts


def test_h_reference_to_other_organisations_unit_is_refused(api, unit, theirs):
    response = api.patch(
        f"/api/units/{unit.pk}/",
        {"letting_code": "H", "letting_reference": theirs["units"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "letting_reference" in response.json()


def test_user_in_two_organisations_sees_both(theirs, organisation, unit):
    user = MembershipFactory(organisation=organisation).user
    MembershipFactory(user=user, organisation=theirs["organisations"])
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/units/").json()["count"] == 2
    assert client.get("/api/organisations/").json()["count"] == 2
    assert PropertyFactory._meta.model.objects.count() == 2

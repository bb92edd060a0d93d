"""Django admin: every page renders for a superuser, saves go through the services (CPR
encrypted, history recorded, domain errors as form errors), a lease's tenant and start date
cannot be edited, and the change history is read-only."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tenancy import services
from tenancy.history import history_for
from tenancy.models import (
    Building,
    ChangeRecord,
    Department,
    Entrance,
    Lease,
    Membership,
    Organisation,
    Person,
    Property,
    Unit,
)
from tenancy.terms import LEASE_TERMS
from tests.factories import DepartmentFactory, MembershipFactory, make_lease, make_person

pytestmark = pytest.mark.django_db

CPR = "170580-4821"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.dk", "pw")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def world(unit, caseworker):
    """One of everything."""
    person = make_person(unit.organisation, cpr=CPR, name="Jens Hansen")
    lease = make_lease(unit, parties=[person])
    DepartmentFactory(organisation=unit.organisation)
    return {"unit": unit, "person": person, "lease": lease}


MODELS = [
    Organisation,
    Membership,
    Department,
    Property,
    Building,
    Entrance,
    Unit,
    Person,
    Lease,
    ChangeRecord,
    get_user_model(),
]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_render(admin_client, world, model):
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    obj = model._default_manager.order_by("pk").first()
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    if model not in (ChangeRecord, get_user_model(), Organisation, Membership, Department):
        assert "Ændringshistorik" in response.content.decode()


@pytest.mark.parametrize(
    "model", [m for m in MODELS if m is not ChangeRecord], ids=lambda m: m.__name__
)
def test_add_page_renders(admin_client, model):
    assert admin_client.get(_url(model, "add")).status_code == 200


@pytest.mark.parametrize(
    ("model", "term"),
    [
        (Unit, "Strandvejen 1, 2. tv"),
        (Unit, "not-a-uuid"),
        (Entrance, "Strandvejen 1"),
        (Property, "abc"),
        (Lease, "Jens"),
        (Building, "x"),
        (ChangeRecord, "lejemål"),
        (Organisation, "Bolig"),
    ],
)
def test_changelist_search_never_errors(admin_client, world, model, term):
    assert admin_client.get(_url(model, "changelist"), {"q": term}).status_code == 200


def test_change_history_is_shown_on_change_page(admin_client, world):
    lease = world["lease"]
    services.lease_change_rent(lease=lease, rent=Decimal("7000"), effective_date=date(2024, 1, 1))
    body = admin_client.get(_url(Lease, "change", lease.pk)).content.decode()
    # Danish labels and amounts, as on the caseworker pages (issue 11): no codes or None.
    assert "Huslejeændring" in body
    assert "rent_change" not in body
    assert "6.500,00 kr. → 7.000,00 kr." in body
    assert "None" not in body.split("Ændringshistorik", 1)[1].split("</table>", 1)[0]


# --- people ---------------------------------------------------------------------------------


def test_person_add_goes_through_service_and_encrypts_cpr(admin_client, organisation):
    response = admin_client.post(
        _url(Person, "add"),
        {
            "organisation": organisation.pk,
            "name": "Karen Jensen",
            "cpr": CPR,
            "cpr_basis": "consent",
            "cpr_evidence": "Underskrevet samtykke",
            "email": "",
            "phone": "",
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    person = Person.objects.get()
    assert person.cpr_masked == "170580-xxxx"
    assert person.reveal_cpr() == CPR
    assert "1705804821" not in person.cpr_encrypted
    assert person.birth_date == date(1980, 5, 17)
    assert history_for(person).get().actor == admin_client.user


def test_person_add_bad_cpr_is_form_error_and_nothing_saved(admin_client, organisation):
    response = admin_client.post(
        _url(Person, "add"),
        {"organisation": organisation.pk, "name": "Karen", "cpr": "3213901234", "_save": "1"},
    )
    assert response.status_code == 200
    assert "cpr" in response.context["adminform"].form.errors
    assert not Person.objects.exists()


def test_person_change_page_never_shows_full_cpr(admin_client, world):
    body = admin_client.get(_url(Person, "change", world["person"].pk)).content.decode()
    assert "170580-xxxx" in body
    assert "4821" not in body
    body = admin_client.get(_url(Person, "changelist")).content.decode()
    assert "4821" not in body


def test_person_change_updates_through_service(admin_client, world):
    person = world["person"]
    response = admin_client.post(
        _url(Person, "change", person.pk),
        {
            "name": "Jens Hansen",
            # issue 12: clearing a tenant's birth date would be an identity correction
            "birth_date": person.birth_date.isoformat(),
            "email": "ny@example.dk",
            "phone": "",
            "cpr": "",
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.email == "ny@example.dk"
    assert person.reveal_cpr() == CPR  # blank CPR field keeps the stored number
    assert history_for(person).first().action == "update"


def test_person_search_by_full_cpr_uses_hash(admin_client, world):
    make_person(world["unit"].organisation, name="Anden Person")
    for term in (CPR, "1705804821"):
        # issue 17: the number is never kept in the URL; it is redirected to its keyed hash
        response = admin_client.get(_url(Person, "changelist"), {"q": term}, follow=True)
        assert "1705804821" not in response.redirect_chain[-1][0]
        assert list(response.context["cl"].result_list) == [world["person"]]
    response = admin_client.get(_url(Person, "changelist"), {"q": "Anden"})
    assert [p.name for p in response.context["cl"].result_list] == ["Anden Person"]


# --- leases ---------------------------------------------------------------------------------


def _terms(lease, **changes):
    data = {name: getattr(lease, name) for name in LEASE_TERMS}
    data.update(changes)
    return {k: ("on" if v is True else "" if v is False else v) for k, v in data.items()}


def test_lease_add_goes_through_service(admin_client, unit):
    person = make_person(unit.organisation)
    data = _terms(Lease(), holder_type="tenant")
    data = {k: v for k, v in data.items() if v != ""}
    response = admin_client.post(
        _url(Lease, "add"),
        {
            **data,
            "unit": unit.pk,
            "parties": [person.pk],
            "start_date": "2024-02-01",
            "rent": "7100.00",
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    lease = Lease.objects.get()
    assert lease.number == f"{unit.pk:07d}-01"
    assert list(lease.parties.all()) == [person]
    assert history_for(lease).get().action == "create"


def test_lease_add_overlap_is_form_error(admin_client, world):
    unit = world["unit"]
    person = make_person(unit.organisation)
    data = {k: v for k, v in _terms(Lease()).items() if v != ""}
    response = admin_client.post(
        _url(Lease, "add"),
        {
            **data,
            "unit": unit.pk,
            "parties": [person.pk],
            "start_date": "2024-02-01",
            "rent": "100",
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "overlappe" in str(response.context["adminform"].form.errors)
    assert Lease.objects.count() == 1


def test_lease_add_with_other_organisations_tenant_is_form_error(
    admin_client, unit, other_organisation
):
    stranger = make_person(other_organisation)
    data = {k: v for k, v in _terms(Lease()).items() if v != ""}
    response = admin_client.post(
        _url(Lease, "add"),
        {
            **data,
            "unit": unit.pk,
            "parties": [stranger.pk],
            "start_date": "2024-02-01",
            "rent": "100",
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "parties" in response.context["adminform"].form.errors
    assert not Lease.objects.exists()


def test_admin_lease_edit_cannot_change_parties_or_start_date(admin_client, world):
    lease = world["lease"]
    original = world["person"]
    newcomer = make_person(lease.organisation, name="Ny Lejer")
    form = admin_client.get(_url(Lease, "change", lease.pk)).context["adminform"].form
    assert "parties" not in form.fields
    assert "start_date" not in form.fields
    assert "unit" not in form.fields
    response = admin_client.post(
        _url(Lease, "change", lease.pk),
        {
            **_terms(lease, tenant_maintains=True),
            "parties": [newcomer.pk],
            "start_date": "2024-05-01",
            "rent": "1",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    lease.refresh_from_db()
    assert list(lease.parties.all()) == [original]
    assert lease.start_date == date(2020, 1, 1)
    assert lease.rent == Decimal("6500.00")
    assert lease.tenant_maintains is True  # the terms did change, through lease_update
    record = history_for(lease).first()
    assert record.action == "update"
    assert record.actor == admin_client.user


def test_admin_lease_edit_of_ended_lease_shows_service_error(admin_client, world):
    lease = world["lease"]
    services.lease_end(lease=lease, end_date=date(2024, 6, 30))
    response = admin_client.post(
        _url(Lease, "change", lease.pk), {**_terms(lease, tenant_maintains=True), "_save": "1"}
    )
    assert response.status_code == 200
    assert "Genoptag" in str(response.context["adminform"].form.non_field_errors())
    lease.refresh_from_db()
    assert lease.tenant_maintains is False


def test_end_lease_action_needs_an_end_date(admin_client, world):
    lease = world["lease"]
    url = _url(Lease, "changelist")
    payload = {"action": "end_leases", "_selected_action": [lease.pk], "reason": "Opsagt"}
    admin_client.post(url, {**payload, "end_date": ""})
    lease.refresh_from_db()
    assert lease.status == "active"
    response = admin_client.post(url, {**payload, "end_date": "2024-06-30"}, follow=True)
    assert response.status_code == 200
    assert "1 lejemål er afsluttet." in [str(m) for m in response.context["messages"]]
    lease.refresh_from_db()
    assert (lease.status, lease.end_date, lease.end_reason) == (
        "ended",
        date(2024, 6, 30),
        "Opsagt",
    )
    assert history_for(lease).first().action == "end"


def test_leases_and_people_cannot_be_deleted_in_admin(admin_client, world):
    assert admin_client.get(_url(Lease, "delete", world["lease"].pk)).status_code == 403
    assert admin_client.get(_url(Person, "delete", world["person"].pk)).status_code == 403


# --- units and buildings --------------------------------------------------------------------


def _unit_data(unit, **changes):
    data = {
        "floor": unit.floor,
        "door": unit.door,
        "bbr_unit_id": "",
        "use_code": unit.use_code,
        "area_m2": unit.area_m2,
        "rooms": unit.rooms,
        "letting_code": unit.letting_code,
        "letting_reference": "",
        "_save": "1",
    }
    data.update(changes)
    return data


def test_unit_change_goes_through_unit_update(admin_client, world):
    unit = world["unit"]
    response = admin_client.post(_url(Unit, "change", unit.pk), _unit_data(unit, rooms=4))
    assert response.status_code == 302, response.context["adminform"].form.errors
    unit.refresh_from_db()
    assert unit.rooms == 4
    assert history_for(unit).first().action == "update"


def test_unit_h_without_reference_is_form_error(admin_client, world):
    unit = world["unit"]
    response = admin_client.post(_url(Unit, "change", unit.pk), _unit_data(unit, letting_code="H"))
    assert response.status_code == 200
    assert "letting_reference" in response.context["adminform"].form.errors
    unit.refresh_from_db()
    assert unit.letting_code == ""


def test_unit_h_reference_to_other_organisation_is_form_error(admin_client, world, other_unit):
    unit = world["unit"]
    response = admin_client.post(
        _url(Unit, "change", unit.pk),
        _unit_data(unit, letting_code="H", letting_reference=other_unit.pk),
    )
    assert response.status_code == 200
    assert "letting_reference" in response.context["adminform"].form.errors


def test_building_add_h_needs_reference(admin_client, world):
    prop = world["unit"].entrance.building.property
    count = Building.objects.count()
    response = admin_client.post(
        _url(Building, "add"),
        {
            "property": prop.pk,
            "number": 2,
            "bbr_id": "0c7d1d0e-96a4-4c4a-a3c8-8f1c1c1d9b01",
            "letting_code": "H",
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "letting_reference" in response.context["adminform"].form.errors
    assert Building.objects.count() == count
    response = admin_client.post(
        _url(Building, "add"),
        {
            "property": prop.pk,
            "number": 2,
            "bbr_id": "6f1c3f1e-5a3b-4c55-9d1e-2b7f9b1f0a11",
            "letting_code": "H",
            "letting_reference": world["unit"].entrance.building.pk,
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    building = Building.objects.get(bbr_id="6f1c3f1e-5a3b-4c55-9d1e-2b7f9b1f0a11")
    assert history_for(building).get().action == "create"


def test_property_admin_records_history(admin_client, organisation):
    response = admin_client.post(
        _url(Property, "add"),
        {
            "organisation": organisation.pk,
            "name": "Solgården",
            "municipality_code": "0101",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    prop = Property.objects.get()
    assert history_for(prop).get().action == "create"


def test_property_department_of_other_organisation_is_refused(admin_client, organisation):
    department = Department.objects.create(
        organisation=MembershipFactory().organisation, number="9", name="X"
    )
    response = admin_client.post(
        _url(Property, "add"),
        {
            "organisation": organisation.pk,
            "department": department.pk,
            "name": "Solgården",
            "municipality_code": "0101",
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not Property.objects.exists()


# --- change history -------------------------------------------------------------------------


def test_change_records_are_read_only(admin_client, world):
    record = ChangeRecord.objects.first()
    assert admin_client.get(_url(ChangeRecord, "add")).status_code == 403
    assert admin_client.get(_url(ChangeRecord, "delete", record.pk)).status_code == 403
    before = record.action
    response = admin_client.post(
        _url(ChangeRecord, "change", record.pk), {"action": "tampered", "_save": "1"}
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.action == before


def test_change_records_filter_by_organisation_and_action(admin_client, world, other_unit):
    make_lease(other_unit)
    org = world["unit"].organisation
    response = admin_client.get(
        _url(ChangeRecord, "changelist"), {"organisation__id__exact": org.pk, "action": "create"}
    )
    rows = list(response.context["cl"].result_list)
    assert rows
    assert {r.organisation_id for r in rows} == {org.pk}
    assert {r.action for r in rows} == {"create"}


def test_user_admin_shows_memberships(admin_client, caseworker):
    body = admin_client.get(_url(get_user_model(), "change", caseworker.pk)).content.decode()
    assert "memberships" in body

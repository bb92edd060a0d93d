import pytest

from core.errors import DomainError
from tenancy import services
from tenancy.history import history_for
from tenancy.models import Unit
from tests.factories import BuildingFactory, DepartmentFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_property_create_and_update_record_history(organisation):
    prop = services.property_create(
        organisation=organisation, name="Solgården", municipality_code="0101"
    )
    services.property_update(property=prop, name="Solgården I")
    assert [r.action for r in history_for(prop)] == ["update", "create"]
    assert history_for(prop).first().after["name"] == "Solgården I"


def test_property_department_must_be_same_organisation(organisation, other_organisation):
    foreign = DepartmentFactory(organisation=other_organisation)
    with pytest.raises(DomainError) as exc:
        services.property_create(
            organisation=organisation, name="X", municipality_code="0101", department=foreign
        )
    assert "department" in exc.value.message_dict


def test_property_owner_cannot_be_changed(organisation, other_organisation):
    prop = services.property_create(organisation=organisation, name="X", municipality_code="0101")
    with pytest.raises(DomainError):
        services.property_update(property=prop, organisation=other_organisation)


def test_entrance_update_rebuilds_search_keys_of_its_units(unit):
    entrance = unit.entrance
    services.entrance_update(entrance=entrance, street_name="Havnegade", house_number="7B")
    entrance.refresh_from_db()
    assert entrance.search_text == "havnegade 7b"
    assert Unit.objects.get(pk=unit.pk).search_text.startswith("havnegade 7b ")


def test_entrance_update_validates_dar_house_number(unit):
    with pytest.raises(DomainError):
        services.entrance_update(entrance=unit.entrance, house_number="0")


def test_building_update_h_reference_only_building_to_building(organisation):
    unit = UnitFactory(entrance__building__property__organisation=organisation)
    building = unit.entrance.building
    other = BuildingFactory(property=building.property, number=2)
    with pytest.raises(DomainError) as exc:
        services.building_update(building=building, letting_code="H", letting_reference=unit)
    assert "aldrig mellem bygning og enhed" in str(exc.value)
    services.building_update(building=building, letting_code="H", letting_reference=other)
    building.refresh_from_db()
    assert building.letting_reference == other

"""factory_boy factories for the tenancy core. They go through the services where a rule
applies (people, leases) so tests see the same data the product writes."""

import itertools
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from tenancy import services
from tenancy.choices import OrganisationKind, Role
from tenancy.hooks import CprBasis
from tenancy.models import Building, Department, Entrance, Membership, Organisation, Property, Unit


# Valid CVR numbers (mod 11) generated once.
def _cvr_numbers():
    for n in itertools.count(1000000):
        digits = [int(d) for d in str(n)]
        weights = [2, 7, 6, 5, 4, 3, 2]
        rest = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        check = (11 - rest) % 11
        if check == 10:
            continue
        yield f"{n}{check}"


_cvr = _cvr_numbers()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Boligselskabet {n}")
    cvr = factory.LazyFunction(lambda: next(_cvr))
    kind = OrganisationKind.NONPROFIT
    dwellings_owned = 500
    cpr_service_registered = True
    cpr_service_registered_since = date(2024, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CASEWORKER


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organisation = factory.SubFactory(OrganisationFactory)
    number = factory.Sequence(lambda n: f"{n + 1:03d}")
    name = factory.Sequence(lambda n: f"Afdeling {n}")


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    organisation = factory.SubFactory(OrganisationFactory)
    department = None
    name = factory.Sequence(lambda n: f"Ejendom {n}")
    municipality_code = "0101"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    property = factory.SubFactory(PropertyFactory)
    organisation = factory.SelfAttribute("property.organisation")
    number = 1


class EntranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entrance

    building = factory.SubFactory(BuildingFactory)
    organisation = factory.SelfAttribute("building.organisation")
    street_name = "Strandvejen"
    house_number = factory.Sequence(lambda n: str(n % 999 + 1))
    postcode = "2900"
    city = "Hellerup"
    municipality_code = "0157"
    road_code = factory.Sequence(lambda n: f"{n // 999 % 9999 + 1:04d}")
    search_text = factory.LazyAttribute(lambda o: f"{o.street_name} {o.house_number}".lower())


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    entrance = factory.SubFactory(EntranceFactory)
    organisation = factory.SelfAttribute("entrance.organisation")
    floor = factory.Sequence(lambda n: str(n % 9 + 1))
    door = factory.Sequence(lambda n: ("tv", "th", "mf")[n % 3])
    area_m2 = Decimal("72.50")
    rooms = 3
    search_text = factory.LazyAttribute(
        lambda o: f"{o.entrance.street_name} {o.entrance.house_number} {o.floor} {o.door}".lower()
    )


_cpr_seq = itertools.count(1)


def make_cpr(birth: date = date(1980, 5, 17)) -> str:
    """A fresh, date-valid CPR number (7th digit 0-3 = 1900s)."""
    return f"{birth:%d%m%y}{next(_cpr_seq) % 4000:04d}"


def make_person(organisation, name="Jens Hansen", cpr=None, **kwargs):
    # A CPR number is stored only on a recorded basis (issue 15): the test tenant consented.
    kwargs.setdefault("cpr_basis", CprBasis(kind="consent", evidence="Samtykke i lejesagen"))
    return services.person_create(
        organisation=organisation, name=name, cpr=make_cpr() if cpr is None else cpr, **kwargs
    )


def make_lease(unit, parties=None, start_date=date(2020, 1, 1), rent=Decimal("6500.00"), **kw):
    if parties is None:
        parties = [make_person(unit.organisation)]
    return services.lease_create(unit=unit, parties=parties, start_date=start_date, rent=rent, **kw)

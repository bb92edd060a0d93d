from datetime import date
from decimal import Decimal

import pytest

from tests.factories import MembershipFactory, OrganisationFactory
from waitlist.models import Cooperation, CooperationMember, FeeSchedule
from waitlist.services.applicants import ApplicantData


@pytest.fixture
def cooperation(organisation):
    coop = Cooperation.objects.create(name="Lejehuset")
    CooperationMember.objects.create(cooperation=coop, organisation=organisation)
    second = OrganisationFactory(name="Boligselskabet Fruehøjgaard")
    CooperationMember.objects.create(cooperation=coop, organisation=second)
    for channel, signup, renewal in (("e_offer", "200", "150"), ("letter", "300", "250")):
        FeeSchedule.objects.create(
            cooperation=coop,
            channel=channel,
            valid_from=date(2020, 1, 1),
            announced_at=date(2019, 11, 1),
            signup_fee=Decimal(signup),
            renewal_fee=Decimal(renewal),
        )
    return coop


@pytest.fixture
def second_org_caseworker(cooperation):
    org = cooperation.organisations.get(name="Boligselskabet Fruehøjgaard")
    return MembershipFactory(organisation=org).user


def data(**overrides) -> ApplicantData:
    values = {
        "name": "Anna Hansen",
        "cpr": "010190-1234",
        "address": "Nygade 1",
        "postal_code": "7400",
        "city": "Herning",
        "email": "anna@example.dk",
        "phone": "12345678",
        "children_under_23": 1,
    }
    values.update(overrides)
    return ApplicantData(**values)

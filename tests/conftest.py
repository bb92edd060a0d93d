import pytest

from tests.factories import MembershipFactory, OrganisationFactory, UnitFactory
from tests.worker import celery_worker_process  # noqa: F401 - the one real-worker fixture


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(name="Andet Boligselskab")


@pytest.fixture
def caseworker(organisation):
    return MembershipFactory(organisation=organisation).user


@pytest.fixture
def cpr_officer(organisation):
    return MembershipFactory(organisation=organisation, role="cpr_officer").user


@pytest.fixture
def unit(organisation):
    return UnitFactory(entrance__building__property__organisation=organisation)


@pytest.fixture
def other_unit(other_organisation):
    return UnitFactory(entrance__building__property__organisation=other_organisation)

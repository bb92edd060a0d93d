import pytest

from tests.browser import browser  # noqa: F401 - the one Playwright browser
from tests.factories import MembershipFactory, OrganisationFactory, UnitFactory
from tests.worker import celery_worker_process  # noqa: F401 - the one real-worker fixture


@pytest.fixture(autouse=True)
def _two_factor_only_where_tested(request, settings):
    """Two-factor (issue 17) is enforced in production; tests that are not about it log in
    with force_login and would otherwise meet the code page. Tests about it ask for the
    `two_factor_enforced` fixture (tests/security/conftest.py). The DRF throttles' counters
    (the default cache) start empty in every test."""
    from django.core.cache import cache

    cache.clear()
    if "two_factor_enforced" not in request.fixturenames:
        settings.TWO_FACTOR_ENFORCED = False


@pytest.fixture(autouse=True)
def _payment_inbox_writer_stopped():
    """A test that delivered webhooks over HTTP on PostgreSQL started this process's inbox
    writer thread (waitlist.services.inbox_store); stop it after the test, so that its
    connection does not outlive the test (the flush, the final DROP DATABASE)."""
    yield
    from waitlist.services.inbox_store import writer_stop

    writer_stop()


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

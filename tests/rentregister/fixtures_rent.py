"""Fixtures for the rent-register outbox tests (import the ones a module uses).

`rent_unit` is a unit the register accepts (department and BBR unit id set); `rent_lease`
an active lease on it; `push` runs the outbox push against the simulator (over HTTP)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from rentregister import services
from rentregister.models import Filing
from tests.factories import DepartmentFactory, UnitFactory, make_lease


def make_rent_unit(organisation, **kwargs):
    department = DepartmentFactory(organisation=organisation)
    return UnitFactory(
        entrance__building__property__organisation=organisation,
        entrance__building__property__department=department,
        bbr_unit_id=uuid.uuid4(),
        **kwargs,
    )


@pytest.fixture
def rent_unit(organisation):
    return make_rent_unit(organisation)


@pytest.fixture
def rent_lease(rent_unit):
    return make_lease(rent_unit)


@pytest.fixture
def push(hlr_settings):
    """Push due filings to the simulator; returns the PushStats."""

    def run(**kwargs):
        kwargs.setdefault("workers", 4)
        return services.filings_push(**kwargs)

    return run


def backdate_filings(lease, days: int = 1) -> None:
    """Make the lease's filings look as if they were filed `days` ago."""
    Filing.objects.filter(lease=lease).update(created_at=timezone.now() - timedelta(days=days))

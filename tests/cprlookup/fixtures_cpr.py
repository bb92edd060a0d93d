"""Helpers for the CPR lookup tests (imported by the test modules).

`make_portfolio` builds a small portfolio in the test database: one registered housing
association with two stairwells (three units behind the first, one behind the second), and
`register(portfolio, people)` turns it plus a list of CPR registrations into the simulator's
data-file format, so the simulator answers exactly what a test needs.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tests.factories import (
    EntranceFactory,
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    make_lease,
    make_person,
)
from tests.worker import start_worker as start_test_worker


@dataclass
class Portfolio:
    organisation: object
    caseworker: object
    officer: object
    admin: object
    entrance: object
    units: list
    entrance2: object
    unit2: object
    other_units: list = field(default_factory=list)


def make_portfolio(*, units_per_entrance: int = 3, entrances: int = 1, **org_kwargs) -> Portfolio:
    org = OrganisationFactory(**org_kwargs)
    first = EntranceFactory(building__property__organisation=org)
    floors = [("st", "tv"), ("1", "th"), ("1", "tv"), ("2", "th"), ("2", "tv"), ("3", "mf")]
    units = [UnitFactory(entrance=first, floor=f, door=d) for f, d in floors[:units_per_entrance]]
    second = EntranceFactory(building=first.building)
    unit2 = UnitFactory(entrance=second, floor="", door="")
    extra = []
    for _ in range(entrances - 1):
        e = EntranceFactory(building=first.building)
        extra += [UnitFactory(entrance=e, floor=f, door=d) for f, d in floors[:units_per_entrance]]
    return Portfolio(
        organisation=org,
        caseworker=MembershipFactory(organisation=org).user,
        officer=MembershipFactory(organisation=org, role="cpr_officer").user,
        admin=MembershipFactory(organisation=org, role="org_admin").user,
        entrance=first,
        units=units,
        entrance2=second,
        unit2=unit2,
        other_units=extra,
    )


def address_rows(organisation, *, registered=True) -> tuple[list[dict], list[str]]:
    """Every unit of the organisation as simulator addresses, owned by its CVR."""
    from tenancy.models import Unit

    rows = []
    for unit in Unit.objects.filter(organisation=organisation).select_related("entrance"):
        e = unit.entrance
        rows.append(
            {
                "id": str(unit.dar_id),
                "house_id": str(e.dar_id),
                "municipality_code": e.municipality_code,
                "road_code": e.road_code,
                "house_number": e.house_number,
                "floor": unit.floor,
                "door": unit.door,
                "owner_cvr": organisation.cvr,
            }
        )
    return rows, [organisation.cvr] if registered else []


def register(*organisations, people=(), unregistered=()) -> dict:
    """Simulator data: the organisations' units plus `people`, each
    (cpr, name, [(unit, move_in, move_out)], protected)."""
    addresses, cvrs = [], []
    for org in organisations:
        rows, reg = address_rows(org, registered=org not in unregistered)
        addresses += rows
        cvrs += reg
    out_people = []
    for cpr, name, regs, *rest in people:
        out_people.append(
            {
                "cpr": cpr,
                "name": name,
                "protected": bool(rest and rest[0]),
                "registrations": [
                    {
                        "address_id": str(unit.dar_id),
                        "move_in": move_in.isoformat() if move_in else None,
                        "move_out": move_out.isoformat() if move_out else None,
                    }
                    for unit, move_in, move_out in regs
                ],
            }
        )
    return {
        "users": {"boligkontor": "demo-gctp"},
        "registered_cvrs": cvrs,
        "addresses": addresses,
        "people": out_people,
    }


SINCE = date(2015, 1, 1)


def lease_with_person(unit, cpr, name="Lejer Lejersen", **kwargs):
    person = make_person(unit.organisation, name=name, cpr=cpr, **kwargs)
    return make_lease(unit, parties=[person]), person


# --- a second worker process for the SIGKILL test -----------------------------------------


def start_worker(env_overrides: dict | None = None) -> tuple[subprocess.Popen, Path]:
    """Start another Celery worker like the `celery_worker_process` fixture does (same
    database, broker and settings: tests/worker.py); the caller terminates it."""
    worker = start_test_worker(env_overrides=env_overrides)
    return worker.process, worker.log_path

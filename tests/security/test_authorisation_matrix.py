"""The authorisation matrix (issue 17, item 1): every URL pattern and every REST operation,
found by themselves, called with every allowed method as every role, with ids from the
user's own organisation and from another one. The expected outcome per role is declared once,
in tests/security/route_policy.py.

AUTHZ_MATRIX_RECORD=1 prints the observed matrix as policy entries (to review, never to copy
blindly: an "ok" where the policy says "deny" is a hole to fix at the root)."""

from __future__ import annotations

import os

import pytest

from . import route_policy
from .discovery import Route, api_routes, django_routes
from .matrix import NOT_FOUND, OBJECT_KWARGS, OK, UnfillableRoute, call, classify, fill, fingerprint
from .world import KWARG_OBJECTS, MEMBER_ROLES, ROLES, World

pytestmark = pytest.mark.django_db
RECORD = os.environ.get("AUTHZ_MATRIX_RECORD") == "1"


def all_routes() -> list[Route]:
    return django_routes() + api_routes()


def test_every_route_has_a_policy_entry():
    missing = [r.key for r in all_routes() if r.key not in route_policy.POLICY]
    if RECORD:
        return
    assert not missing, (
        "Routes without an entry in tests/security/route_policy.py POLICY (who may call them?): "
        + ", ".join(sorted(missing))
    )
    stale = set(route_policy.POLICY) - {r.key for r in all_routes()}
    assert not stale, f"POLICY entries for routes that no longer exist: {sorted(stale)}"


def test_anonymous_reaches_only_public_pages():
    for key, entry in route_policy.POLICY.items():
        if entry.access["anonymous"] == OK or any(
            a["anonymous"] == OK for a in entry.methods.values()
        ):
            assert key in route_policy.PUBLIC_FOR_ANONYMOUS, (
                f"{key}: anonymous visitors may reach only login, health, static and the "
                "public applicant pages (PUBLIC_FOR_ANONYMOUS)"
            )


def _expected(entry, method: str) -> dict:
    return entry.methods.get(method, entry.access)


def _observe(world: World, routes: list[Route]):
    clients = {role: world.client_for(role) for role in ROLES}
    observed, problems = {}, []
    for route in routes:
        entry = route_policy.POLICY.get(route.key)
        obj_name = entry.obj if entry else None
        for method in route.methods:
            for role in ROLES:
                try:
                    path = fill(route, world, "a", obj_name, fresh=(method == "DELETE"))
                except UnfillableRoute as exc:
                    problems.append(str(exc))
                    break
                client = clients[role]
                response = call(client, method, path, api=route.api)
                outcome = classify(response, role)
                if role != "anonymous" and "_auth_user_id" not in client.session:
                    clients[role] = world.client_for(role)  # the route logged the user out
                observed[(route.key, method, role)] = outcome
                if outcome == "500" and route.key not in route_policy.KNOWN_FAILURES:
                    problems.append(f"{method} {path} as {role}: 500")
                if entry is None or RECORD:
                    continue
                expected = _expected(entry, method)[role]
                if outcome == "405" or (outcome == "500" and expected == OK):
                    continue  # the method is not offered / a known failure after access
                if outcome != expected and not (expected == "deny" and outcome == NOT_FOUND):
                    problems.append(
                        f"{method} {path} ({route.key}) as {role}: got {outcome} "
                        f"({response.status_code}), policy says {expected}"
                    )
    return observed, problems, clients


def _names_an_object(route: Route) -> bool:
    return any(k in OBJECT_KWARGS + tuple(KWARG_OBJECTS) for k in route.kwargs)


def _cross_calls(world: World, routes, observed):
    """(route, method, role, path with organisation B's ids) for every object route a member
    reached with A's object."""
    for route in routes:
        entry = route_policy.POLICY.get(route.key)
        if entry is None or not _names_an_object(route):
            continue
        for method in route.methods:
            for role in MEMBER_ROLES:
                if observed.get((route.key, method, role)) == OK:
                    yield route, method, role, fill(route, world, "b", entry.obj)


def _cross_organisation(world: World, routes, observed, clients) -> list[str]:
    """Every object route a member reaches with A's object must give 404 with B's, and
    organisation B's objects must stay as they were."""
    problems = []
    calls = list(_cross_calls(world, routes, observed))  # builds B's objects first
    before = fingerprint(world)
    for route, method, role, path in calls:
        response = call(clients[role], method, path, api=route.api)
        if response.status_code != 404:
            problems.append(
                f"{method} {path} ({route.key}) as {role} of organisation A with "
                f"organisation B's object: {response.status_code}, must be 404"
            )
        if "_auth_user_id" not in clients[role].session:
            clients[role] = world.client_for(role)
    after = fingerprint(world)
    problems += [
        f"organisation B's {name} changed by a cross-organisation call"
        for name, value in before.items()
        if after.get(name) != value
    ]
    return problems


def _record(observed) -> None:
    by_route: dict = {}
    for (key, method, role), outcome in observed.items():
        by_route.setdefault(key, {}).setdefault(method, {})[role] = outcome
    for key, methods in sorted(by_route.items()):
        print(f"{key!r}: {methods},")


def test_authorisation_matrix(two_factor_enforced):
    world = World()
    routes = all_routes()
    observed, problems, clients = _observe(world, routes)
    if RECORD:
        _record(observed)
    problems += _cross_organisation(world, routes, observed, clients)
    assert not problems, "\n".join(problems)


def test_cpr_officer_reaches_no_staff_page_before_the_code(two_factor_enforced):
    """Password given, code not yet: every route but the open ones (login, two-factor, public
    applicant pages) sends the CPR officer to the code page (browser) or refuses (API)."""
    from django.conf import settings
    from django.test import Client

    from core.auth_policy import OPEN_PREFIXES

    from .conftest import totp_device

    world = World()
    officer = world.users["cpr_officer"]
    totp_device(officer)
    client = Client()
    client.force_login(officer)
    client.raise_request_exception = False
    open_prefixes = OPEN_PREFIXES + tuple(settings.NON_MEMBER_PATH_PREFIXES)
    reached = []
    for route in all_routes():
        entry = route_policy.POLICY.get(route.key)
        if entry is None:
            continue  # test_every_route_has_a_policy_entry names it
        try:
            path = fill(route, world, "a", entry.obj)
        except UnfillableRoute:
            continue
        if path.startswith(open_prefixes) or path == "/api/auth/token/":
            continue
        for method in route.methods:
            response = call(client, method, path, api=route.api)
            outcome = classify(response, "cpr_officer")
            if outcome not in ("2fa", "deny", "405", "login"):
                reached.append(f"{method} {path}: {response.status_code}")
            if "_auth_user_id" not in client.session:
                client.force_login(officer)
    assert not reached, "reached without the second factor:\n" + "\n".join(reached)


@pytest.mark.parametrize("role", ["anonymous", "applicant", "caseworker", "org_admin"])
def test_admin_is_for_superusers_only(role, two_factor_enforced):
    """Every admin changelist: only a (verified) superuser gets in; everyone else is sent to
    the admin login (or, an applicant's account, refused)."""
    from django.contrib import admin

    world = World()
    client = world.client_for(role)
    superuser = world.client_for("superuser")
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert classify(client.get(url), role) in ("login", "deny"), (role, url)
        assert superuser.get(url).status_code == 200, url

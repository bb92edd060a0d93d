"""Calling a route as a role and classifying the answer (the authorisation matrix's engine)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.urls import reverse

from .discovery import Route
from .world import KWARG_OBJECTS, KWARG_VALUES, World

OK, LOGIN, DENY, NOT_FOUND = "ok", "login", "deny", "404"
OBJECT_KWARGS = ("pk", "id")


class UnfillableRoute(Exception):
    pass


def fill(route: Route, world: World, side: str, obj_name: str | None, *, fresh: bool = False):
    """The route's path with real ids of organisation `side`."""
    values = {}
    for kwarg in route.kwargs:
        if kwarg in OBJECT_KWARGS:
            if obj_name is None:
                raise UnfillableRoute(
                    f"{route.key}: the URL names an object ({{{kwarg}}}); give its policy entry "
                    f"obj=<a name in tests/security/world.py BUILDERS> in route_policy.py"
                )
            values[kwarg] = world.obj(obj_name, side, fresh=fresh).pk
        elif kwarg in KWARG_OBJECTS:
            values[kwarg] = world.obj(KWARG_OBJECTS[kwarg], side).pk
        elif kwarg in KWARG_VALUES:
            values[kwarg] = KWARG_VALUES[kwarg]
        else:
            raise UnfillableRoute(
                f"{route.key}: URL kwarg {kwarg!r} cannot be filled; add it to KWARG_OBJECTS "
                f"(an object) or KWARG_VALUES (a fixed value) in tests/security/world.py"
            )
    return route.template.format(**values)


def call(client, method: str, path: str, *, api: bool):
    cache.clear()  # throttle counters: the matrix is not a load test
    kwargs = {}
    if method in ("POST", "PUT", "PATCH"):
        kwargs = (
            {"data": json.dumps({}), "content_type": "application/json"} if api else {"data": {}}
        )
    return (
        client.generic(method, path, **kwargs)
        if method not in ("GET", "POST")
        else (client.get(path) if method == "GET" else client.post(path, **kwargs))
    )


def classify(response, role: str) -> str:
    status = response.status_code
    if status >= 500:
        return "500"
    if status in (301, 302, 303):
        location = response["Location"]
        if location.startswith((reverse(settings.LOGIN_URL), reverse("admin:login"))):
            return LOGIN
        if location.startswith(reverse("waitlist_public:login")):
            return LOGIN  # the applicants' own login
        if location.startswith("/konto/tofaktor/"):
            return "2fa"
        return OK
    if status == 401 or (status == 403 and role == "anonymous"):
        return LOGIN
    if status == 403:
        return DENY
    if status == 404:
        return NOT_FOUND
    if status == 405:
        return "405"
    return OK  # 2xx, 400 (input refused after access was granted), 409, 429


def fingerprint(world: World) -> dict:
    """Every built object of organisation B as stored (to prove cross-organisation calls
    changed nothing)."""
    snapshot = {}
    for (name, side), obj in world.objects.items():
        if side != "b":
            continue
        model = type(obj)
        current = model._default_manager.filter(pk=obj.pk).first()
        snapshot[name] = None if current is None else model_to_dict(current)
    return snapshot

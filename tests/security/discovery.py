"""Every route of the project, found by itself: the URL resolver for the browser screens and
Django's own views, drf-spectacular's endpoint enumeration (the OpenAPI schema's source) for
the REST API. The admin is walked separately (test_authorisation_matrix.test_admin_...)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator


@dataclass(frozen=True)
class Route:
    key: str  # the policy table's key: URL name ("tenancy:unit_detail") or "GET /api/units/{id}/"
    template: str  # the path with {kwarg} placeholders
    kwargs: tuple[str, ...] = field(default=())
    methods: tuple[str, ...] = ("GET", "POST")
    api: bool = False


_CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")


def _template(route: str) -> str:
    route = _CONVERTER.sub(lambda m: "{" + m.group("name") + "}", route)
    route = _REGEX_GROUP.sub(lambda m: "{" + m.group("name") + "}", route)
    return "/" + route.lstrip("^").rstrip("$").replace("\\", "")


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def api_callbacks() -> list[tuple[str, str, object]]:
    """(path, method, callback) of every REST operation, as the OpenAPI schema lists them."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    return [(path, method, callback) for path, _regex, method, callback in generator.endpoints]


def api_routes() -> list[Route]:
    routes = []
    for path, method, _callback in api_callbacks():
        kwargs = tuple(re.findall(r"{([^}]+)}", path))
        routes.append(
            Route(key=f"{method} {path}", template=path, kwargs=kwargs, methods=(method,), api=True)
        )
    return routes


def django_routes() -> list[Route]:
    """Every URL pattern outside the admin that the API enumeration does not cover; DRF's
    format-suffix twins of API routes are the same views and are skipped."""
    api_views = {getattr(cb, "cls", cb) for _p, _m, cb in api_callbacks()}
    routes: dict[str, Route] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue
        callback = pattern.callback
        if getattr(callback, "cls", None) in api_views:
            continue
        if "format" in pattern.pattern.converters or "(?P<format>" in route:
            continue
        key = f"{namespace}{pattern.name}" if pattern.name else _template(route)
        template = _template(route)
        kwargs = tuple(re.findall(r"{([^}]+)}", template))
        routes.setdefault(key, Route(key=key, template=template, kwargs=kwargs))
    return list(routes.values())

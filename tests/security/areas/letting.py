"""Authorisation-matrix entries and world builders for this area (see areas/__init__.py)."""

from __future__ import annotations

from tests.security.route_policy import ADMIN_ONLY, APPLICANT, PUBLIC, STAFF, Entry  # noqa: F401

POLICY: dict[str, Entry] = {}
PUBLIC_FOR_ANONYMOUS: set[str] = set()
BUILDERS: dict = {}
KWARG_OBJECTS: dict[str, str] = {}

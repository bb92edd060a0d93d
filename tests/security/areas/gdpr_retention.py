"""Authorisation-matrix entries and world builders for this area (see areas/__init__.py)."""

from __future__ import annotations

from tests.security.route_policy import ADMIN_ONLY, APPLICANT, PUBLIC, STAFF, Entry  # noqa: F401


def _retention_run(world, side: str):
    from django.utils import timezone

    from gdpr.models import RetentionRun

    return RetentionRun.objects.create(
        organisation=world.orgs[side], as_of=timezone.now(), status="done", total=0
    )


POLICY: dict[str, Entry] = {
    "gdpr:retention": Entry(STAFF),
    "gdpr:retention_preview": Entry(STAFF),
    "gdpr:retention_run_start": Entry(STAFF),
    "gdpr:retention_runs": Entry(STAFF),
    "gdpr:retention_run_detail": Entry(STAFF, obj="retention_run"),
    "gdpr:retention_run_progress": Entry(STAFF, obj="retention_run"),
    "gdpr:retention_run_resume": Entry(STAFF, obj="retention_run"),
    "gdpr:retention_person_anonymise": Entry(STAFF, obj="person"),
    "GET /api/gdpr/retention/rules/": Entry(STAFF),
    "GET /api/gdpr/retention/preview/": Entry(STAFF),
    "GET /api/gdpr/retention/runs/": Entry(STAFF),
    "POST /api/gdpr/retention/runs/": Entry(STAFF),
    "GET /api/gdpr/retention/runs/{pk}/": Entry(STAFF, obj="retention_run"),
    "POST /api/gdpr/retention/runs/{pk}/resume/": Entry(STAFF, obj="retention_run"),
}
PUBLIC_FOR_ANONYMOUS: set[str] = set()
BUILDERS: dict = {"retention_run": _retention_run}
KWARG_OBJECTS: dict[str, str] = {}

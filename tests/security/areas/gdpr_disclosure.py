"""Authorisation-matrix entries and world builders for this area (see areas/__init__.py)."""

from __future__ import annotations

from tests.security.route_policy import ADMIN_ONLY, APPLICANT, PUBLIC, STAFF, Entry  # noqa: F401


def _disclosure(world, side: str):
    from gdpr.disclosure import log

    person = world.obj("person", side)
    return log.disclosure_record(
        organisation=world.orgs[side],
        recipient="Revisor",
        recipient_kind="private",
        categories=["name"],
        people=[person],
        legal_basis="Bogføringsloven",
        purpose="Revision",
        source="test",
    )


def _outbound_export(world, side: str):
    from gdpr.disclosure import outbound

    lease = world.obj("lease", side)
    return outbound.outbound_export_create(
        organisation=world.orgs[side], kind="tribunal", recipient="Advokat", lease=lease
    )


def _finding(world, side: str):
    import hashlib

    from django.utils import timezone

    from gdpr.models import DiscoveryFinding

    consent_note = f"world-{side}"
    return DiscoveryFinding.objects.create(
        organisation=world.orgs[side],
        kind="cpr",
        source="field",
        model="rentregister.filingconsent",
        object_id="0",
        field="note",
        masked="010180-xxxx",
        value_hash="0" * 64,
        fingerprint=hashlib.sha256(consent_note.encode()).hexdigest(),
        last_seen=timezone.now(),
    )


def _breach(world, side: str):
    from django.utils import timezone

    from gdpr.disclosure import breaches

    return breaches.breach_create(
        organisation=world.orgs[side],
        title=f"Brud {side}",
        description="Testbrud",
        discovered_at=timezone.now(),
        risk="high",
    )


def _processor(world, side: str):
    from gdpr.disclosure import records

    return records.processor_save(
        organisation=world.orgs[side], name=f"Leverandør {side}", role="other", service="Drift"
    )


POLICY: dict[str, Entry] = {
    "gdpr:disclosure_list": Entry(STAFF),
    "gdpr:disclosure_detail": Entry(STAFF, obj="disclosure"),
    "gdpr:person_disclosures": Entry(STAFF),
    "gdpr:export_list": Entry(STAFF),
    "gdpr:export_detail": Entry(STAFF, obj="outbound_export"),
    "gdpr:export_download": Entry(STAFF, obj="outbound_export"),
    "gdpr:market_opt_in": Entry(ADMIN_ONLY),
    "gdpr:finding_list": Entry(STAFF),
    "gdpr:discovery_start": Entry(ADMIN_ONLY),
    "gdpr:finding_redact": Entry(STAFF, obj="finding"),
    "gdpr:finding_dismiss": Entry(STAFF, obj="finding"),
    "gdpr:breach_list": Entry(STAFF),
    "gdpr:breach_detail": Entry(STAFF, obj="breach"),
    "gdpr:breach_people_add": Entry(STAFF, obj="breach"),
    "gdpr:breach_report": Entry(STAFF, obj="breach"),
    "gdpr:breach_notify": Entry(STAFF, obj="breach"),
    "gdpr:breach_close": Entry(STAFF, obj="breach"),
    "gdpr:processor_list": Entry(STAFF, methods={"POST": ADMIN_ONLY}),
    "gdpr:processor_end": Entry(ADMIN_ONLY, obj="processor"),
    "gdpr:processing_record": Entry(STAFF),
    "GET /api/gdpr/disclosures/": Entry(STAFF),
    "GET /api/gdpr/disclosures/{pk}/": Entry(STAFF, obj="disclosure"),
    "GET /api/gdpr/outbound-exports/": Entry(STAFF),
    "GET /api/gdpr/outbound-exports/{pk}/": Entry(STAFF, obj="outbound_export"),
    "GET /api/gdpr/findings/": Entry(STAFF),
    "GET /api/gdpr/findings/{pk}/": Entry(STAFF, obj="finding"),
    "POST /api/gdpr/findings/{pk}/redact/": Entry(STAFF, obj="finding"),
    "POST /api/gdpr/findings/{pk}/dismiss/": Entry(STAFF, obj="finding"),
    "GET /api/gdpr/breaches/": Entry(STAFF),
    "GET /api/gdpr/breaches/{pk}/": Entry(STAFF, obj="breach"),
    "GET /api/gdpr/processors/": Entry(STAFF),
    "GET /api/gdpr/processors/{pk}/": Entry(STAFF, obj="processor"),
}
PUBLIC_FOR_ANONYMOUS: set[str] = set()
BUILDERS: dict = {
    "disclosure": _disclosure,
    "outbound_export": _outbound_export,
    "finding": _finding,
    "breach": _breach,
    "processor": _processor,
}
KWARG_OBJECTS: dict[str, str] = {}

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


POLICY: dict[str, Entry] = {
    "gdpr:disclosure_list": Entry(STAFF),
    "gdpr:disclosure_detail": Entry(STAFF, obj="disclosure"),
    "gdpr:person_disclosures": Entry(STAFF),
}
PUBLIC_FOR_ANONYMOUS: set[str] = set()
BUILDERS: dict = {"disclosure": _disclosure}
KWARG_OBJECTS: dict[str, str] = {}

"""Authorisation-matrix entries and world builders for this area (see areas/__init__.py):
lease documents, consents, objections, restriction, data-subject requests and the contact
form (issue 15)."""

from __future__ import annotations

from tests.security.route_policy import ADMIN_ONLY, APPLICANT, PUBLIC, STAFF, Entry  # noqa: F401

POLICY: dict[str, Entry] = {
    "tenancy:lease_documents": Entry(STAFF, obj="lease"),
    "tenancy:lease_document_download": Entry(STAFF, obj="lease"),
}
PUBLIC_FOR_ANONYMOUS: set[str] = set()


def _lease_document(world, side):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.services import lease_document_upload

    return lease_document_upload(
        lease=world.obj("lease", side),
        kind="contract",
        title="Lejekontrakt",
        upload=SimpleUploadedFile("kontrakt.pdf", b"%PDF-1.4\n%test\n", "application/pdf"),
        actor=world.actor(side),
    )


BUILDERS: dict = {"lease_document": _lease_document}
KWARG_OBJECTS: dict[str, str] = {"document_pk": "lease_document"}

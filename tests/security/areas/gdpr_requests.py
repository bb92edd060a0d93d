"""Authorisation-matrix entries and world builders for this area (see areas/__init__.py):
lease documents, consents, objections, restriction, data-subject requests and the contact
form (issue 15)."""

from __future__ import annotations

from tests.security.route_policy import (  # noqa: F401
    ADMIN_ONLY,
    APPLICANT,
    PUBLIC,
    STAFF,
    Entry,
)

POLICY: dict[str, Entry] = {
    "tenancy:lease_documents": Entry(STAFF, obj="lease"),
    "tenancy:lease_document_download": Entry(STAFF, obj="lease"),
    "gdpr:request_list": Entry(STAFF),
    "gdpr:request_detail": Entry(STAFF, obj="subject_request"),
    "gdpr:request_access": Entry(STAFF, obj="subject_request"),
    "gdpr:request_portability_json": Entry(STAFF, obj="portability_request"),
    "gdpr:request_portability_csv": Entry(STAFF, obj="portability_request"),
    "gdpr:request_erase": Entry(ADMIN_ONLY, obj="subject_request"),
    "gdpr:request_create": Entry(STAFF),
    "gdpr:consent_list": Entry(STAFF),
    "gdpr:consent_give": Entry(STAFF),
    "gdpr:consent_withdraw": Entry(STAFF, obj="gdpr_consent"),
    "gdpr:objection_record": Entry(STAFF),
    "gdpr:objection_withdraw": Entry(STAFF, obj="objection"),
    "gdpr:restriction_start": Entry(STAFF),
    "gdpr:restriction_lift": Entry(STAFF, obj="restriction"),
    "gdpr:enquiry_list": Entry(STAFF),
    "gdpr:enquiry_handled": Entry(STAFF, obj="enquiry"),
    "GET /api/gdpr/requests/": Entry(STAFF),
    "POST /api/gdpr/requests/": Entry(STAFF),
    "GET /api/gdpr/requests/{pk}/": Entry(STAFF, obj="subject_request"),
    "POST /api/gdpr/requests/{pk}/extend/": Entry(STAFF, obj="subject_request"),
    "POST /api/gdpr/requests/{pk}/close/": Entry(STAFF, obj="subject_request"),
    "GET /api/gdpr/consents/": Entry(STAFF),
    "POST /api/gdpr/consents/": Entry(STAFF),
    "GET /api/gdpr/consents/{pk}/": Entry(STAFF, obj="gdpr_consent"),
    "POST /api/gdpr/consents/{pk}/withdraw/": Entry(STAFF, obj="gdpr_consent"),
    "GET /api/gdpr/objections/": Entry(STAFF),
    "POST /api/gdpr/objections/": Entry(STAFF),
    "GET /api/gdpr/objections/{pk}/": Entry(STAFF, obj="objection"),
    "POST /api/gdpr/objections/{pk}/withdraw/": Entry(STAFF, obj="objection"),
    "GET /api/gdpr/restrictions/": Entry(STAFF),
    "POST /api/gdpr/restrictions/": Entry(STAFF),
    "GET /api/gdpr/restrictions/{pk}/": Entry(STAFF, obj="restriction"),
    "POST /api/gdpr/restrictions/{pk}/lift/": Entry(STAFF, obj="restriction"),
    # the public contact form, its receipt and the signed withdrawal link
    "gdpr:contact_form": Entry(PUBLIC),
    "gdpr:contact_thanks": Entry(PUBLIC),
    "gdpr:contact_withdraw": Entry(PUBLIC),
}
PUBLIC_FOR_ANONYMOUS: set[str] = {
    "gdpr:contact_form",
    "gdpr:contact_thanks",
    "gdpr:contact_withdraw",
}


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


def _subject_request(world, side):
    from gdpr.subject.requests import request_create

    return request_create(person=world.obj("person", side), kind="access")


def _portability_request(world, side):
    from gdpr.subject.requests import request_create

    return request_create(person=world.obj("person", side), kind="portability")


def _gdpr_consent(world, side):
    from gdpr.subject.rights import consent_give

    return consent_give(person=world.obj("person", side), purpose="health", evidence="Blanket")


def _objection(world, side):
    from gdpr.subject.rights import objection_record

    return objection_record(person=world.obj("person", side), purpose="marketing")


def _restriction(world, side):
    from gdpr.subject.rights import restriction_start

    return restriction_start(person=world.obj("person", side), reason="Bestrider oplysninger")


def _enquiry(world, side):
    from gdpr.subject.contact import enquiry_submit

    return enquiry_submit(
        organisation=world.orgs[side], name="Ida Interesseret", email="ida@example.dk", home="A1"
    )


BUILDERS: dict = {
    "enquiry": _enquiry,
    "lease_document": _lease_document,
    "subject_request": _subject_request,
    "portability_request": _portability_request,
    "gdpr_consent": _gdpr_consent,
    "objection": _objection,
    "restriction": _restriction,
}
KWARG_OBJECTS: dict[str, str] = {"document_pk": "lease_document"}

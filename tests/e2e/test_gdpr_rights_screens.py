"""The data-subject screens in Chromium (issue 15): the GDPR panel on the person page, a
request with its deadline, the lease documents, the consent register, the enquiries, and
the public contact form; each passes the layout checks of test_layout (Danish, no
overflow, no overlap, no console error). Screenshots go to var/screenshots/gdpr/."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gdpr.subject import contact, requests, rights
from tenancy.services import lease_document_upload
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_layout import CHECKS_JS, ENGLISH, _login
from tests.factories import MembershipFactory, make_lease, make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_gdpr_screens_are_danish_and_unbroken(
    page, live_server, organisation, unit, tmp_path, settings
):
    storages = dict(settings.STORAGES)
    storages["lease_documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }
    settings.STORAGES = storages
    from tenancy.documents import lease_document_storage

    lease_document_storage().reset()
    admin = MembershipFactory(
        organisation=organisation, role="org_admin", user__first_name="Anne"
    ).user
    person = make_person(organisation, name="Karen Bygballe-Kristoffersen", email="k@example.dk")
    lease = make_lease(unit, parties=[person])
    lease_document_upload(
        lease=lease,
        kind="tribunal_ruling",
        title="Huslejenævnets afgørelse om forbedringsforhøjelse",
        upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"),
        actor=admin,
    )
    rights.consent_give(person=person, purpose="health", evidence="Ansøgning om rampe 01.11.2026")
    rights.objection_record(person=person, purpose="market_statistics", note="Ringede ind")
    rights.restriction_start(person=person, reason="Bestrider huslejens størrelse")
    access = requests.request_create(
        person=person, kind="access", received_on=timezone.localdate() - timedelta(days=26)
    )
    erasure = requests.request_create(person=person, kind="erasure")
    contact.enquiry_submit(
        organisation=organisation,
        name="Ida Interesseret",
        email="ida@example.dk",
        phone="12345678",
        home="Strandvejen 12, 2. tv",
        message="Kan jeg se boligen tirsdag?",
    )
    _login(page, live_server, admin)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    out = SCREENSHOTS / "gdpr"
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "person": reverse("tenancy:person_detail", args=[person.pk]),
        "request-access": reverse("gdpr:request_detail", args=[access.pk]),
        "request-erasure": reverse("gdpr:request_detail", args=[erasure.pk]),
        "requests": reverse("gdpr:request_list"),
        "consents": reverse("gdpr:consent_list"),
        "enquiries": reverse("gdpr:enquiry_list"),
        "lease": reverse("tenancy:lease_detail", args=[lease.pk]),
        "documents": reverse("tenancy:lease_documents", args=[lease.pk]),
        "dashboard": reverse("tenancy:dashboard"),
        "contact": reverse("gdpr:contact_form") + f"?udlejer={organisation.pk}",
    }
    problems = []
    for name, path in pages.items():
        errors.clear()
        page.goto(path)
        page.wait_for_load_state("load")
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        found = page.evaluate(CHECKS_JS)
        english = sorted(set(ENGLISH.findall(found["text"])))
        problems += [f"{name}: {p}" for p in found["problems"]]
        problems += [f"{name}: English {english}"] if english else []
        problems += [f"{name}: console {e}" for e in errors]
    assert not problems, "\n".join(problems)
    page.goto(pages["dashboard"])
    assert "GDPR-anmodning skal besvares" in page.content()

"""Lease documents (issue 15): type checked by content, size limited, kept through the
storage API and served only to the organisation's staff."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.errors import DomainError
from tenancy.documents import lease_document_storage
from tenancy.models import LeaseDocument
from tenancy.services import lease_document_upload
from tests.factories import MembershipFactory, make_lease
from tests.security.conftest import verified_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    storages = dict(settings.STORAGES)
    storages["lease_documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "docs")},
    }
    settings.STORAGES = storages
    lease_document_storage().reset()
    yield tmp_path / "docs"
    lease_document_storage().reset()


def _upload(lease, content=PDF, name="kontrakt.pdf", kind="contract", **kwargs):
    return lease_document_upload(
        lease=lease,
        kind=kind,
        title=kwargs.pop("title", "Lejekontrakt"),
        upload=SimpleUploadedFile(name, content, "application/octet-stream"),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_pdf_png_jpeg_are_kept_by_content(unit, caseworker, content, expected, tmp_path):
    lease = make_lease(unit)
    document = _upload(lease, content, name="x.bin", actor=caseworker)
    assert document.content_type == expected
    assert document.uploaded_by == caseworker
    assert document.size == len(content)
    # a random storage name: nothing from the upload's name or the tenant in the path
    assert "x.bin" not in document.file.name
    assert lease.number not in document.file.name
    assert (tmp_path / "docs" / document.file.name).read_bytes() == content


@pytest.mark.parametrize(
    ("content", "name", "field"),
    [
        (b"MZ\x90\x00 not a pdf", "kontrakt.pdf", "file"),  # the name lies
        (b"<html><script>alert(1)</script>", "x.png", "file"),
        (b"", "tom.pdf", "file"),
    ],
)
def test_other_content_is_refused(unit, content, name, field):
    lease = make_lease(unit)
    with pytest.raises(DomainError) as exc:
        _upload(lease, content, name=name)
    assert field in exc.value.message_dict
    assert not LeaseDocument.objects.exists()


def test_size_limit_from_settings(unit, settings):
    settings.LEASE_DOCUMENT_MAX_MB = 1
    lease = make_lease(unit)
    with pytest.raises(DomainError) as exc:
        _upload(lease, PDF + b"0" * (1024 * 1024))
    assert "1 MB" in exc.value.message_dict["file"][0]


def test_kind_and_title_are_required(unit):
    lease = make_lease(unit)
    with pytest.raises(DomainError):
        _upload(lease, kind="selfie")
    with pytest.raises(DomainError):
        _upload(lease, title="  ")


def test_upload_list_excel_and_download_on_the_lease_page(unit, caseworker):
    lease = make_lease(unit)
    client = verified_client(caseworker)
    url = reverse("tenancy:lease_documents", args=[lease.pk])
    response = client.post(
        url,
        {
            "kind": "tribunal_ruling",
            "title": "Huslejenævnets afgørelse",
            "document_date": "2026-03-12",
            "file": SimpleUploadedFile("afgoerelse.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    document = LeaseDocument.objects.get()
    assert document.kind == "tribunal_ruling"
    page = client.get(reverse("tenancy:lease_detail", args=[lease.pk])).content.decode()
    assert "Huslejenævnets afgørelse" in page
    download = client.get(reverse("tenancy:lease_document_download", args=[lease.pk, document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "private" in download["Cache-Control"]
    xlsx = client.get(url + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_refused_upload_is_a_danish_form_error(unit, caseworker):
    lease = make_lease(unit)
    response = verified_client(caseworker).post(
        reverse("tenancy:lease_documents", args=[lease.pk]),
        {
            "kind": "contract",
            "title": "Kontrakt",
            "file": SimpleUploadedFile("k.pdf", b"GIF89a", "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "Filen skal være en PDF, JPEG eller PNG." in response.content.decode()


def test_another_organisations_staff_get_404(unit, other_organisation):
    lease = make_lease(unit)
    document = _upload(lease)
    outsider = MembershipFactory(organisation=other_organisation).user
    response = verified_client(outsider).get(
        reverse("tenancy:lease_document_download", args=[lease.pk, document.pk])
    )
    assert response.status_code == 404


def test_missing_file_is_404_not_500(unit, caseworker):
    lease = make_lease(unit)
    document = _upload(lease)
    document.file.delete(save=False)
    response = verified_client(caseworker).get(
        reverse("tenancy:lease_document_download", args=[lease.pk, document.pk])
    )
    assert response.status_code == 404


def test_documents_in_the_access_bundle_and_kept_on_anonymisation(unit):
    from core import personal_data

    lease = make_lease(unit)
    person = lease.parties.get()
    _upload(lease, title="Lejekontrakt med tillæg")
    subject = personal_data.resolve(
        personal_data.Subject.of(organisation_ids=[unit.organisation_id], person_ids=[person.pk])
    )
    sections = {s.key: s for s in personal_data.collect(subject)}
    assert sections["tenancy.lease_documents"].rows[0]["Titel"] == "Lejekontrakt med tillæg"
    keeps = [k for k in personal_data.must_keep(subject) if k.app == "tenancy.documents"]
    assert len(keeps) == 1
    assert not keeps[0].blocks
    personal_data.anonymise(subject)
    document = LeaseDocument.objects.get()
    assert document.title == "Lejekontrakt med tillæg"
    assert document.file.read() == PDF

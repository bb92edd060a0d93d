"""Lease documents: upload (type checked by content, size limited) and read back through
the storage API. Served only to the organisation's staff (tenancy.views.documents)."""

import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..documents import LeaseDocumentKind
from ..history import record_change
from ..models import Lease, LeaseDocument

# What a file must start with to be accepted, and what it is then (checked on the content,
# never on the name or the browser's claim).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG file's first bytes, else None."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def max_bytes() -> int:
    return settings.LEASE_DOCUMENT_MAX_MB * 1024 * 1024


def lease_document_upload(
    *,
    lease: Lease,
    kind: str,
    title: str,
    upload: UploadedFile,
    document_date=None,
    actor=None,
) -> LeaseDocument:
    """Keep a document on the lease. Refused: an unknown kind, a missing title, an empty
    or too large file, or content that is not a PDF, JPEG or PNG."""
    if kind not in LeaseDocumentKind.values:
        raise DomainError({"kind": [_("Vælg dokumentets type.")]})
    title = (title or "").strip()
    if not title:
        raise DomainError({"title": [_("Skriv en titel på dokumentet.")]})
    if len(title) > 200:
        raise DomainError({"title": [_("Titlen må højst være 200 tegn.")]})
    size = upload.size or 0
    if size == 0:
        raise DomainError({"file": [_("Filen er tom.")]})
    if size > max_bytes():
        raise DomainError(
            {
                "file": [
                    _("Filen er for stor: højst %d MB.") % settings.LEASE_DOCUMENT_MAX_MB,
                ]
            }
        )
    upload.seek(0)
    sniffed = sniff_type(upload.read(16))
    upload.seek(0)
    if sniffed is None:
        raise DomainError({"file": [_("Filen skal være en PDF, JPEG eller PNG.")]})
    content_type, extension = sniffed
    document = LeaseDocument(
        organisation_id=lease.organisation_id,
        lease=lease,
        kind=kind,
        title=title,
        document_date=document_date,
        original_name=(upload.name or "")[-200:] or f"dokument.{extension}",
        content_type=content_type,
        size=size,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # A random name: nothing about the tenant in a storage path or bucket listing.
    name = f"org-{lease.organisation_id}/lease-{lease.pk}/{uuid.uuid4().hex}.{extension}"
    document.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            document.save()
            record_change(
                instance=document,
                action="document_uploaded",
                actor=actor,
                before=None,
                after={
                    "lease": lease.pk,
                    "kind": kind,
                    "title": title,
                    "content_type": content_type,
                    "size": size,
                },
                # linked to the tenants, so anonymising them scrubs a title naming them here
                people=list(lease.parties.all()),
            )
    except Exception:
        document.file.delete(save=False)  # no orphan file when the row is not kept
        raise
    return document

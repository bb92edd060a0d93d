"""Lease documents in the admin: read-only (uploads go through the lease page and
tenancy.services.lease_document_upload, which checks type and size)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from ..models import LeaseDocument


@admin.register(LeaseDocument)
class LeaseDocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "lease", "content_type", "size", "uploaded_at", "uploaded_by"]
    list_filter = ["kind", "organisation"]
    search_fields = ["title", "lease__number"]
    list_select_related = ["lease", "uploaded_by"]
    exclude = ["file"]  # no storage link in the admin: files are served by the lease page
    ordering = ["-uploaded_at", "-pk"]

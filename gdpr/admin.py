"""Django admin for GDPR records: the reveal log is read-only (append-only by design)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import CprReveal


@admin.register(CprReveal)
class CprRevealAdmin(ReadOnlyAdmin):
    """Who saw which CPR number, when and why. Nobody adds, edits or deletes rows here."""

    list_display = ["at", "user", "person", "organisation", "purpose"]
    list_filter = ["organisation", "at"]
    search_fields = ["user__username", "person__name", "purpose"]
    list_select_related = ["user", "person", "organisation"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    readonly_fields = ["at", "user", "person", "organisation", "purpose"]

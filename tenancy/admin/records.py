"""Read-only records: the change history and the background Excel exports."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from ..history import field_changes
from ..models import ChangeRecord, ExportJob


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    """The change history: read-only, nobody adds, edits or deletes records here."""

    list_display = ["at", "action", "content_type", "object_repr", "actor", "organisation"]
    list_filter = ["organisation", "action", "content_type"]
    search_fields = ["object_repr", "=request_id", "actor__username"]
    list_select_related = ["actor", "organisation", "content_type"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    fields = [
        "at",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "actor",
        "organisation",
        "request_id",
        "changes",
        "before",
        "after",
    ]
    readonly_fields = fields

    @admin.display(description=_("Ændrede felter"))
    def changes(self, obj):
        return format_html_join(
            "", "<div>{}: {} → {}</div>", ((c.name, c.before, c.after) for c in field_changes(obj))
        )


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Background Excel exports: read-only (the owner downloads from the job page)."""

    list_display = ["pk", "kind", "user", "organisation", "status", "done", "total", "created_at"]
    list_filter = ["status", "kind", "organisation"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

"""Admin for the security log (core.models.SecurityEvent): read-only, filterable, and
downloadable as Excel by admins (the filtered list, as the changelist shows it)."""

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin import ReadOnlyAdmin
from .excel import Column, xlsx_filename, xlsx_response
from .models import SecurityEvent

EXCEL_MAX_ROWS = 100_000


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "user", "channel", "path", "object_type", "object_id"]
    list_filter = ["kind", "channel", "at"]
    search_fields = ["user__username", "object_id"]
    list_select_related = ["user"]
    date_hierarchy = "at"
    readonly_fields = ["at", "kind", "user", "channel", "path", "object_type", "object_id"]
    actions = ["export_excel"]
    change_list_template = "core/admin/security_event_changelist.html"

    def get_urls(self):
        urls = [
            path(
                "excel/",
                self.admin_site.admin_view(self.excel_view),
                name="core_securityevent_excel",
            )
        ]
        return urls + super().get_urls()

    def excel_view(self, request):
        """The changelist's filtered rows (same GET filters) as an Excel file."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request)[:EXCEL_MAX_ROWS]
        return self._excel(rows)

    @admin.action(description=gettext_lazy("Hent valgte som Excel"))
    def export_excel(self, request, queryset):
        return self._excel(queryset.select_related("user")[:EXCEL_MAX_ROWS])

    @staticmethod
    def _excel(rows):
        columns = [
            Column(_("Tidspunkt"), lambda e: e.at, "datetime"),
            Column(_("Hændelse"), lambda e: e.get_kind_display(), width=30),
            Column(_("Bruger"), lambda e: e.user.username if e.user else ""),
            Column(_("Bruger-id"), lambda e: e.user_id, "int"),
            Column(_("Kanal"), lambda e: e.channel),
            Column(_("Adresse"), lambda e: e.path, width=40),
            Column(_("Objekttype"), lambda e: e.object_type),
            Column(_("Objekt-id"), lambda e: e.object_id),
        ]
        return xlsx_response(
            filename=xlsx_filename("sikkerhedslog"),
            title=_("Sikkerhedslog"),
            columns=columns,
            rows=rows,
        )

"""Admin for CPR lookups. The lookup log, its answers and the ledger are read-only (no add,
change or delete); scans and the derived occupancy data can be inspected, not edited."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import (
    CprCharge,
    CprLookup,
    CprLookupResident,
    CprRegistration,
    OccupancyEvent,
    ScanItem,
    ScanJob,
    ScanSetting,
    UnitOccupancy,
)


class ResidentInline(admin.TabularInline):
    model = CprLookupResident
    fields = ["cpr_masked", "name", "protected", "move_in", "move_out", "floor", "door", "unit"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CprLookup)
class CprLookupAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "organisation",
        "user",
        "source",
        "target_label",
        "purpose",
        "outcome",
        "result_count",
    ]
    list_filter = ["source", "outcome", "target_kind", "organisation"]
    search_fields = ["target_label", "purpose"]
    date_hierarchy = "at"
    inlines = [ResidentInline]
    list_select_related = ["organisation", "user"]


@admin.register(CprCharge)
class CprChargeAdmin(ReadOnlyAdmin):
    list_display = ["at", "month", "organisation", "user", "source", "amount", "key"]
    list_filter = ["month", "source", "organisation"]
    list_select_related = ["organisation", "user"]


@admin.register(ScanSetting)
class ScanSettingAdmin(admin.ModelAdmin):
    list_display = ["organisation", "enabled", "updated_at", "updated_by"]
    list_filter = ["enabled"]
    readonly_fields = ["updated_at", "updated_by"]


class ScanItemInline(admin.TabularInline):
    model = ScanItem
    fields = [
        "entrance",
        "status",
        "attempts",
        "claimed_at",
        "finished_at",
        "result_count",
        "error",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status="done").select_related("entrance")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScanJob)
class ScanJobAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "organisation",
        "status",
        "total",
        "done",
        "failed",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "scheduled", "organisation"]
    inlines = [ScanItemInline]


@admin.register(UnitOccupancy)
class UnitOccupancyAdmin(ReadOnlyAdmin):
    list_display = ["unit", "organisation", "status", "registered_count", "computed_at"]
    list_filter = ["status", "organisation"]
    list_select_related = ["unit__entrance", "organisation"]


@admin.register(CprRegistration)
class CprRegistrationAdmin(ReadOnlyAdmin):
    list_display = [
        "unit",
        "cpr_masked",
        "protected",
        "move_in",
        "move_out",
        "changed_at",
        "looked_up_at",
    ]
    list_filter = ["protected", "organisation"]
    exclude = ["cpr_encrypted"]
    list_select_related = ["unit__entrance", "unit__occupancy"]

    @admin.display(description=_("senest bekræftet af CPR"))
    def looked_up_at(self, obj):
        occupancy = getattr(obj.unit, "occupancy", None)
        return occupancy.looked_up_at if occupancy is not None else None


@admin.register(OccupancyEvent)
class OccupancyEventAdmin(ReadOnlyAdmin):
    list_display = ["detected_at", "kind", "date", "unit", "cpr_masked", "lease"]
    list_filter = ["kind", "organisation"]
    list_select_related = ["unit__entrance", "lease"]

"""Admin of the retention schedule: administrators change a rule's period, basis and
whether it is in force (every change records who made it); runs are read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from ..models import RetentionKept, RetentionRule, RetentionRun


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    """The categories come with the code (each is carried out by the app holding the data),
    so rules are changed, never added or deleted here."""

    list_display = ["title", "period", "unit", "action", "enabled", "updated_at", "updated_by"]
    list_editable = ["enabled"]
    list_filter = ["enabled", "action"]
    ordering = ["position", "pk"]
    readonly_fields = ["key", "updated_at", "updated_by"]
    fields = [
        "key",
        "title",
        "description",
        ("period", "unit"),
        "starts",
        "action",
        "legal_basis",
        "enabled",
        "position",
        "updated_at",
        "updated_by",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class RetentionKeptInline(admin.TabularInline):
    model = RetentionKept
    extra = 0
    can_delete = False
    fields = ["key", "person_id", "applicant_id", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "started_by", "status", "total", "done"]
    list_filter = ["status", "scheduled"]
    list_select_related = ["organisation", "started_by"]
    date_hierarchy = "created_at"
    inlines = [RetentionKeptInline]

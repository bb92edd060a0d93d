"""Admin base classes every app shares."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: nothing here may be created, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The security log's admin (issue 17) lives beside this base class.
from . import security_admin  # noqa: E402, F401

"""Organisations, their departments, users and memberships (roles)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ..models import Department, Membership, Organisation

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "organisation"]


class OrganisationMembershipInline(MembershipInline):
    fk_name = "organisation"
    autocomplete_fields = ["user"]


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    autocomplete_fields = ["organisation"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "cvr",
        "kind",
        "dwellings_owned",
        "cpr_service_registered",
        "cpr_service_registered_since",
    ]
    list_filter = ["kind", "cpr_service_registered"]
    search_fields = ["name", "=cvr"]
    ordering = ["name"]
    readonly_fields = ["created_at"]
    inlines = [OrganisationMembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    ordering = ["organisation__name", "user__username"]


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class BoligkontorUserAdmin(UserAdmin):
    """Django's user admin plus the user's organisation memberships and roles."""

    inlines = [*UserAdmin.inlines, UserMembershipInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["number", "name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    ordering = ["organisation__name", "number"]

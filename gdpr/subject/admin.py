"""Django admin for the data subject's side (issue 15): read-only, because every row is
written through a service that checks the rules and records the change history (the
screens under /gdpr/ and /api/gdpr/)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from ..models import Consent, ContactEnquiry, Objection, Restriction, SubjectRequest


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["person", "purpose", "basis", "given_at", "given_by", "withdrawn_at"]
    list_filter = ["purpose", "basis", "organisation"]
    list_select_related = ["person", "given_by"]
    ordering = ["-given_at", "-pk"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["person", "purpose", "recorded_at", "withdrawn_at"]
    list_filter = ["purpose", "organisation"]
    list_select_related = ["person"]
    ordering = ["-recorded_at", "-pk"]


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyAdmin):
    list_display = ["person", "started_at", "lifted_at", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["person", "organisation"]
    ordering = ["-started_at", "-pk"]


@admin.register(SubjectRequest)
class SubjectRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "person", "received_on", "deadline", "extended", "status"]
    list_filter = ["kind", "status", "organisation"]
    list_select_related = ["person"]
    date_hierarchy = "received_on"
    ordering = ["deadline", "pk"]


@admin.register(ContactEnquiry)
class ContactEnquiryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "name", "email", "home", "organisation", "handled_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    ordering = ["-created_at", "-pk"]

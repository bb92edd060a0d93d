"""Django admin for the rent register: every model; the operating plan is edited here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    Filing,
    FilingConsent,
    NotificationContact,
    PayoutDeadline,
    Rehousing,
    UdkTask,
)


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ("pk", "lease", "kind", "state", "effective_date", "attempts", "created_at")
    list_filter = ("state", "kind", "is_correction")
    search_fields = ("lease__number",)
    raw_id_fields = ("lease", "change_record", "actor", "resolved_by")
    readonly_fields = ("idempotency_key", "payload", "receipt_id", "receipt_version", "created_at")


@admin.register(FilingConsent)
class FilingConsentAdmin(ReadOnlyAdmin):
    """Read-only: consent is recorded and withdrawn on the person page (rentregister's
    panel), which also files the person's active leases again; a row edited here would
    not reach the register."""

    list_display = ("person", "given_at", "withdrawn_at", "recorded_by", "note")
    list_filter = ("withdrawn_at",)
    raw_id_fields = ("person", "recorded_by")


@admin.register(UdkTask)
class UdkTaskAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "status", "created_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("lease", "filing", "done_by")


@admin.register(Rehousing)
class RehousingAdmin(admin.ModelAdmin):
    list_display = ("lease", "kind", "placement", "start_date", "end_date", "status")
    list_filter = ("kind", "status")
    raw_id_fields = ("lease", "temporary_unit", "new_lease", "created_by")


@admin.register(PayoutDeadline)
class PayoutDeadlineAdmin(admin.ModelAdmin):
    list_display = ("benefit_month", "cutoff_date", "payout_date")
    date_hierarchy = "cutoff_date"


@admin.register(NotificationContact)
class NotificationContactAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "organisation", "active")
    list_filter = ("active",)

"""Django admin for the waiting list. Cooperations, their members, fee schedules and unit
listings are set up here; applicants, money and messages are read-only (they change only
through the services, so seniority and payments are never edited by hand)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    Applicant,
    ApplicantEvent,
    Application,
    Cooperation,
    CooperationMember,
    FeeSchedule,
    Invoice,
    Message,
    Payment,
    PaymentSession,
    PrintBatch,
    UnitListing,
    WebhookEvent,
)


class MemberInline(admin.TabularInline):
    model = CooperationMember
    extra = 1
    autocomplete_fields = ["organisation"]


@admin.register(Cooperation)
class CooperationAdmin(admin.ModelAdmin):
    list_display = ["name", "renewal_lead_days", "reminder_days", "created_at"]
    inlines = [MemberInline]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ReadOnlyAdmin):
    """Created through the caseworker screen (the notice rule is checked there)."""

    list_display = [
        "cooperation",
        "channel",
        "valid_from",
        "announced_at",
        "signup_fee",
        "renewal_fee",
    ]
    list_filter = ["cooperation", "channel"]


@admin.register(UnitListing)
class UnitListingAdmin(admin.ModelAdmin):
    list_display = ["unit", "let_through_joint_list", "municipality_allocated"]
    list_filter = ["let_through_joint_list", "municipality_allocated"]
    raw_id_fields = ["unit"]


class ApplicationInline(admin.TabularInline):
    model = Application
    fields = ["list_type", "status", "seniority_date", "paid_until", "reminder_deadline"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "name",
        "cpr_masked",
        "cooperation",
        "channel",
        "debt",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["cooperation", "channel"]
    search_fields = ["name", "email", "=id"]
    exclude = ["cpr_encrypted", "cpr_hash", "search_text"]
    inlines = [ApplicationInline]
    show_full_result_count = False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "applicant",
        "kind",
        "period_start",
        "amount",
        "due_date",
        "status",
        "reminder_deadline",
    ]
    list_filter = ["kind", "status"]
    raw_id_fields = ["applicant", "application"]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "applicant", "amount", "paid_on", "method", "provider_payment_id"]
    list_filter = ["method"]
    show_full_result_count = False


@admin.register(PaymentSession)
class PaymentSessionAdmin(ReadOnlyAdmin):
    list_display = ["provider_session_id", "applicant", "amount", "status", "created_at", "paid_at"]
    list_filter = ["status"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "received_at", "signature_ok", "outcome"]
    list_filter = ["outcome", "signature_ok"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "applicant",
        "channel",
        "kind",
        "subject",
        "status",
        "created_at",
        "sent_at",
    ]
    list_filter = ["channel", "status", "kind"]
    show_full_result_count = False


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "cooperation", "created_at", "created_by", "letter_count"]


@admin.register(ApplicantEvent)
class ApplicantEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "applicant", "kind", "text", "actor"]
    list_filter = ["kind"]
    show_full_result_count = False


# Letting (issue 14): waitlist/admin_letting.py
from . import admin_letting  # noqa: E402, F401

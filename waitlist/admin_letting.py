"""Django admin for letting (issue 14): the cooperation's letting rules are set here;
vacancies, rounds, the stored rankings, offers, referrals and holds are read-only (they
change only through the services, so no home is assigned by hand)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models_letting import (
    LettingHold,
    LettingRules,
    MunicipalReferral,
    Offer,
    OfferRound,
    RankingEntry,
    Vacancy,
)


@admin.register(LettingRules)
class LettingRulesAdmin(admin.ModelAdmin):
    list_display = [
        "cooperation",
        "offers_per_round",
        "answer_days",
        "lapses_before_hold",
        "max_persons_per_room",
        "max_extra_rooms",
        "existing_tenants_first",
    ]


class OfferInline(admin.TabularInline):
    model = Offer
    fields = ["round", "rank", "application", "channel", "deadline", "status", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Vacancy)
class VacancyAdmin(ReadOnlyAdmin):
    list_display = ["unit", "list_type", "rooms", "rent", "move_in_date", "status", "created_at"]
    list_filter = ["status", "list_type", "cooperation"]
    raw_id_fields = ["unit", "ended_lease", "new_lease", "assigned_offer"]
    inlines = [OfferInline]


@admin.register(OfferRound)
class OfferRoundAdmin(ReadOnlyAdmin):
    list_display = ["vacancy", "number", "started_at", "deadline", "status", "scanned"]
    list_filter = ["status"]


@admin.register(RankingEntry)
class RankingEntryAdmin(ReadOnlyAdmin):
    list_display = ["round", "position", "application", "seniority_date", "rank", "reason"]
    list_filter = ["reason"]
    raw_id_fields = ["application"]


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["vacancy", "rank", "application", "channel", "deadline", "status", "outcome"]
    list_filter = ["status", "outcome", "channel"]
    raw_id_fields = ["application", "applicant"]


@admin.register(MunicipalReferral)
class MunicipalReferralAdmin(ReadOnlyAdmin):
    list_display = ["unit", "vacant_from", "status", "created_at"]
    list_filter = ["status"]


@admin.register(LettingHold)
class LettingHoldAdmin(ReadOnlyAdmin):
    list_display = ["applicant", "reason", "created_at", "lifted_at"]
    raw_id_fields = ["applicant"]

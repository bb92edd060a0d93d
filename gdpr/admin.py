"""Django admin for GDPR records: the reveal log is read-only (append-only by design)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import CprReveal


@admin.register(CprReveal)
class CprRevealAdmin(ReadOnlyAdmin):
    """Who saw which CPR number, when and why. Nobody adds, edits or deletes rows here."""

    list_display = ["at", "user", "person", "organisation", "purpose"]
    list_filter = ["organisation", "at"]
    search_fields = ["user__username", "person__name", "purpose"]
    list_select_related = ["user", "person", "organisation"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    readonly_fields = ["at", "user", "person", "organisation", "purpose"]


# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)
from .models import Disclosure  # noqa: E402


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    """The disclosure log: append-only, read here, written by the services."""

    list_display = ["at", "recipient", "recipient_kind", "person_count", "source", "actor"]
    list_filter = ["organisation", "recipient_kind", "source"]
    search_fields = ["recipient", "purpose", "reference"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    readonly_fields = [
        "at",
        "organisation",
        "recipient",
        "recipient_kind",
        "categories",
        "legal_basis",
        "purpose",
        "source",
        "reference",
        "actor",
        "person_count",
    ]
    exclude = ["people"]


from .models import MarketStatisticsOptIn, OutboundExport  # noqa: E402


@admin.register(OutboundExport)
class OutboundExportAdmin(ReadOnlyAdmin):
    """Produced outbound exports (made through the screens, so the disclosure is logged)."""

    list_display = ["created_at", "kind", "recipient", "status", "total", "created_by"]
    list_filter = ["organisation", "kind", "status"]
    search_fields = ["recipient", "description"]
    ordering = ["-created_at", "-pk"]


@admin.register(MarketStatisticsOptIn)
class MarketStatisticsOptInAdmin(ReadOnlyAdmin):
    """Set on the exports screen by an organisation administrator (who and when kept)."""

    list_display = ["organisation", "opted_in", "changed_at", "changed_by"]


from .models import DiscoveryFinding, DiscoveryRun  # noqa: E402


@admin.register(DiscoveryRun)
class DiscoveryRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "status", "values_scanned", "files_scanned", "findings"]
    ordering = ["-created_at", "-pk"]


@admin.register(DiscoveryFinding)
class DiscoveryFindingAdmin(ReadOnlyAdmin):
    """Every finding, also those of no single organisation (the joint waiting list, files
    the product did not write): superusers see them here. Values are masked."""

    list_display = [
        "last_seen",
        "kind",
        "masked",
        "organisation",
        "model",
        "field",
        "path",
        "status",
    ]
    list_filter = ["status", "kind", "source", "organisation"]
    search_fields = ["masked", "model", "path"]
    ordering = ["-last_seen", "-pk"]
    exclude = ["value_hash", "fingerprint"]


from .models import Breach  # noqa: E402


@admin.register(Breach)
class BreachAdmin(ReadOnlyAdmin):
    """The breach register (recorded and handled on the GDPR screens)."""

    list_display = ["discovered_at", "title", "organisation", "risk", "reported_at", "closed_at"]
    list_filter = ["organisation", "risk"]
    search_fields = ["title", "authority_reference"]
    ordering = ["-discovered_at", "-pk"]


from .models import Processor  # noqa: E402


@admin.register(Processor)
class ProcessorAdmin(ReadOnlyAdmin):
    """Processors and sub-processors per owner (registered on the GDPR screens)."""

    list_display = ["name", "organisation", "role", "country", "agreement_date", "agreement_ends"]
    list_filter = ["organisation", "role"]
    search_fields = ["name", "cvr"]

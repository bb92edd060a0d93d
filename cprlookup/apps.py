from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CprlookupConfig(AppConfig):
    name = "cprlookup"
    verbose_name = _("CPR-opslag")

    def ready(self) -> None:
        """The dashboard's occupancy disagreements and failed scans; the 392-style status
        recomputed when a lease or a unit's field 322 changes."""
        from tenancy import hooks

        from . import occupancy_refresh, selectors, views

        hooks.attention_items.register(selectors.attention_items)
        hooks.dashboard_panels.register(views.dashboard_panel)
        hooks.person_panels.register(views.person_panel)
        hooks.lease_changed.register(occupancy_refresh.lease_changed)
        hooks.unit_changed.register(occupancy_refresh.unit_changed)

        # what the app holds about a person, for gdpr (core.personal_data)
        from core.personal_data import registry

        from .personal_data import CprLookupPersonalData

        registry.register(CprLookupPersonalData())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CprlookupConfig(AppConfig):
    name = "cprlookup"
    verbose_name = _("CPR-opslag")

    def ready(self) -> None:
        """The dashboard's occupancy disagreements and failed scans."""
        from tenancy import hooks

        from . import selectors

        hooks.attention_items.register(selectors.attention_items)

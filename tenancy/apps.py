from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Portefølje og lejemål")

    def ready(self) -> None:
        """What tenancy holds about a person, for gdpr (core.personal_data)."""
        from core.personal_data import registry

        from .personal_data import TenancyPersonalData

        registry.register(TenancyPersonalData())

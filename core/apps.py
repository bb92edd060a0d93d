from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares and no business rule: errors, CPR handling, the Excel writer,
    admin and API base pieces, template tags, pagination and the hook registries' type."""

    name = "core"
    verbose_name = _("Fælles")

    def ready(self) -> None:
        from . import personal_data
        from .security import connect_signals

        connect_signals()
        personal_data.registry.register(personal_data.CorePersonalData())

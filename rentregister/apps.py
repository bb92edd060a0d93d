from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentregisterConfig(AppConfig):
    name = "rentregister"
    verbose_name = _("Huslejeregister")

    def ready(self) -> None:
        """Plug the rent register into tenancy: file every lease and unit change (inside
        the change's transaction), the consent panel on the person page, the dashboard's
        filing and UDK warnings."""
        from tenancy import hooks

        from . import outbox, selectors, views

        hooks.lease_changed.register(outbox.lease_changed)
        hooks.unit_changed.register(outbox.unit_changed)
        hooks.person_panels.register(views.person_panel)
        hooks.lease_panels.register(views.lease_panel)
        hooks.dashboard_panels.register(views.dashboard_panel)
        hooks.attention_items.register(selectors.attention_items)
        # issue 12 (fidelity): a tenant's CPR move during a temporary rehousing
        from .services import sync

        hooks.person_moved.register(sync.person_moved)

        # what the app holds about a person, for gdpr (core.personal_data)
        from core.personal_data import registry

        from .personal_data import RentRegisterPersonalData

        registry.register(RentRegisterPersonalData())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = _("Venteliste")

    def ready(self) -> None:
        from core.personal_data import registry
        from tenancy import hooks

        from .personal_data import WaitlistPersonalData
        from .selectors_letting import attention_items
        from .services.letting import lease_changed
        from .views.letting import lease_panel

        # Letting (issue 14): an ended lease on a list unit makes a vacancy (in the lease
        # change's transaction); vacancies and answers due on the dashboard; the lease page says
        # which vacancy a lease made or was let from.
        hooks.lease_changed.register(lease_changed)
        hooks.attention_items.register(attention_items)
        hooks.lease_panels.register(lease_panel)
        # What the waiting list holds about an applicant, for gdpr (core.personal_data).
        registry.register(WaitlistPersonalData())

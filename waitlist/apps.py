from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaitlistConfig(AppConfig):
    name = "waitlist"
    verbose_name = _("Venteliste")

    def ready(self) -> None:
        """What the waiting list holds about an applicant, for gdpr (core.personal_data)."""
        from core.personal_data import registry

        from .personal_data import WaitlistPersonalData

        registry.register(WaitlistPersonalData())

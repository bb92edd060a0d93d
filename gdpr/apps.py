from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = _("Persondata (GDPR)")

    def ready(self) -> None:
        """Every full CPR number shown is logged here (tenancy refuses to show one when no
        app logs it)."""
        from tenancy import hooks

        from . import services

        hooks.cpr_reveal_loggers.register(services.cpr_reveal_log)

        # -- retention schedule, runs and anonymisation (issue 15)
        from core.personal_data import registry

        from .personal_data import GdprPersonalData
        from .retention import admin, panels, tasks  # noqa: F401 - admin and Celery register

        registry.register(GdprPersonalData())
        hooks.person_panels.register(panels.person_panel)

        # -- data-subject requests, consents, contact form (issue 15)
        from .subject import rights

        hooks.cpr_storage_guards.register(rights.cpr_storage_guard)
        from .subject import requests as subject_requests

        hooks.attention_items.register(subject_requests.attention_items)
        from .subject import views as subject_views

        hooks.person_panels.register(subject_views.person_panel)
        # -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)
        # the contact form's six months: a category of gret's retention schedule
        from core.personal_data import registry as _registry

        from .disclosure import breaches
        from .disclosure import log as disclosure_log
        from .disclosure import panels as disclosure_panels
        from .disclosure import tasks as disclosure_tasks  # noqa: F401 - registers the tasks
        from .subject.personal_data import ContactEnquiriesRetention

        _registry.register(ContactEnquiriesRetention())

        hooks.personal_data_disclosed.register(disclosure_log.disclosures_record)
        hooks.attention_items.register(breaches.attention_items)
        hooks.person_panels.register(disclosure_panels.person_panel)

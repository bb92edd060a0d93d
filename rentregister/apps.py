from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentregisterConfig(AppConfig):
    name = "rentregister"
    verbose_name = _("Huslejeregister")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Portefølje og lejemål")

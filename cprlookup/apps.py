from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CprlookupConfig(AppConfig):
    name = "cprlookup"
    verbose_name = _("CPR-opslag")

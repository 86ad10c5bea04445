from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    """The import pipeline (reading, checking, writing files of rows) and the import jobs of the browser.

    Knows no domain: the apps above register what can be imported (`imports.registry`) in their ready().
    """

    name = "imports"
    verbose_name = _("Imports")

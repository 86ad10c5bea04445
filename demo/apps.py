from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The seed's story as demo data (`manage.py load_demo`) and, in demo mode, a live campaign that moves.

    It sits above every domain app: it writes through their services and models, and nothing imports it.
    """

    name = "demo"
    verbose_name = _("Demo data")

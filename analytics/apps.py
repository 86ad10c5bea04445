from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # What analytics adds to the floors below: segments for the members pages and filters.
        from members import segments

        from .selectors import SegmentProvider

        segments.register(SegmentProvider())

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: money, dates, access helpers and the UI template tags every app shares. No models."""

    name = "core"
    verbose_name = "core"

from django.apps import AppConfig


class CommunityopsConfig(AppConfig):
    name = "communityops"
    verbose_name = "communityops"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

from django.apps import AppConfig


class CommunityopsConfig(AppConfig):
    name = "communityops"
    verbose_name = "communityops"

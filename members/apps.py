from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and groups")

    def ready(self) -> None:
        from imports import registry

        from .importers import GROUPS, MEMBERS, run_groups_import, run_members_import

        registry.register(registry.Importer("groups", _("Groups"), GROUPS, run_groups_import, position=10))
        registry.register(registry.Importer("members", _("Members"), MEMBERS, run_members_import, position=20))

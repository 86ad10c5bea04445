from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and groups")

    def ready(self) -> None:
        from imports import registry

        from .importers.groups import GROUPS, groups_import
        from .importers.members import MEMBERS, members_import

        registry.register(registry.Importer("groups", _("Groups"), GROUPS, groups_import, position=10))
        registry.register(registry.Importer("members", _("Members"), MEMBERS, members_import, position=20))

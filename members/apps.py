from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members and groups")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from imports import registry

        from .importers import GROUPS, MEMBERS, run_groups_import, run_members_import
        from .models import Group

        registry.register(registry.Importer("groups", _("Groups"), GROUPS, run_groups_import, position=10))
        registry.register(registry.Importer("members", _("Members"), MEMBERS, run_members_import, position=20))
        post_save.connect(_group_saved, sender=Group, dispatch_uid="members.group_saved")


def _group_saved(sender, instance, **kwargs) -> None:
    from .signals import send_groups_changed

    send_groups_changed([instance.pk])

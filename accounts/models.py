"""The roles as the Django admin shows them. A role is a Django auth group (`core.roles`); the project's
catalogue translates "group" as 群 (a WeChat group), so the admin lists roles through this proxy, named 角色."""

from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from core.roles import role_label


class RoleGroup(Group):
    class Meta:
        proxy = True
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return role_label(self.name)

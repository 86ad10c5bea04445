"""The four roles of the team. Each is a Django auth Group (created by the apps' data migrations, each
granting its own permissions); a user may hold several. Access is decided by permissions, never by role
names: roles only pick a user's start page and label them in the header."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    AGENT = "agent", _("Customer-service agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_communityops_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._communityops_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def role_label(name: str) -> str:
    """A role's name as people read it (运营, 客服, 经理, 管理员); another auth group's name as it is."""
    return str(Role(name).label) if name in Role.values else name

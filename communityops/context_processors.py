from core.roles import Role, user_roles

from .navigation import admin_menu_for, menu_for

_ROLE_ORDER = [Role.ADMIN, Role.MANAGER, Role.OPERATOR, Role.AGENT]


def navigation(request):
    """The current user's roles and menu, so the base layout shows each role only what it may open.

    Lazy: a partial that never touches the menu costs nothing (no reverse(), no permission query).
    """
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")

    def roles():
        return user_roles(user) if user is not None else set()

    def role_labels():
        held = roles()
        return [role.label for role in _ROLE_ORDER if role in held]

    return {
        "roles": roles(),
        "role_labels": role_labels,
        "nav_menu": lambda: menu_for(user, path),
        "nav_admin_menu": lambda: admin_menu_for(user, path),
    }

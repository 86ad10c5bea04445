"""Who may open what: the one helper every view uses to check access.

Access is decided by Django permissions, which the roles (auth groups) carry; views never test role names.
A forbidden page raises `PermissionDenied`, which Django answers with `templates/403.html` (status 403).
Anonymous users never get here: `LoginRequiredMiddleware` sends them to the login page first. The role ×
page matrix is in `communityops/navigation.py`.
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied


def can(user, *perms: str) -> bool:
    """True when `user` is logged in and holds every permission in `perms`."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perms(perms))


def require(user, *perms: str) -> None:
    """Raise PermissionDenied (answered with the 403 page) unless `user` holds every permission in `perms`."""
    if not can(user, *perms):
        raise PermissionDenied


def require_perms(*perms: str) -> Callable:
    """View decorator: `@require_perms(VIEW_MEMBERS)`; 403 when the user lacks any of `perms`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.user, *perms)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_staff(user) -> bool:
    """Staff pages (the Django admin, the health page) are for active `is_staff` users only, whatever their role."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def require_staff(user) -> None:
    """Raise PermissionDenied (the 403 page) unless `user` is active staff."""
    if not is_staff(user):
        raise PermissionDenied

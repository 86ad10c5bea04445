from django.shortcuts import redirect

from .roles import Role, has_role


def home(request):
    """Send each role to the page it starts its day on."""
    if has_role(request.user, Role.ADMIN, Role.OPERATOR, Role.MANAGER):
        return redirect("members:group-list")
    return redirect("members:member-list")

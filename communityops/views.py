from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.access import can
from core.roles import Role, has_role
from members.permissions import VIEW_GROUPS, VIEW_MEMBERS
from outreach.permissions import WORK_TASKS

from .navigation import menu_for


def home(request):
    """Send each role to the page it starts its day on: operators, managers and admins to the groups,
    agents to their calls. A user without any role gets the 403 page saying so, not a blank page."""
    if has_role(request.user, Role.ADMIN, Role.OPERATOR, Role.MANAGER) and can(request.user, VIEW_GROUPS):
        return redirect("members:group-list")
    if can(request.user, WORK_TASKS):
        return redirect("outreach:my-calls")
    if can(request.user, VIEW_MEMBERS):
        return redirect("members:member-list")
    menu = menu_for(request.user, request.path)
    if menu:
        return redirect(menu[0].url)
    raise PermissionDenied(_("Your account has no role yet. Ask an admin to give you one."))

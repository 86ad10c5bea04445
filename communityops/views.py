from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.access import can, require_staff
from core.roles import Role, has_role
from members.permissions import VIEW_GROUPS, VIEW_MEMBERS
from outreach.permissions import WORK_TASKS

from .health import worker_health
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


def health(request):
    """The worker and reminder delivery at a glance, for admins (staff): a stalled worker shows here."""
    require_staff(request.user)
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request and not htmx.boosted
    template = "communityops/partials/_health.html" if partial else "communityops/health.html"
    return render(request, template, {"health": worker_health()})

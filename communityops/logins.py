"""Login throttling: what django-axes leaves to the project (the rest is settings, "Login throttling").

Axes counts failed logins in the database (its `AccessAttempt` rows, one per username, address and browser),
refuses a login before any password is checked once the username or the address has failed too often within
the lockout window, and answers with `lockout_response`. Admins unlock early by deleting the rows (Django
admin → access attempts) or with `manage.py axes_reset` / `axes_reset_username NAME` / `axes_reset_ip IP`.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: the per-user limit; `LoginThrottleHandler.get_failures` counts on its scale."""
    return settings.LOGIN_FAILURES_PER_USER


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter, and a narrower reset on success."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures that count against this login, on the scale of the per-user limit.

        Axes compares one number with one limit (AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_USER). The address
        has its own, higher limit, because a whole office often shares one address; its count n is scaled:
        n × per_user // per_ip reaches per_user exactly when n reaches per_ip.
        """
        per_user = max(1, settings.LOGIN_FAILURES_PER_USER)
        per_ip = max(1, settings.LOGIN_FAILURES_PER_IP)
        counts = dict.fromkeys(("username", "ip_address"), 0)
        # get_user_attempts gives one queryset per lockout parameter, in AXES_LOCKOUT_PARAMETERS' order.
        for parameter, attempts in zip(
            settings.AXES_LOCKOUT_PARAMETERS, self.get_user_attempts(request, credentials), strict=True
        ):
            counts[parameter] = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        return max(counts["username"], counts["ip_address"] * per_user // per_ip)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget that user's failures from that address, and only those.

        Axes would delete every row of each lockout parameter: the address's too, so a guesser holding one
        valid account could wipe the address's count by logging in to it between guesses.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def lockout_message() -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    if minutes > 0:
        return ngettext(
            "Too many failed logins. Logging in is blocked for %(minutes)d minute; an admin can unblock it sooner.",
            "Too many failed logins. Logging in is blocked for %(minutes)d minutes; an admin can unblock it sooner.",
            minutes,
        ) % {"minutes": minutes}
    return _("Too many failed logins. Logging in is blocked until an admin unblocks it.")


def lockout_response(request, response, credentials):
    """AXES_LOCKOUT_CALLABLE: the login page again, saying why (status 429 Too Many Requests).

    It does not say whether the username or the address is blocked: that would tell a guesser which
    usernames it has been trying exist (it does not: unknown usernames are counted like known ones).
    """
    username = get_client_username(request, credentials) or ""
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", ""),
        "lockout_message": lockout_message(),
    }
    return render(request, "registration/login.html", context, status=429)

"""Template helpers for the campaigns pages: status badges, local times, durations."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

_STATUS = {
    "draft": "secondary",
    "published": "azure",
    "live": "green",
    "ended": "dark",
    "pending": "secondary",
    "sending": "azure",
    "sent": "yellow",
    "done": "green",
    "skipped": "dark",
    "failed": "red",
    "cancelled": "secondary",
}
_KIND = {
    "red_packet": "red",
    "announcement": "blue",
    "teaser": "purple",
    "countdown": "orange",
    "welcome": "green",
    "custom": "secondary",
    "restock": "red",
    "notice": "azure",
}


@register.filter
def campaign_status_class(value) -> str:
    return f"bg-{_STATUS.get(str(value), 'secondary')}-lt"


@register.filter
def kind_class(value) -> str:
    return f"bg-{_KIND.get(str(value), 'secondary')}-lt"


@register.filter
def hm(value) -> str:
    """Local wall time, 'HH:MM'."""
    return "" if value is None else f"{timezone.localtime(value):%H:%M}"


@register.filter
def local_dt(value) -> str:
    """Local 'MM-DD HH:MM'."""
    return "" if value is None else f"{timezone.localtime(value):%m-%d %H:%M}"


@register.filter
def duration_text(value) -> str:
    """A delay as people say it: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    if value is None:
        return ""
    seconds = int(value.total_seconds()) if isinstance(value, dt.timedelta) else int(value)
    if seconds < 60:
        return _("%(n)s s") % {"n": max(0, seconds)}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours}


@register.filter
def step_when(step) -> str:
    """'T−1d 20:00', 'T−10 min', 'every day 08:30', 'day 3 20:00' — a step's timing in the team's shorthand."""
    anchor = {"campaign_start": "T", "campaign_end": _("end"), "group_created": _("day")}.get(step.anchor)
    if step.anchor == "daily":
        return _("every day %(time)s × %(days)s") % {"time": f"{step.at_time:%H:%M}", "days": step.repeat_days}
    if step.anchor == "group_created":
        when = _("day %(n)s") % {"n": step.offset_days + 1}
        return f"{when} {step.at_time:%H:%M}" if step.at_time else f"{when} +{step.offset_minutes} min"
    days = f"{step.offset_days:+d}d" if step.offset_days else ""
    if step.at_time:
        return f"{anchor}{days or '−0'} {step.at_time:%H:%M}".replace("-", "−")
    minutes = f"{step.offset_minutes:+d} min" if step.offset_minutes else ""
    return (f"{anchor}{days}{minutes}" if days or minutes else f"{anchor}").replace("-", "−")

"""Template helpers for the campaigns pages: status badges, local times, durations."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns import playbooks

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
def overdue_text(value) -> str:
    """How late, to the coarsest unit people use: '逾期 40 分钟', '逾期 5 小时', '逾期 3 天'."""
    if value is None:
        return ""
    minutes = max(1, int(value.total_seconds()) // 60)
    if minutes < 60:
        return ngettext("overdue %(n)s minute", "overdue %(n)s minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("overdue %(n)s hour", "overdue %(n)s hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("overdue %(n)s day", "overdue %(n)s days", days) % {"n": days}


@register.filter
def step_when(step) -> str:
    """When a playbook step falls, in words ('开始前 1 天 20:00'); campaigns.playbooks.step_when says it."""
    return playbooks.step_when(step)


@register.filter
def step_title(step) -> str:
    """A step's title with what the step knows filled in and the rest named ('发红包 ¥0.50 × 10「活动时间」')."""
    return playbooks.step_preview(step, step.title)


@register.filter
def step_text(step) -> str:
    return playbooks.step_preview(step, step.text)


@register.filter
def step_red_packet_name(step) -> str:
    """The red packet's name in corner brackets, as the team writes it: '「周四10点」' or '「活动时间」'."""
    return playbooks.step_preview(step, f"「{step.red_packet_name}」") if step.red_packet_name else ""

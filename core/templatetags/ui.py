"""Template helpers for the UI shell every app shares: icons, money, badges, capacity bars, people.

`{% load ui %}` then:
- `{% icon "users" %}` an icon from static/vendor/tabler-icons/sprite.svg (`class_` adds CSS classes);
- `{{ amount|yuan }}` '¥12,345.00', `{{ change|signed_yuan }}` '+¥900' (core.money.yuan, the one formatter);
- `{{ monday|week }}` '11月23日–29日' with the ISO week '2026-W48' after it, smaller (a day or an ISO week key);
- `{{ group|capacity_percent }}` 0–100;
- `{{ group.tier|tier_class }}`, `{{ group.stage|stage_class }}`, `{{ membership.status|status_class }}`
  colour classes for badges.
"""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from core import dates, money
from core.users import user_display_name

register = template.Library()


@register.simple_tag
def icon(name: str, class_: str = "") -> str:
    href = static("vendor/tabler-icons/sprite.svg") + "#" + name
    classes = f"icon {class_}".strip()
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}"></use></svg>', classes, href
    )


@register.filter
def yuan(value) -> str:
    """Money for people: '¥12,345.00', '−¥5,220.00' ('—' for None)."""
    return money.yuan(value)


@register.filter
def signed_yuan(value) -> str:
    """A change of money: '+¥900', '−¥5,100.50', '¥0' ('—' for None)."""
    return money.yuan(value, signed=True, whole=True)


@register.filter
def week(value) -> str:
    """A week for people: its days first, its ISO week second and quieter. Takes a day of the week or an
    ISO week key ('2026-W48'); any other text (a month key, say) is shown as it is."""
    if isinstance(value, str):
        try:
            value = dates.parse_week(value)
        except ValueError:
            return value
    if value is None or value == "":
        return money.DASH
    monday = dates.week_monday(value)
    return format_html(
        '{} <span class="text-secondary small text-nowrap ms-1">{}</span>',
        dates.week_name(monday),
        dates.week_label(monday),
    )


@register.filter
def iso_week(day) -> str:
    """The ISO week key of the week `day` is in ('2026-W48'), for links."""
    return dates.week_label(dates.week_monday(day)) if day else ""


@register.filter
def capacity_percent(group) -> int:
    """Share of the group's capacity taken by open (invited or active) memberships, 0–100."""
    used = getattr(group, "open_count", 0) or 0
    capacity = group.capacity or 1
    return min(100, round(100 * used / capacity))


@register.filter
def capacity_class(percent) -> str:
    """Bar colour: green with room, yellow when filling up, red when (nearly) full."""
    percent = int(percent or 0)
    if percent >= 95:
        return "co-bar-red"
    if percent >= 80:
        return "co-bar-yellow"
    return "co-bar-green"


_TIER = {"daily": "blue", "flash": "orange", "precise": "purple", "super_user": "yellow", "legacy": "secondary"}
_STAGE = {"acquisition": "azure", "retention": "green", "conversion": "orange"}
_SEGMENT = {"potential": "secondary", "new": "azure", "core": "green", "dormant": "orange"}
_STATUS = {
    "active": "green",
    "invited": "azure",
    "left": "secondary",
    "removed": "red",
    "paid": "green",
    "refunded": "red",
}


def _badge(colour: str) -> str:
    return f"bg-{colour}-lt"


@register.filter
def tier_class(value) -> str:
    return _badge(_TIER.get(str(value), "secondary"))


@register.filter
def stage_class(value) -> str:
    return _badge(_STAGE.get(str(value), "secondary"))


@register.filter
def segment_class(value) -> str:
    return _badge(_SEGMENT.get(str(value), "secondary"))


@register.filter
def status_class(value) -> str:
    return _badge(_STATUS.get(str(value), "secondary"))


@register.filter
def person(user) -> str:
    """A user's name as the team writes it: '王磊' or 'Alice Smith'; else the username."""
    return user_display_name(user)


@register.filter
def initials(user) -> str:
    """One letter for the avatar: the first character of the name as `person` writes it."""
    return (person(user) or "?")[:1].upper()

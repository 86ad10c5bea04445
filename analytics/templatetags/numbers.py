"""Filters for the numbers pages: an empty denominator reads "—", never 0.

`{% load numbers %}` then `{{ value|ratio }}` (2 places), `{{ rate|percent }}` ('33.3%'), `{{ amount|signed }}`
('+¥900', '−¥5,100.50'), `{{ grade|grade_class }}`, `{{ stage|stage_label }}`, and
`{% sort_link "gmv" label sort descending query %}` for sortable headers.
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html

from core.money import DASH, yuan
from members.models import Group

register = template.Library()

GRADE_CLASSES = {"A": "bg-green-lt", "B": "bg-blue-lt", "C": "bg-yellow-lt", "D": "bg-secondary-lt"}


@register.filter
def ratio(value, places: int = 2) -> str:
    if value is None:
        return DASH
    return f"{Decimal(value):,.{int(places)}f}"


@register.filter
def percent(value) -> str:
    if value is None:
        return DASH
    return f"{Decimal(value) * 100:.1f}%"


@register.filter
def signed(value) -> str:
    return yuan(value, signed=True, whole=True)


@register.filter
def sign_class(value) -> str:
    """Green for a gain, red for a loss; a number or its JSON text ("-120.00", as the recap keeps it)."""
    if isinstance(value, str):
        value = Decimal(value) if value else None
    if value is None or value == 0:
        return "text-secondary"
    return "text-success" if value > 0 else "text-danger"


@register.filter
def grade_class(grade) -> str:
    return GRADE_CLASSES.get(grade or "", "")


@register.filter
def stage_label(stage) -> str:
    """The stage's name as Group.Stage says it ('—' for none)."""
    return str(Group.Stage(stage).label) if stage in Group.Stage.values else DASH


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def sort_link(key: str, label: str, current: str, descending: bool, query: str) -> str:
    """A header that sorts by `key` (descending first; a second click flips it)."""
    active = key == current
    order = "asc" if active and descending else "desc"
    arrow = (" ↓" if descending else " ↑") if active else ""
    prefix = f"{query}&" if query else ""
    return format_html(
        '<a href="?{}sort={}&amp;order={}" class="co-sort{}" data-sort="{}">{}{}</a>',
        prefix,
        key,
        order,
        " active" if active else "",
        key,
        label,
        arrow,
    )

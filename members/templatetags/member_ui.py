"""`{% load member_ui %}`: `{{ member|phone:request.user }}`, the number as that user may see it (masked
unless allowed; see members.selectors.phone_for, the one place that decides)."""

from django import template

from members.selectors import phone_for

register = template.Library()


@register.filter
def phone(member, user) -> str:
    return phone_for(user, member)

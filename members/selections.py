"""Saved selections read as the members list: whoever matches a selection's filter now, and the filter
as people read it ("客户分层: 沉睡客户", "累计采购 ≥: ¥5,000")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from core.money import yuan

from .filters import MemberFilter
from .models import Member
from .selectors import member_list


def selection_filter(selection, *, user=None, regions=None):
    """The members-list filter a saved selection stands for, as `user` would see it (None: no phone search).
    Pass `regions` (region_choices()) when building many, to read them once."""
    request = _UserRequest(user) if user is not None else None
    return MemberFilter(QueryDict(selection.query), queryset=member_list(user=user), request=request, regions=regions)


def selection_members(selection, *, user=None) -> QuerySet[Member]:
    """Whoever matches the selection now (segments and activity as of now, not when it was saved)."""
    filterset = selection_filter(selection, user=user)
    return filterset.qs if filterset.is_valid() else Member.objects.none()


def filter_summary(filterset) -> list[tuple[str, str]]:
    """(label, value) for each filter in use, as people read them: ("客户分层", "沉睡客户"), ("群", "成都VIP1")."""
    if not filterset.is_valid():
        return []
    out = []
    for name, value in filterset.form.cleaned_data.items():
        if isinstance(value, QuerySet):  # the tags: read once
            value = list(value)
        if name == "sort" or value in (None, "", []):
            continue
        field = filterset.form.fields[name]
        label = str(field.label)
        if name == "min_purchase":
            label, shown = str(_("Cumulative purchase ≥")), yuan(value, whole=True)
        elif name == "active_within":
            # A whole number of days reads as one ("60", not Decimal's normalised "6E+1").
            days = int(value) if value == value.to_integral_value() else value.normalize()
            shown = str(_("%(days)s days") % {"days": days})
        elif hasattr(value, "__iter__") and not isinstance(value, str):
            shown = "、".join(str(v) for v in value)
        elif getattr(field, "choices", None) and not hasattr(field, "queryset"):
            shown = str(dict(field.choices).get(value, value))
        else:
            shown = str(value)
        out.append((label, shown))
    return out


@dataclass
class _UserRequest:
    """What MemberFilter reads of a request (the user), for selections evaluated outside a request."""

    user: object

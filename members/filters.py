"""FilterSets for members and groups, shared by the pages and (later) the API.

Pass the request (`MemberFilter(request.GET, queryset=..., request=request)`): what a user may search by
depends on who they are (only users who see full phone numbers may search by phone digits; anything
else would let a masked user find a number by guessing digits).
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from core import forms as bounded
from core.money import MAX_AMOUNT
from core.users import user_display_name

from . import segments
from .models import Group, Member, Tag
from .selectors import can_see_phone, members_in_open_group, pk_in, region_choices

_DIGITS = re.compile(r"\D")
SEARCH_MAX_LENGTH = 200  # the longest text a member or group is searched for (a store name holds 200)
ACTIVE_WITHIN_MAX_DAYS = 36500  # a hundred years: beyond it "active within" means nothing (and overflows)
MAX_TAGS = 100


class IdChoiceField(filter_fields.ModelChoiceField, bounded.ModelChoiceField):
    """django-filter's choice field, with the id held to the column's range (core.forms)."""


class IdsChoiceField(filter_fields.ModelMultipleChoiceField, bounded.ModelMultipleChoiceField):
    """django-filter's multiple choice field, with a bounded number of ids, each in the column's range."""


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdChoiceField


class IdsChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = IdsChoiceField


class RegionsField(forms.MultipleChoiceField):
    """Regions offered from the data, but any region name accepted: a saved selection that excludes 攀枝花
    must stay valid when no member from 攀枝花 is left."""

    max_regions = 200

    def valid_value(self, value) -> bool:
        return 0 < len(str(value)) <= Member._meta.get_field("region").max_length

    def validate(self, value) -> None:
        super().validate(value)
        if len(value) > self.max_regions:
            raise forms.ValidationError(_("At most %(n)s regions.") % {"n": self.max_regions})


class RegionsFilter(django_filters.MultipleChoiceFilter):
    field_class = RegionsField


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, store, ID or WeChat nickname")}),
    )
    region = RegionsFilter(choices=(), method="filter_region", label=_("Regions"))
    region_exclude = RegionsFilter(choices=(), method="filter_region_exclude", label=_("Except regions"))
    tags = IdsChoiceFilter(
        queryset=Tag.objects.select_related("category"),
        method="filter_tags",
        label=_("Tags"),
        max_choices=MAX_TAGS,
    )
    tags_match = django_filters.ChoiceFilter(
        choices=(("all", _("All of the chosen tags")),),
        method="filter_nothing",
        label=_("Match"),
        empty_label=_("Any of the chosen tags"),
    )
    tags_none = IdsChoiceFilter(
        queryset=Tag.objects.select_related("category"),
        method="filter_tags_none",
        label=_("Without the tags"),
        max_choices=MAX_TAGS,
    )
    referred = django_filters.ChoiceFilter(
        choices=(("yes", _("Referred by a member")), ("no", _("Not referred"))),
        method="filter_referred",
        label=_("Referral"),
        empty_label=_("Referred or not"),
    )
    group = IdChoiceFilter(
        queryset=Group.objects.order_by("name"), method="filter_group", label=_("Group"), empty_label=_("All groups")
    )
    tier = django_filters.ChoiceFilter(
        choices=Group.Tier.choices, method="filter_tier", label=_("In a group of tier"), empty_label=_("All tiers")
    )
    not_tier = django_filters.ChoiceFilter(
        choices=Group.Tier.choices, method="filter_not_tier", label=_("In no group of tier"), empty_label="—"
    )
    segment = django_filters.ChoiceFilter(
        choices=(),
        method="filter_segment",
        label=_("Segment in the group"),
        empty_label=_("All segments"),
        help_text=_(
            "Orders in the chosen group only (or in any group of the chosen tier, or in any one group), as of now."
        ),
    )
    customer_segment = django_filters.ChoiceFilter(
        choices=(),
        method="filter_customer_segment",
        label=_("Customer state, all groups"),
        empty_label=_("All states"),
    )
    min_purchase = django_filters.NumberFilter(
        field_name="cumulative_purchase",
        lookup_expr="gte",
        label=_("Cumulative purchase ≥ (¥)"),
        min_value=0,
        max_value=MAX_AMOUNT,
        widget=forms.NumberInput(attrs={"min": 0, "step": 100, "placeholder": "0"}),
    )
    active_within = django_filters.NumberFilter(
        method="filter_active_within",
        label=_("Active within (days)"),
        min_value=1,
        max_value=ACTIVE_WITHIN_MAX_DAYS,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1, "placeholder": "30"}),
    )
    sort = django_filters.ChoiceFilter(
        choices=(
            ("-purchase", _("By purchase, highest first")),
            ("-active", _("By last activity, most recent first")),
            ("name", _("By name")),
        ),
        method="filter_sort",
        label=_("Sort by"),
        empty_label=_("By member ID"),
    )

    class Meta:
        model = Member
        fields: list[str] = []

    def __init__(self, *args, regions: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Regions come from the data, read when the form is built (not at import time) unless given.
        regions = region_choices() if regions is None else regions
        self.filters["region"].extra["choices"] = regions
        self.filters["region_exclude"].extra["choices"] = regions
        self.filters["segment"].extra["choices"] = segments.choices() if segments.available() else ()
        self.filters["customer_segment"].extra["choices"] = segments.choices() if segments.available() else ()
        self.filters["customer_segment"].extra["help_text"] = _(
            "The customer's orders in every group together: dormant here means no order anywhere in the last "
            "%(days)s days. For wake-up lists."
        ) % {"days": settings.SEGMENT_WINDOW_DAYS}
        if self.can_search_phone:
            self.filters["q"].field.widget.attrs["placeholder"] = _("Name, store, ID, WeChat nickname or phone")

    @property
    def can_search_phone(self) -> bool:
        return can_see_phone(getattr(self.request, "user", None))

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        condition = (
            Q(name__icontains=text)
            | Q(store_name__icontains=text)
            | Q(external_id__icontains=text)
            | Q(wechat_nickname__icontains=text)
        )
        digits = _DIGITS.sub("", text)
        if len(digits) >= 4 and self.can_search_phone:
            condition |= Q(phone__contains=digits)
        return queryset.filter(condition)

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__in=value) if value else queryset

    def filter_region_exclude(self, queryset, name, value):
        return queryset.exclude(region__in=value) if value else queryset

    def filter_nothing(self, queryset, name, value):
        """`tags_match` only changes how `tags` reads (filter_tags)."""
        return queryset

    def filter_tags(self, queryset, name, value):
        """Any of the tags; all of them with tags_match=all."""
        if not value:
            return queryset
        through = Member.tags.through
        if self.form.cleaned_data.get("tags_match") == "all":
            for tag in value:
                queryset = queryset.filter(Exists(through.objects.filter(member_id=OuterRef("pk"), tag=tag)))
            return queryset
        return queryset.filter(Exists(through.objects.filter(member_id=OuterRef("pk"), tag__in=value)))

    def filter_tags_none(self, queryset, name, value):
        if not value:
            return queryset
        through = Member.tags.through
        return queryset.exclude(Exists(through.objects.filter(member_id=OuterRef("pk"), tag__in=value)))

    def filter_referred(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(referred_by__isnull=False)
        if value == "no":
            return queryset.filter(referred_by__isnull=True)
        return queryset

    def filter_group(self, queryset, name, value):
        return queryset.filter(members_in_open_group(pk=value.pk)) if value else queryset

    def filter_tier(self, queryset, name, value):
        return queryset.filter(members_in_open_group(tier=value)) if value else queryset

    def filter_not_tier(self, queryset, name, value):
        return queryset.exclude(members_in_open_group(tier=value)) if value else queryset

    def filter_segment(self, queryset, name, value):
        """A segment is per group: of the group filtered on, else of the tier's groups, else of any group."""
        if not value:
            return queryset
        data = self.form.cleaned_data
        if data.get("group"):
            ids = segments.member_ids(segment=value, group=data["group"])
        elif data.get("tier"):
            tier_groups = Group.objects.filter(tier=data["tier"]).values_list("pk", flat=True)
            ids = segments.member_ids(segment=value, group_ids=list(tier_groups))
        else:
            ids = segments.member_ids(segment=value)
        return queryset.filter(pk_in(ids))

    def filter_customer_segment(self, queryset, name, value):
        """The member's own state over all their orders, whatever the group and whichever group is filtered on."""
        if not value:
            return queryset
        return queryset.filter(pk_in(segments.customer_member_ids(segment=value)))

    def filter_active_within(self, queryset, name, value):
        return queryset.active_within(int(value)) if value else queryset

    def filter_sort(self, queryset, name, value):
        order = {
            "-purchase": [F("cumulative_purchase").desc()],
            "-active": [F("last_active_at").desc(nulls_last=True)],
            "name": ["name"],
        }.get(value)
        return queryset.order_by(*order, "external_id") if order else queryset


def _owner_queryset(request=None):
    return get_user_model().objects.filter(owned_groups__isnull=False).distinct().order_by("username")


class OwnerChoiceField(bounded.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_display_name(obj)


class OwnerFilter(django_filters.ModelChoiceFilter):
    field_class = OwnerChoiceField


class GroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Group name or code")}),
    )
    tier = django_filters.ChoiceFilter(choices=Group.Tier.choices, label=_("Tier"), empty_label=_("All tiers"))
    region = django_filters.ChoiceFilter(choices=(), label=_("Region"), empty_label=_("All regions"))
    stage = django_filters.ChoiceFilter(choices=Group.Stage.choices, label=_("Stage"), empty_label=_("All stages"))
    platform = django_filters.ChoiceFilter(
        choices=Group.Platform.choices, label=_("Platform"), empty_label=_("All platforms")
    )
    owner = OwnerFilter(queryset=_owner_queryset, label=_("Owner"), empty_label=_("All owners"))
    sort = django_filters.ChoiceFilter(
        choices=(("-members", _("By members, most first")), ("name", _("By name"))),
        method="filter_sort",
        label=_("Sort by"),
        empty_label=_("By code"),
    )

    class Meta:
        model = Group
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].extra["choices"] = region_choices()

    def filter_search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(code__icontains=text))

    def filter_sort(self, queryset, name, value):
        order = {"-members": [F("open_count").desc()], "name": ["name"]}.get(value)
        return queryset.order_by(*order, "code") if order else queryset

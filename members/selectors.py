"""Reads for the members pages: the querysets behind the lists and details, and what a user may see."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from communityops.access import VIEW_PHONES
from communityops.money import ZERO

from .models import Group, Member, Membership, Tag
from .phones import mask_phone, national_digits


def can_see_phone(user, member: Member | None = None) -> bool:
    """May `user` see `member`'s full phone number? Admins (members.view_phone) may see every one.

    The outreach work extends this: an agent sees the number of a member whose call task they are working.
    Keep every decision about full numbers here, so masking cannot be forgotten in one page.
    """
    return bool(user and user.is_authenticated and user.has_perm(VIEW_PHONES))


def phone_for(user, member: Member) -> str:
    """The phone number of `member` as `user` may see it: '13800138000' or masked '138****8000' ('' if none)."""
    if not member.phone:
        return ""
    if can_see_phone(user, member):
        return national_digits(member.phone)
    return mask_phone(member.phone)


def user_display_name(user) -> str:
    """A user's name as the team writes it: '王磊' (family name first, no space) or 'Alice Smith'; else the username."""
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if not (first or last):
        return user.get_username()
    if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def pk_in(ids: Sequence[int]) -> Q:
    """`pk IN ids` for any number of ids: a segment can hold 100k members, more than SQLite takes as query
    parameters, so the list travels as one parameter (a JSON array on SQLite, an array on PostgreSQL)."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))
    if connection.vendor == "sqlite":
        return Q(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)]))
    return Q(pk__in=ids)


def open_memberships_prefetch(to_attr: str = "open_memberships") -> Prefetch:
    """Prefetch a member's invited/active memberships with their groups (one query for a whole page)."""
    return Prefetch(
        "memberships",
        queryset=Membership.objects.open().select_related("group").order_by("group__name"),
        to_attr=to_attr,
    )


def member_list(*, user) -> QuerySet[Member]:
    """Members for the list page: tags and open groups prefetched, so a page of 50 costs a fixed few queries."""
    return Member.objects.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.select_related("category")),
        open_memberships_prefetch(),
    )


def member_get(*, pk: int) -> Member:
    """One member with everything its page shows in a fixed number of queries (raises Member.DoesNotExist)."""
    return (
        Member.objects.select_related("referred_by")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.select_related("category")),
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("group", "group__owner").order_by("-joined_at", "-pk"),
                to_attr="all_memberships",
            ),
        )
        .annotate(referral_count=Count("referrals", distinct=True))
        .get(pk=pk)
    )


def member_referrals(*, member: Member, limit: int = 20) -> list[Member]:
    """The first members `member` referred, newest first."""
    return list(member.referrals.order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class OrderTotals:
    paid_amount: Decimal
    paid_count: int
    refunded_count: int
    last_paid_at: object  # datetime | None


def _order_totals(orders: QuerySet) -> OrderTotals:
    from campaigns.models import Order

    row = orders.aggregate(
        paid_amount=Sum("amount", filter=Q(status=Order.Status.PAID)),
        paid_count=Count("pk", filter=Q(status=Order.Status.PAID)),
        refunded_count=Count("pk", filter=Q(status=Order.Status.REFUNDED)),
        last_paid_at=Max("placed_at", filter=Q(status=Order.Status.PAID)),
    )
    return OrderTotals(
        paid_amount=row["paid_amount"] or ZERO,
        paid_count=row["paid_count"],
        refunded_count=row["refunded_count"],
        last_paid_at=row["last_paid_at"],
    )


def member_orders(*, member: Member, limit: int = 20) -> tuple[list, OrderTotals]:
    """The member's latest orders (with group and campaign) and the totals over all of their orders."""
    orders = member.orders.all()
    recent = list(orders.select_related("group", "campaign").order_by("-placed_at", "-pk")[:limit])
    return recent, _order_totals(orders)


def group_list(*, user) -> QuerySet[Group]:
    """Groups for the list page with their owner and member counts annotated (no query per row)."""
    return (
        Group.objects.select_related("owner")
        .annotate(
            open_count=Count("memberships", filter=Q(memberships__status__in=Membership.OPEN_STATUSES)),
            active_count=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)),
        )
        .order_by("code")  # an aggregate query ignores Meta.ordering
    )


def group_get(*, pk: int) -> Group:
    """One group with its owner and membership counts by status (raises Group.DoesNotExist)."""
    return (
        Group.objects.select_related("owner")
        .annotate(
            open_count=Count("memberships", filter=Q(memberships__status__in=Membership.OPEN_STATUSES)),
            active_count=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)),
            invited_count=Count("memberships", filter=Q(memberships__status=Membership.Status.INVITED)),
            gone_count=Count(
                "memberships", filter=Q(memberships__status__in=[Membership.Status.LEFT, Membership.Status.REMOVED])
            ),
        )
        .get(pk=pk)
    )


ROSTER_OPEN = "open"
ROSTER_GONE = "gone"
ROSTER_ALL = "all"


def group_roster(*, group: Group, which: str = ROSTER_OPEN) -> QuerySet[Membership]:
    """Memberships of `group` with their members: open ones (default), those who left or were removed, or all."""
    qs = Membership.objects.filter(group=group).select_related("member")
    if which == ROSTER_OPEN:
        qs = qs.open()
    elif which == ROSTER_GONE:
        qs = qs.exclude(status__in=Membership.OPEN_STATUSES)
    return qs.order_by("-joined_at", "-pk")


def group_orders(*, group: Group, days: int = 28, limit: int = 10, now=None) -> tuple[list, OrderTotals]:
    """The group's latest orders and the totals over the trailing `days` days."""
    now = now or timezone.now()
    orders = group.orders.all()
    recent = list(orders.select_related("member", "campaign").order_by("-placed_at", "-pk")[:limit])
    return recent, _order_totals(orders.filter(placed_at__gte=now - timezone.timedelta(days=days)))


def region_choices() -> list[tuple[str, str]]:
    """The regions members and groups are in, for the filter drop-downs."""
    # order_by() drops Meta.ordering, which would otherwise join the DISTINCT and return every row.
    regions = set(Member.objects.exclude(region="").order_by().values_list("region", flat=True).distinct())
    regions |= set(Group.objects.exclude(region="").order_by().values_list("region", flat=True).distinct())
    return [(region, region) for region in sorted(regions)]


def members_in_open_group(groups: QuerySet[Group] | None = None, **group_filters) -> Exists:
    """An EXISTS condition: the member has an open membership in a group matching `group_filters`."""
    memberships = Membership.objects.filter(member=OuterRef("pk"), status__in=Membership.OPEN_STATUSES)
    if groups is not None:
        memberships = memberships.filter(group__in=groups)
    if group_filters:
        memberships = memberships.filter(**{f"group__{key}": value for key, value in group_filters.items()})
    return Exists(memberships)


def selection_filter(selection, *, user=None, regions=None):
    """The members-list filter a saved selection stands for, as `user` would see it (None: no phone search).
    Pass `regions` (region_choices()) when building many, to read them once."""
    from .filters import MemberFilter  # filters imports this module

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
            label, shown = (
                str(_("Cumulative purchase ≥")),
                f"¥{value:,.0f}" if value == int(value) else f"¥{value:,.2f}",
            )
        elif name == "active_within":
            shown = str(_("%(days)s days") % {"days": value.normalize()})
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

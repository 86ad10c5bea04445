"""Reads for the members pages: the querysets behind the lists and details, and what a user may see."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from . import activity, segments
from .models import Group, Member, Membership, Tag
from .permissions import VIEW_PHONES
from .phones import mask_phone, national_digits
from .signals import phone_shown


def can_see_phone(user, member: Member | None = None) -> bool:
    """May `user` see `member`'s full phone number? Admins (members.view_phone) may see every one.

    The base case of the rule whose home is `outreach.phones`: there, an agent also sees the number of the
    member they are calling, on that call only. Pages of this floor show numbers only through `phone_for`.
    """
    return bool(user and user.is_authenticated and user.has_perm(VIEW_PHONES))


def phone_for(user, member: Member) -> str:
    """The phone number of `member` as `user` may see it: '13800138000' or masked '138****8000' ('' if none)."""
    if not member.phone:
        return ""
    if can_see_phone(user, member):
        phone_shown.send(sender=Member, user=user, member=member)
        return national_digits(member.phone)
    return mask_phone(member.phone)


def pk_in(ids: Sequence[int], field: str = "pk") -> Q:
    """`field IN ids` (the primary key by default) for any number of ids: a segment can hold 100k members, more
    than SQLite takes as query parameters, so the list travels as one parameter (a JSON array on SQLite, an
    array on PostgreSQL)."""
    ids = [int(i) for i in ids]
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [ids])})
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__in": RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])})
    return Q(**{f"{field}__in": ids})


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


def invitation_order(member: Member, groups: Sequence[Group]) -> list[Group]:
    """The order in which `groups` take `member`: those of the member's own region first (a province-wide list
    invites a 成都 pharmacy to the 成都 group of its pool), then the others in the order given."""
    own = [group for group in groups if member.region and group.region == member.region]
    return own + [group for group in groups if group not in own]


def group_for_invitation(member: Member, groups: Sequence[Group]) -> Group | None:
    """The group an invitation would put `member` in now (what `services.membership_invite` does, read-only):
    the first of `invitation_order` that takes new members and has room; None when all are full."""
    taken = dict(
        Membership.objects.open().filter(group__in=groups).order_by().values_list("group").annotate(n=Count("pk"))
    )
    return next(
        (g for g in invitation_order(member, groups) if g.takes_new_members and taken.get(g.pk, 0) < g.capacity),
        None,
    )


def _core_counts(group_ids: list[int]) -> dict[int, int] | None:
    """{group id: core members now} (None when segments are unavailable)."""
    if not segments.available():
        return None
    return {pk: len(segments.member_ids(segment="core", group_ids=[pk])) for pk in group_ids}


def legacy_groups() -> list[Group]:
    """Open legacy groups to reorganise, with `open_count`, `core_count` (None without segments), `orders` and
    `last_order_at` (None without an order provider) set; the fullest first."""
    groups = list(
        Group.objects.open()
        .filter(tier=Group.Tier.LEGACY)
        .select_related("owner")
        .annotate(open_count=Count("memberships", filter=Q(memberships__status__in=Membership.OPEN_STATUSES)))
        .order_by("-open_count", "code")
    )
    ids = [group.pk for group in groups]
    cores, orders = _core_counts(ids), activity.of_groups(ids)
    for group in groups:
        group.core_count = None if cores is None else cores.get(group.pk, 0)
        found = orders.get(group.pk)
        group.order_count = found.orders if found else (0 if activity.available() else None)
        group.last_order_at = found.last_order_at if found else None
    return groups


def legacy_group_facts(group: Group) -> dict:
    """What the legacy wizard shows about the group before anything is chosen."""
    cores, orders = _core_counts([group.pk]), activity.of_groups([group.pk]).get(group.pk)
    return {
        "open_count": Membership.objects.open().filter(group=group).count(),
        "core_count": None if cores is None else cores.get(group.pk, 0),
        "orders": orders.orders if orders else (0 if activity.available() else None),
        "last_order_at": orders.last_order_at if orders else None,
    }

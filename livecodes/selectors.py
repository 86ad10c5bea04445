"""Reads the livecodes pages (and the recap) need."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from core.access import can
from core.dates import local_midnight
from core.money import ZERO
from members.models import Member, Membership

from .choice import group_limit, pool_rooms, redis_holds
from .models import LiveCode, QRImage, Referral, ReferralLink
from .permissions import MANAGE_LIVECODES


@dataclass
class PoolRow:
    entry: object
    limit: int
    members: int
    held: int
    room: int
    image: QRImage | None  # the one scans are shown now
    images: list = field(default_factory=list)
    scans: int = 0


def pool_overview(live_code: LiveCode, *, now: dt.datetime) -> list[PoolRow]:
    """Each group of the pool: its limit, open memberships, places held by scans, room, images and scans."""
    rows = pool_rooms(live_code, now=now)
    group_ids = [entry.group_id for entry, _room, _image in rows]
    holds = redis_holds(group_ids)
    members = dict(
        Membership.objects.open().filter(group_id__in=group_ids).values_list("group").annotate(n=Count("id"))
    )
    images: dict[int, list] = {}
    for image in QRImage.objects.filter(entry__live_code=live_code).order_by("-uploaded_at", "-id"):
        images.setdefault(image.entry_id, []).append(image)
    overview = []
    for entry, room, image in rows:
        limit = max(0, group_limit(entry.group, live_code.margin))  # a capacity lowered below the margin: none
        count = members.get(entry.group_id, 0)
        room = max(0, room - holds.get(entry.group_id, 0))
        held = max(0, limit - count - room) if entry.group.takes_new_members else 0
        entry_images = images.get(entry.pk, [])
        overview.append(
            PoolRow(entry, limit, count, held, room, image, entry_images, sum(i.scans for i in entry_images))
        )
    inactive = live_code.entries.filter(is_active=False).select_related("group")
    for entry in inactive:
        entry_images = images.get(entry.pk, [])
        limit = max(0, group_limit(entry.group, live_code.margin))
        overview.append(
            PoolRow(entry, limit, members.get(entry.group_id, 0), 0, 0, None, entry_images,
                    sum(i.scans for i in entry_images))
        )  # fmt: skip
    return overview


@dataclass(frozen=True)
class RewardDue:
    referrer: Member
    newcomers: list[Member]
    due: Decimal
    paid: Decimal


def rewards(*, only_due: bool = False) -> list[RewardDue]:
    """Per referrer: newcomers who joined, the rewards not yet paid and those paid, biggest due first."""
    totals = (
        Referral.objects.joined()
        .values("referrer")
        .annotate(
            due=Sum("reward", filter=Q(paid_at__isnull=True)), paid=Sum("reward", filter=Q(paid_at__isnull=False))
        )
    )
    if only_due:
        totals = totals.filter(due__gt=0)
    referrers = Member.objects.in_bulk([row["referrer"] for row in totals])
    newcomers: dict[int, list] = {}
    for referral in Referral.objects.joined().select_related("newcomer").order_by("joined_at"):
        newcomers.setdefault(referral.referrer_id, []).append(referral.newcomer)
    rows = [
        RewardDue(
            referrers[row["referrer"]], newcomers.get(row["referrer"], []), row["due"] or ZERO, row["paid"] or ZERO
        )
        for row in totals
    ]
    return sorted(rows, key=lambda row: (-row.due, row.referrer.external_id))


@dataclass(frozen=True)
class Fission:
    referred: int  # members who joined in the period, referred by a member
    not_referred: int  # members who joined in the period, referred by nobody
    multiplier: Decimal | None  # referred ÷ not referred; None when nobody joined unreferred


def fission_platform(*, start: dt.date, end: dt.date) -> Fission:
    """The platform's fission multiplier over [start, end] (local days, both included): distinct members who
    joined any group in the period, referred by a member ÷ not referred (one member in two groups counts once)."""
    joins = Membership.objects.filter(
        joined_at__gte=local_midnight(start), joined_at__lt=local_midnight(end + dt.timedelta(days=1))
    )
    counts = joins.aggregate(
        referred=Count("member", filter=Q(member__referred_by__isnull=False), distinct=True),
        not_referred=Count("member", filter=Q(member__referred_by__isnull=True), distinct=True),
    )
    referred, not_referred = counts["referred"], counts["not_referred"]
    multiplier = (Decimal(referred) / Decimal(not_referred)).quantize(Decimal("0.0001")) if not_referred else None
    return Fission(referred, not_referred, multiplier)


def fission_multiplier(*, start: dt.date, end: dt.date, group_ids=None) -> dict[int, Fission]:
    """Per group, members who joined in [start, end] (local days, both included): the fission multiplier,
    members referred by members ÷ members not referred. A member who joined twice in the period counts once.
    The recap (issue 14) reads it."""
    joins = Membership.objects.filter(
        joined_at__gte=local_midnight(start), joined_at__lt=local_midnight(end + dt.timedelta(days=1))
    )
    if group_ids is not None:
        joins = joins.filter(group_id__in=list(group_ids))
    counts = joins.values("group").annotate(
        referred=Count("member", filter=Q(member__referred_by__isnull=False), distinct=True),
        not_referred=Count("member", filter=Q(member__referred_by__isnull=True), distinct=True),
    )
    return {
        row["group"]: Fission(
            row["referred"],
            row["not_referred"],
            (Decimal(row["referred"]) / Decimal(row["not_referred"])).quantize(Decimal("0.0001"))
            if row["not_referred"]
            else None,
        )
        for row in counts
    }


def member_referrals_panel(*, obj: Member, user) -> dict:
    """The member page's referrals (members.panels): the member's own link on each active live code, the
    newcomers it brought and the rewards."""
    link = ReferralLink.objects.filter(member=obj).first()
    referrals = Referral.objects.filter(referrer=obj)
    totals = referrals.aggregate(
        recorded=Count("id"),
        joined=Count("id", filter=Q(newcomer__isnull=False)),
        due=Sum("reward", filter=Q(newcomer__isnull=False, paid_at__isnull=True)),
        paid=Sum("reward", filter=Q(paid_at__isnull=False)),
    )
    codes = list(LiveCode.objects.filter(is_active=True).order_by("name").values("name", "slug")) if link else []
    return {
        "member": obj,
        "token": link.token if link else "",
        "codes": codes,
        "recorded": totals["recorded"],
        "joined": totals["joined"],
        "due": totals["due"] or ZERO,
        "paid": totals["paid"] or ZERO,
        "can_make_link": can(user, MANAGE_LIVECODES),
    }

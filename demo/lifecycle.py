"""The group lifecycle in the demo: the flash groups' end dates, and a small legacy group ready to merge —
a trial-pack group of 2023 with two dozen members, a few of them core buyers still ordering through it —
whose members fit into 成都新客服务群, so the legacy wizard's preview and merge work as they would for a team.

It draws from its own random generator, so the other steps' data stay as they were.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count, Q

from campaigns.models import Order
from core.money import to_money
from members.models import Group, Membership

from .story import Demo

LEGACY_CODE, LEGACY_NAME = "OLD-TRIAL", "2023试用装老客户群"
MERGE_TARGET = "DAILY-03"
LEGACY_MEMBERS, CORE_MEMBERS = 24, 4
# Flash groups run for a fortnight from their opening; the demo shows the end date on their pages.
FLASH_DAYS = 14


def create_lifecycle(demo: Demo) -> None:
    rng = random.Random(demo.seed * 7919 + 13)
    today = demo.now.astimezone(demo.tz).date()
    for group in demo.groups.values():
        if group.tier == Group.Tier.FLASH:
            opened = group.created_at.astimezone(demo.tz).date()
            # Never in the past: a demo loaded today must not have its flash groups close at the next tick.
            group.flash_ends_on = max(opened + dt.timedelta(days=FLASH_DAYS), today + dt.timedelta(days=3))
            group.save(update_fields=["flash_ends_on"])
    legacy = Group.objects.create(
        code=LEGACY_CODE, name=LEGACY_NAME, tier=Group.Tier.LEGACY, platform=Group.Platform.WECHAT, region="四川",
        owner=demo.users["yunying2"], capacity=500, stage=Group.Stage.RETENTION, created_at=demo.ago(1000),
    )  # fmt: skip
    demo.groups[LEGACY_CODE] = legacy
    target = Group.objects.annotate(
        taken=Count("memberships", filter=Q(memberships__status__in=Membership.OPEN_STATUSES))
    ).get(code=MERGE_TARGET)
    room = target.capacity - target.taken
    candidates = [m for m in demo.members if m.created_at < demo.ago(400)]
    chosen = rng.sample(candidates, min(LEGACY_MEMBERS, len(candidates), max(room, 0)))
    rows = [
        Membership(
            member=member, group=legacy, status=Membership.Status.ACTIVE,
            joined_at=demo.ago(rng.uniform(380, 900)), group_nickname=member.wechat_nickname[:100],
            created_at=demo.ago(900),
        )
        for member in chosen
    ]  # fmt: skip
    left = Membership(
        member=chosen[-1], group=legacy, status=Membership.Status.LEFT, joined_at=demo.ago(950),
        left_at=demo.ago(940), reason="换了新手机号，重新进群", created_at=demo.ago(950),
    ) if chosen else None  # fmt: skip
    memberships = Membership.objects.bulk_create(rows + ([left] if left else []))
    demo.memberships.extend(memberships)
    orders = []
    for position, member in enumerate(chosen):
        # The first few are core buyers (two or more orders in the last 4 weeks); some others ordered long ago.
        if position < CORE_MEMBERS:
            days = sorted(rng.uniform(1, 26) for _ in range(rng.randint(2, 4)))
        elif rng.random() < 0.4:
            days = [rng.uniform(29, 55)]
        else:
            days = []
        for ago in days:
            orders.append(
                Order(
                    member=member, placed_at=demo.ago(ago), amount=to_money(rng.uniform(180, 1600)),
                    status=Order.Status.PAID, group=legacy, group_is_explicit=True,
                )
            )  # fmt: skip
    orders.sort(key=lambda order: order.placed_at)
    for number, order in enumerate(orders, start=1):
        order.order_id = f"TR{order.placed_at.astimezone(demo.tz):%Y%m%d}{number:04d}"
    demo.orders.extend(Order.objects.bulk_create(orders))

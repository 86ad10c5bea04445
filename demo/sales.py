"""The demo's sales: the month's Thursday campaigns and eight weeks of orders, attributed by the same rule
as every imported order (`campaigns.attribution`), and the shop's figures on each member."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from campaigns.attribution import Attribution
from campaigns.models import Campaign, CampaignSeries, Order, Playbook
from core.money import ZERO, to_money
from members.models import Member, Membership

from .story import (
    AOV_FACTOR,
    AOV_FACTOR_USUAL,
    CAMPAIGN_GMV,
    CAMPAIGN_HOURS,
    CAMPAIGN_START,
    MONTHLY_TARGET,
    REFUND_RATE,
    REPEAT_EXTRA,
    REPEAT_EXTRA_USUAL,
    RUN_CODE,
    RUN_NAME,
    VIP_GROUPS,
    WEEKS,
    Demo,
    Persona,
    lognormal,
    update_columns,
)


def create_campaigns(demo: Demo) -> None:
    """The month's four Thursday campaigns for the VIP groups, and next Thursday's still in draft: one weekly
    run (第1期 … 第5期), so the team adds next week to it and the run's page totals the month."""
    vip_groups = [demo.groups[code] for code in VIP_GROUPS]
    days = demo.campaign_days + [demo.campaign_days[-1] + dt.timedelta(weeks=1)]
    target = to_money(MONTHLY_TARGET / len(CAMPAIGN_GMV))
    run = CampaignSeries(
        code=RUN_CODE, name=RUN_NAME, weekday=CampaignSeries.Weekday.THURSDAY, start_time=CAMPAIGN_START,
        duration=dt.timedelta(hours=CAMPAIGN_HOURS), first_date=days[0], weeks=len(days), gmv_target=target,
        owner=demo.users["yunying"], playbook=Playbook.objects.filter(code="weekly-warm-up").first(),
        created_at=min(demo.campaign_window(days[0])[0] - dt.timedelta(days=6), demo.now),
    )  # fmt: skip
    run.full_clean()
    run.save()
    run.groups.set(vip_groups)
    campaigns = []
    for number, day in enumerate(days, start=1):
        starts_at, ends_at = demo.campaign_window(day)
        upcoming = number > len(CAMPAIGN_GMV)
        campaigns.append(
            Campaign(
                code=f"{RUN_CODE}-{day:%Y%m%d}",
                name=run.campaign_name(number=number, day=day),
                series=run,
                starts_at=starts_at,
                ends_at=ends_at,
                gmv_target=target,
                owner=run.owner,
                status=Campaign.Status.DRAFT if upcoming else Campaign.Status.ENDED,
                created_at=min(starts_at - dt.timedelta(days=6), demo.now),
            )
        )
    demo.campaigns = Campaign.objects.bulk_create(campaigns)
    through = Campaign.groups.through
    through.objects.bulk_create(
        [through(campaign_id=campaign.pk, group_id=group.pk) for campaign in demo.campaigns for group in vip_groups]
    )


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _campaign_minute(rng: random.Random) -> float:
    """Minutes after 10:00: the opening rush, lunch, the evening peak after the countdown, the last call."""
    roll = rng.random()
    if roll < 0.34:
        minute = min(rng.expovariate(1 / 22), 110)
    elif roll < 0.48:
        minute = rng.uniform(120, 270)
    elif roll < 0.78:
        minute = 600 + rng.triangular(0, 90, 25)
    elif roll < 0.9:
        minute = 690 + rng.uniform(0, 29.9)
    else:
        minute = rng.uniform(0, 719.9)
    return min(minute, 719.9)


def _open_at(memberships: list[Membership], code: str, at: dt.datetime) -> bool:
    for row in memberships:
        if row.group.code != code or row.joined_at is None or row.joined_at > at:
            continue
        if row.left_at is None or row.left_at > at:
            return True
    return False


def create_orders(demo: Demo) -> None:
    """Eight weeks of orders: campaign spikes in the VIP groups, a trickle elsewhere, some refunds."""
    rng = demo.rng
    by_member: dict[int, list[Membership]] = {}
    for row in demo.memberships:
        by_member.setdefault(row.member_id, []).append(row)
    windows = [demo.campaign_window(day) for day in demo.campaign_days]
    vip = set(VIP_GROUPS)
    orders: list[Order] = []
    campaign_orders: list[list[Order]] = [[] for _ in windows]

    def in_vip_window(at: dt.datetime) -> bool:
        return any(start <= at < end for start, end in windows)

    def add(member, at, amount, group_code):
        """An order; `group_code` when the shop reports the group (its campaign or flash link), else None and
        the group and campaign come from the attribution rule every import uses."""
        at = at.replace(microsecond=0)
        group = demo.groups[group_code] if group_code else None
        group_id, campaign_id = attribution.attribute_one(
            member_id=member.pk, placed_at=at, group_id=group.pk if group else None
        )
        order = Order(
            member=member,
            placed_at=at,
            amount=to_money(max(amount, 3.5)),
            status=Order.Status.REFUNDED if rng.random() < REFUND_RATE else Order.Status.PAID,
            group_id=group_id,
            group_is_explicit=group is not None,
            campaign_id=campaign_id,
            campaign_is_explicit=False,
        )
        orders.append(order)
        return order

    attribution = Attribution.load()
    group_codes = {group.pk: code for code, group in demo.groups.items()}

    for member, persona in zip(demo.members, demo.personas, strict=True):
        rows = by_member.get(member.pk, [])
        vip_code = persona.vip_group if persona.vip_group in persona.groups else None
        # Campaign orders.
        for number, (start, _end) in enumerate(windows):
            if vip_code is None or not _open_at(rows, vip_code, start):
                continue
            chance = {"core": 0.72, "regular": 0.3, "occasional": 0.08}.get(persona.kind, 0)
            if number == 0:
                chance *= 0.8  # the first campaign's technical problems
            if rng.random() >= chance:
                continue
            count = 1
            if persona.kind == "core":
                count += _poisson(rng, REPEAT_EXTRA.get(vip_code, REPEAT_EXTRA_USUAL)[number])
            elif persona.kind == "regular" and rng.random() < 0.18:
                count += 1
            aov = AOV_FACTOR.get(vip_code, AOV_FACTOR_USUAL)[number]
            for minute in sorted(_campaign_minute(rng) for _ in range(count)):
                seconds = min(int(minute * 60) + rng.randint(0, 59), CAMPAIGN_HOURS * 3600 - 1)
                at = start + dt.timedelta(seconds=seconds)
                amount = lognormal(rng, persona.basket * aov, 0.45)
                # Campaign orders come through the group's own campaign link, so the shop reports the group.
                campaign_orders[number].append(add(member, at, amount, vip_code))
        # Orders outside campaigns: through the KOC club, daily and flash groups, legacy groups, or none.
        for at, group_code in _everyday_orders(demo, persona, rows):
            inferred, _campaign = attribution.attribute_one(member_id=member.pk, placed_at=at)
            if group_code is None and group_codes.get(inferred) in vip and in_vip_window(at):
                continue  # the story's campaign figures are the campaign orders above, exactly
            add(member, at, lognormal(rng, persona.basket * 0.8, 0.55), group_code)

    _calibrate_campaigns(demo, campaign_orders)
    orders.sort(key=lambda order: order.placed_at)
    per_day: dict[dt.date, int] = {}
    for order in orders:
        day = order.placed_at.astimezone(demo.tz).date()
        per_day[day] = per_day.get(day, 0) + 1
        order.order_id = f"SO{day:%Y%m%d}{per_day[day]:05d}"
    demo.orders = Order.objects.bulk_create(orders, batch_size=1000)


def _everyday_orders(demo: Demo, persona: Persona, rows: list[Membership]) -> list[tuple[dt.datetime, str | None]]:
    rng = demo.rng
    rate = {"core": 0.5, "regular": 0.22, "occasional": 0.06, "one_time": 0.0, "silent": 0.0}[persona.kind]
    picks: list[tuple[dt.datetime, str | None]] = []
    first_day = demo.start.astimezone(demo.tz).date()
    for _ in range(_poisson(rng, rate * WEEKS)):
        day = first_day + dt.timedelta(days=rng.randint(0, WEEKS * 7))
        at = demo.local(
            day, dt.time(rng.choice([9, 10, 11, 14, 15, 16, 19, 20, 21]), rng.randint(0, 59), rng.randint(0, 59))
        )
        if not (demo.start <= at < demo.now):
            continue
        picks.append((at, None))
    # New customers: a first order soon after joining (many never order again), in their daily group.
    if persona.is_new and persona.kind in ("one_time", "regular") and rows:
        first_row = min((row for row in rows if row.joined_at), key=lambda row: row.joined_at, default=None)
        if first_row is not None and rng.random() < 0.8:
            at = first_row.joined_at + dt.timedelta(hours=rng.uniform(1, 96))
            if at < demo.now:
                picks.append((at, None))
                if persona.kind == "regular" and rng.random() < 0.5:
                    again = at + dt.timedelta(days=rng.uniform(3, 20))
                    if again < demo.now:
                        picks.append((again, None))
    # Flash group: 5 days of seeding, then 6 days of concentrated conversion.
    if "FLASH-FLU" in persona.groups and persona.kind != "silent":
        opened = demo.groups["FLASH-FLU"].created_at
        if rng.random() < 0.3:
            at = opened + dt.timedelta(days=5 + rng.uniform(0, 6))
            if at < demo.now:
                picks.append((at, "FLASH-FLU"))
    return picks


def _calibrate_campaigns(demo: Demo, campaign_orders: list[list[Order]]) -> None:
    """Scale each campaign's order values so its paid GMV is the story's figure, to the cent."""
    for target, orders in zip(CAMPAIGN_GMV, campaign_orders, strict=True):
        paid = [order for order in orders if order.status == Order.Status.PAID]
        raw = sum((order.amount for order in paid), ZERO)
        if not paid or raw == 0:
            continue
        factor = target / raw
        for order in orders:
            order.amount = to_money(order.amount * factor)
        # Rounding leaves a few cents; the largest paid order absorbs them.
        residue = target - sum((order.amount for order in paid), ZERO)
        max(paid, key=lambda order: order.amount).amount += residue


def finish_members(demo: Demo) -> None:
    """The shop's figures: cumulative purchase (history + paid orders) and the last active instant."""
    rng = demo.rng
    paid: dict[int, Decimal] = {}
    last_order: dict[int, dt.datetime] = {}
    for order in demo.orders:
        if order.status == Order.Status.PAID:
            paid[order.member_id] = paid.get(order.member_id, ZERO) + order.amount
        last_order[order.member_id] = max(order.placed_at, last_order.get(order.member_id, order.placed_at))
    for member, persona in zip(demo.members, demo.personas, strict=True):
        member.cumulative_purchase = persona.history + paid.get(member.pk, ZERO)
        seen = demo.ago(persona.active_days_ago)
        if member.pk in last_order:
            seen = max(seen, min(last_order[member.pk] + dt.timedelta(minutes=rng.randint(1, 180)), demo.now))
        member.last_active_at = max(seen, member.created_at)
    update_columns(Member, demo.members, ["cumulative_purchase", "last_active_at"])

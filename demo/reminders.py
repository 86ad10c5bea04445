"""The campaigns part of the demo: products and items, the warm-up playbook in the VIP groups, reminders
that come due while the demo runs, a flash campaign whose live page moves.

`demo_apply_playbooks(now=…)` runs after the demo data is loaded (`demo/loader.py`); it needs the VIP
groups (tier `precise`) and the upcoming Thursday draft the demo makes. `demo_live_tick(now=…)` adds the
orders of the last minutes to the running demo campaign; call it every minute (a beat entry in demo mode).
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Order, Playbook, Product, Reminder
from campaigns.services import (
    CampaignNotPublishable,
    campaign_create,
    campaign_item_add,
    campaign_publish,
    order_lines_record,
    playbook_apply,
)
from core.money import to_money
from members.models import Group, Membership

FLASH_CODE = "DEMO-FLASH"
# (sku, name, lowest public price, unit cost, stock, campaign price, expected quantity, supplier cap)
CATALOGUE = [
    ("YX-BP01", "鱼跃电子血压计 YE660", "399.00", "245.00", 120, "299.00", 40, 60),
    ("OM-GL02", "欧姆龙血糖仪套装", "468.00", "300.00", 80, "359.00", 25, 40),
    ("ZY-MK50", "一次性医用口罩 50只", "25.00", "14.00", 3000, "16.90", 600, 1000),
    ("TY-VC100", "维生素C咀嚼片 100片", "39.00", "18.00", 1500, "22.80", 300, 500),
    ("YN-BY20", "云南白药创可贴 100片", "29.90", "21.50", 1200, "19.90", 250, 400),
    ("SN-AL75", "75%酒精消毒液 500ml", "18.00", "9.50", 2000, "12.90", 400, 800),
    ("HM-JZ30", "护膝 中老年款", "128.00", "95.00", 200, "88.00", 60, 100),
]


def _products() -> dict[str, Product]:
    products = {}
    for sku, name, public, cost, stock, *_rest in CATALOGUE:
        products[sku], _created = Product.objects.get_or_create(
            sku=sku,
            defaults={"name": name, "lowest_public_price": Decimal(public), "unit_cost": Decimal(cost), "stock": stock},
        )
    return products


def _fill_items(campaign: Campaign, products: dict[str, Product], *, clearance: str = "HM-JZ30") -> None:
    if campaign.items.exists():
        return
    for sku, _name, _public, _cost, _stock, price, expected, cap in CATALOGUE:
        is_clearance = sku == clearance
        campaign_item_add(
            campaign=campaign, product=products[sku], price=Decimal(price), expected_quantity=expected,
            supplier_cap=cap, is_clearance=is_clearance, second_discount_rate=Decimal("0.9") if is_clearance else None,
        )  # fmt: skip


def _history(campaign: Campaign, groups, playbook: Playbook, rng: random.Random) -> None:
    """The warm-up as it went for an ended campaign: most steps done on time, some late, a few missed."""
    playbook_apply(playbook=playbook, campaign=campaign, groups=groups, now=campaign.starts_at - dt.timedelta(days=3))
    reminders = list(Reminder.objects.filter(campaign=campaign))
    for reminder in reminders:
        roll = rng.random()
        reminder.sent_at = reminder.due_at + dt.timedelta(seconds=rng.randint(2, 30))
        reminder.attempts = 1
        if roll < 0.06:
            reminder.sent_at += dt.timedelta(minutes=62)
            reminder.is_late = True
        reminder.late_by = reminder.sent_at - reminder.due_at
        if roll < 0.85:
            reminder.status, reminder.done_by = Reminder.Status.DONE, reminder.assignee
            reminder.done_at = reminder.sent_at + dt.timedelta(minutes=rng.choice([0, 1, 2, 4]))
        elif roll < 0.9:
            reminder.status, reminder.done_by = Reminder.Status.SKIPPED, reminder.assignee
            reminder.done_at = reminder.sent_at + dt.timedelta(minutes=1)
        else:
            reminder.status = Reminder.Status.SENT
    Reminder.objects.bulk_update(
        reminders, ["status", "sent_at", "late_by", "is_late", "done_at", "done_by", "attempts"], batch_size=500
    )


@transaction.atomic
def demo_apply_playbooks(*, now: dt.datetime | None = None, seed: int = 6) -> dict[str, int]:
    """Products, items and warm-up reminders for the demo's VIP campaigns; a flash campaign starting soon.

    Rerunnable: products, items, reminders and the flash campaign are found by their codes and keys.
    """
    now = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed)
    playbook = Playbook.objects.get(code="weekly-warm-up")
    products = _products()
    vip = list(Group.objects.filter(tier=Group.Tier.PRECISE).select_related("owner").order_by("code"))
    if not vip:
        return {"reminders": 0}
    owner = vip[0].owner
    vip_campaigns = Campaign.objects.filter(groups__in=vip).exclude(code=FLASH_CODE).distinct().order_by("starts_at")

    # The month's ended campaigns ran the same catalogue: their pages show what they sold, with their items.
    ended = [c for c in vip_campaigns if c.status == Campaign.Status.ENDED]
    for campaign in ended:
        campaign.loss_cap = Decimal("3000.00")
        campaign.landing_url = campaign.landing_url or f"https://m.example-pharma.cn/vip/{campaign.code.lower()}"
        campaign.save(update_fields=["loss_cap", "landing_url"])
        _fill_items(campaign, products)

    # The last ended campaign: how its warm-up went (the calendar's "late / missed last week").
    if ended and not ended[-1].reminders.exists():
        _history(ended[-1], list(ended[-1].groups.all()), playbook, rng)

    # Next Thursday's draft: the items, published, and its warm-up scheduled (Wednesday red packets …).
    for campaign in vip_campaigns.filter(status=Campaign.Status.DRAFT, starts_at__gt=now):
        campaign.owner, campaign.loss_cap = campaign.owner or owner, Decimal("3000.00")
        campaign.landing_url = campaign.landing_url or f"https://m.example-pharma.cn/vip/{campaign.code.lower()}"
        campaign.save(update_fields=["owner", "loss_cap", "landing_url"])
        _fill_items(campaign, products)
        try:
            campaign_publish(campaign=campaign, now=now)
        except CampaignNotPublishable:
            pass  # it stays a draft: the campaign page lists why
        playbook_apply(playbook=playbook, campaign=campaign, groups=list(campaign.groups.all()), now=now)

    # A flash campaign in the VIP groups starting a quarter of an hour from now: its countdown reminders fire
    # while the demo runs, and demo_live_tick makes its live page move.
    flash = Campaign.objects.filter(code=FLASH_CODE).first()
    if flash is None:
        starts_at = (now + dt.timedelta(minutes=15)).replace(second=0)
        starts_at -= dt.timedelta(minutes=starts_at.minute % 5)
        flash = campaign_create(
            code=FLASH_CODE, name="今晚VIP限时秒杀", starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3),
            groups=vip, gmv_target=Decimal("30000.00"), loss_cap=Decimal("3000.00"), owner=owner,
            landing_url="https://m.example-pharma.cn/vip/flash",
        )  # fmt: skip
        _fill_items(flash, products)
        try:
            campaign_publish(campaign=flash, now=now)
        except CampaignNotPublishable:
            pass
    # Steps already past when the demo starts are not scheduled; the rest come due in the next hours.
    playbook_apply(playbook=playbook, campaign=flash, groups=vip, now=now)
    return {
        "reminders": Reminder.objects.filter(campaign__groups__in=vip).distinct().count(),
        "due_within_hour": Reminder.objects.filter(
            status=Reminder.Status.PENDING, due_at__lte=now + dt.timedelta(hours=1)
        ).count(),
    }


def demo_live_tick(*, now: dt.datetime | None = None, seed: int = 6) -> int:
    """Orders for the running demo flash campaign, up to `now` (a few a minute); returns how many were added.

    Idempotent per minute: order ids are made of the campaign code and the minute.
    """
    now = now or timezone.now()
    flash = Campaign.objects.filter(code=FLASH_CODE).first()
    if flash is None or now < flash.starts_at:
        return 0
    until = min(now, flash.ends_at)
    last = Order.objects.filter(campaign=flash).order_by("-placed_at").values_list("placed_at", flat=True).first()
    minute = max(flash.starts_at, (last or flash.starts_at) + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    items = list(flash.items.select_related("product"))
    memberships = list(
        Membership.objects.open().filter(group__in=flash.groups.all()).values_list("member_id", "group_id")[:5000]
    )
    if not items or not memberships:
        return 0
    added = 0
    while minute <= until:
        rng = random.Random(f"{seed}:{minute:%Y%m%d%H%M}")
        for n in range(rng.choice([0, 1, 1, 2, 3])):
            member_id, group_id = rng.choice(memberships)
            picks = rng.sample(items, k=rng.choice([1, 1, 2, 3]))
            lines = [(item.product, rng.choice([1, 1, 2, 5, 10]), item.final_price) for item in picks]
            amount = to_money(sum(qty * price for _product, qty, price in lines))
            order, created = Order.objects.get_or_create(
                order_id=f"{FLASH_CODE}-{minute:%Y%m%d%H%M}-{n}",
                defaults={
                    "member_id": member_id, "group_id": group_id, "group_is_explicit": True, "campaign": flash,
                    "campaign_is_explicit": True, "amount": amount,
                    "placed_at": minute + dt.timedelta(seconds=rng.randint(0, 59)),
                },
            )  # fmt: skip
            if created:
                order_lines_record(order=order, lines=[(p, q, to_money(q * price)) for p, q, price in lines])
                added += 1
        minute += dt.timedelta(minutes=1)
    return added

"""The demo's live code: one poster for the VIP groups (活码). Each VIP group has its QR image, uploaded on
different days; one expires within the day, so its owner already has the reminder to upload a new one. A few
newcomers came by members' referral links: their rewards wait to be paid, one already was."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import segno
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from livecodes import services
from livecodes.models import LiveCode, Referral
from livecodes.watch import livecodes_watch
from members.models import Group

from .story import Demo

SLUG = "vip"
# Days since each VIP group's QR image was made (WeChat: it dies after 7); VIP-CD1's expires in about 12 hours.
IMAGE_AGE_DAYS = {"VIP-CD1": 6.5, "VIP-CD2": 2, "VIP-MY": 4, "VIP-DY": 1, "VIP-NC": 3, "VIP-CN": 5, "VIP-DZ": 0.5}


def _qr_png(text: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=10, border=4)
    return SimpleUploadedFile("qr.png", out.getvalue(), content_type="image/png")


def create_livecodes(demo: Demo) -> None:
    owner = demo.users["yunying"]
    live_code = services.live_code_save(LiveCode(
        slug=SLUG, name="川药掌柜VIP会员群", owner=owner, margin=10,
        contact_text="群暂满，请加客服微信 chuanyao-kefu（备注：门店名），我们拉您进新群。",
    ))  # fmt: skip
    vip = sorted(
        (group for group in demo.groups.values() if group.tier == Group.Tier.PRECISE),
        key=lambda group: (group.code not in IMAGE_AGE_DAYS, group.code),
    )
    for group in vip:
        entry = services.pool_add(live_code=live_code, group=group)
        age = IMAGE_AGE_DAYS.get(group.code, 3)
        services.image_upload(
            entry=entry, upload=_qr_png(f"https://weixin.qq.com/g/demo-{group.code.lower()}"),
            uploaded_at=demo.ago(age),
        )  # fmt: skip

    # Rewards: the newest referred members who are in a group came by a link and left their phone.
    newest = sorted((m for m in demo.members if m.referred_by_id and m.phone), key=lambda m: m.created_at, reverse=True)
    referred = [member for member in newest[:40] if member.memberships.exists()][:4]
    for n, member in enumerate(referred):
        joined = member.memberships.order_by("joined_at").first().joined_at or demo.now
        Referral.objects.create(
            referrer_id=member.referred_by_id, phone=member.phone, live_code=live_code,
            created_at=joined - dt.timedelta(hours=2), newcomer=member, joined_at=joined,
            reward=Decimal(settings.LIVECODE_REFERRAL_REWARD),
            paid_at=demo.now - dt.timedelta(days=1) if n == len(referred) - 1 else None,
            paid_by=owner if n == len(referred) - 1 else None,
        )  # fmt: skip
    services.referral_link_for(demo.members[0])
    livecodes_watch(now=demo.now)  # the expiry reminder is in the owner's inbox at once, as beat would make it

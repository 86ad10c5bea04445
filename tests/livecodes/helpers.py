"""Live codes for tests: real PNG images (segno), groups with members, a pool."""

import io

import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from livecodes import services
from livecodes.models import LiveCode
from members.models import Group, Member, Membership


def png(text: str = "https://weixin.qq.com/g/test", scale: int = 4) -> bytes:
    out = io.BytesIO()
    segno.make(text).save(out, kind="png", scale=scale)
    return out.getvalue()


def upload(name: str = "qr.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png() if content is None else content, content_type="image/png")


def fill(group: Group, count: int, *, prefix: str | None = None) -> None:
    prefix = prefix or f"{group.code}-"
    start = Member.objects.filter(external_id__startswith=prefix).count()
    members = Member.objects.bulk_create(Member(external_id=f"{prefix}{start + n}") for n in range(count))
    now = timezone.now()
    Membership.objects.bulk_create(Membership(member=m, group=group, joined_at=now) for m in members)


def live_code_with(owner, groups: list[tuple[str, int, int]], *, margin: int = 0, slug: str = "vip") -> LiveCode:
    """A live code whose pool holds, in order, groups (code, capacity, members already in) each with a fresh
    image."""
    live_code = services.live_code_save(LiveCode(slug=slug, name="VIP会员群", owner=owner, margin=margin,
                                                 contact_text="加客服微信 chuanyao-kefu"))  # fmt: skip
    for code, capacity, members in groups:
        group = Group.objects.create(code=code, name=f"{code}群", tier=Group.Tier.PRECISE, capacity=capacity)
        fill(group, members)
        entry = services.pool_add(live_code=live_code, group=group)
        services.image_upload(entry=entry, upload=upload(f"{code}.png"))
    return live_code


def set_expiry(images, expires_at) -> None:
    """Make these images expire at `expires_at` (uploaded 7 days before it)."""
    images.update(expires_at=expires_at, uploaded_at=expires_at - timezone.timedelta(days=7))

"""Writes of the livecodes app, each one transaction: live codes, their pools and images, referrals."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import images
from members.models import Group, Member, Membership
from members.phones import normalize_phone
from members.services import refusal_of_new_members

from .choice import snapshots_drop
from .models import LiveCode, PoolEntry, QRImage, Referral, ReferralLink


def _drop_after_commit(*slugs: str) -> None:
    transaction.on_commit(lambda: snapshots_drop(slugs))


def image_kind(upload) -> images.ImageKind:
    """What an uploaded QR or contact image really is, within the live codes' bounds (`core.images`)."""
    return images.image_check(
        upload,
        max_bytes=settings.LIVECODE_IMAGE_MAX_BYTES,
        max_side=settings.LIVECODE_IMAGE_MAX_SIDE,
        what=_("This file"),
    )


def image_check(upload) -> str:
    """The content type of an uploaded QR or contact image (see `image_kind`)."""
    return image_kind(upload).content_type


def image_name(upload, stem: str) -> str:
    """Check `upload` and name it `stem` with the extension of what its bytes are, never the uploader's file name:
    a PNG sent as "x.html" must not lie in the media folder as an .html file (any server that serves the folder
    by extension would send it as a page of our origin)."""
    upload.name = f"{stem}.{image_kind(upload).extension}"
    return upload.name


def _scan_limit(group: Group) -> int:
    return min(group.capacity, Group.SCAN_JOIN_LIMIT)


@transaction.atomic
def live_code_save(live_code: LiveCode) -> LiveCode:
    """Save a live code. Refused (by field) when its margin would leave an active group of its pool no place at
    all: the pool would show that group to nobody, and the operator would not know why."""
    old_slug = LiveCode.objects.filter(pk=live_code.pk).values_list("slug", flat=True).first() if live_code.pk else None
    live_code.full_clean()
    if live_code.pk:
        groups = [entry.group for entry in live_code.entries.filter(is_active=True).select_related("group")]
        if shut := [group for group in groups if _scan_limit(group) <= live_code.margin]:
            raise ValidationError({"margin": _(
                "A margin of %(margin)s leaves no place in %(groups)s: keep it below %(limit)s, or pause that group."
            ) % {
                "margin": live_code.margin, "groups": "、".join(group.name for group in shut),
                "limit": min(_scan_limit(group) for group in shut),
            }})  # fmt: skip
    live_code.save()
    _drop_after_commit(*{live_code.slug, old_slug or live_code.slug})
    return live_code


@transaction.atomic
def pool_add(*, live_code: LiveCode, group: Group) -> PoolEntry:
    """Add `group` at the end of the pool. Under a lock on the live code's row: the same group added twice at
    once (a double click) is added once and refused once, never a database error."""
    live_code = LiveCode.objects.select_for_update().get(pk=live_code.pk)
    if not group.takes_new_members:
        raise ValidationError({"group": refusal_of_new_members(group)})
    if live_code.entries.filter(group=group).exists():
        raise ValidationError({"group": _("This group is already in the pool.")})
    if _scan_limit(group) <= live_code.margin:
        raise ValidationError({"group": _(
            "%(group)s takes %(limit)s members by scan: the live code's margin of %(margin)s leaves it no place."
        ) % {"group": group.name, "limit": _scan_limit(group), "margin": live_code.margin}})  # fmt: skip
    last = live_code.entries.order_by("-position").values_list("position", flat=True).first()
    entry = PoolEntry.objects.create(live_code=live_code, group=group, position=(last or 0) + 1)
    _drop_after_commit(live_code.slug)
    return entry


@transaction.atomic
def pool_entry_toggle(*, entry: PoolEntry, active: bool) -> PoolEntry:
    PoolEntry.objects.filter(pk=entry.pk).update(is_active=active)
    entry.is_active = active
    _drop_after_commit(entry.live_code.slug)
    return entry


def image_upload(*, entry: PoolEntry, upload, uploaded_at: dt.datetime | None = None, days: int | None = None):
    """Store a group's QR image, expiring `days` (WeChat: 7) after it was made."""
    kind = image_kind(upload)
    uploaded_at = uploaded_at or timezone.now()
    days = settings.LIVECODE_IMAGE_DAYS if days is None else days
    if days < 1:
        raise ValidationError({"days": _("An image lives at least one day.")})
    with transaction.atomic():
        image = QRImage(
            entry=entry, content_type=kind.content_type, uploaded_at=uploaded_at,
            expires_at=uploaded_at + dt.timedelta(days=days),
        )  # fmt: skip
        # Named by the pool entry and what the bytes are (see `image_name`), not by the uploader.
        image.image.save(f"e{entry.pk}.{kind.extension}", upload, save=False)
        image.save()
        _drop_after_commit(entry.live_code.slug)
    return image


# --- Referrals -----------------------------------------------------------------------------------------


def referral_link_for(member: Member) -> ReferralLink:
    link, _created = ReferralLink.objects.get_or_create(member=member)
    return link


def referral_record(*, token: str, phone: str, live_code: LiveCode | None, now: dt.datetime | None = None):
    """A newcomer who came by `token`'s link left their phone. Returns the Referral, or ValidationError
    ({"phone": …}) for a number that is not one. A member's own number, or a number already matched, is
    accepted and never rewarded (the page answers the same: it must not tell who is a customer)."""
    now = now or timezone.now()
    try:
        e164 = normalize_phone(phone)
    except ValueError as error:
        raise ValidationError({"phone": _("Enter a mobile phone number, e.g. 138 0013 8000.")}) from error
    if not e164:
        raise ValidationError({"phone": _("Enter a mobile phone number, e.g. 138 0013 8000.")})
    link = ReferralLink.objects.select_related("member").filter(token=token[:32]).first()
    if link is None:
        raise ValidationError({"ref": _("This invitation link is not valid.")})
    with transaction.atomic():
        referral, created = Referral.objects.get_or_create(
            referrer=link.member, phone=e164, defaults={"live_code": live_code, "created_at": now}
        )
        if not created and referral.newcomer_id is None:
            Referral.objects.filter(pk=referral.pk).update(created_at=now, live_code=live_code)
    return referral


def referrals_match(membership_ids, *, now: dt.datetime | None = None) -> int:
    """Newcomers who joined a group: each whose phone a referral recorded (the newest within
    LIVECODE_REFERRAL_MATCH_DAYS before the join) and who had never been in a group before that referral is
    `referred_by` its referrer, and the referral earns LIVECODE_REFERRAL_REWARD. Returns how many matched."""
    now = now or timezone.now()
    window = dt.timedelta(days=settings.LIVECODE_REFERRAL_MATCH_DAYS)
    # Only the joins whose phone a pending referral holds are looked at one by one: an import joins tens of
    # thousands of members at once, and a query each made the import wait minutes for this.
    pending_phones = Referral.objects.filter(newcomer__isnull=True).values("phone")
    joined = (
        Membership.objects.with_ids(membership_ids)
        .filter(member__phone__in=pending_phones, member__referred_by__isnull=True)
        .select_related("member")
    )
    matched = 0
    for membership in joined:
        member = membership.member
        at = membership.joined_at or now
        if not member.phone or member.referred_by_id is not None:
            continue
        referral = (
            Referral.objects.filter(phone=member.phone, newcomer__isnull=True, created_at__gte=at - window)
            .filter(created_at__lte=at)
            .exclude(referrer=member)
            .order_by("-created_at")
            .first()
        )
        if referral is None:
            continue
        earlier = Membership.objects.filter(member=member).exclude(pk=membership.pk)
        if earlier.filter(Q(joined_at__lt=referral.created_at) | Q(created_at__lt=referral.created_at)).exists():
            continue  # already a customer before the invitation: not a newcomer
        try:
            with transaction.atomic():
                if not Member.objects.filter(pk=member.pk, referred_by__isnull=True).update(
                    referred_by=referral.referrer_id
                ):
                    continue
                Referral.objects.filter(pk=referral.pk, newcomer__isnull=True).update(
                    newcomer=member, joined_at=at, reward=settings.LIVECODE_REFERRAL_REWARD
                )
        except IntegrityError:
            continue  # matched by another join at the same moment
        matched += 1
    return matched


@transaction.atomic
def referral_rewards_pay(*, referrer_id: int, by, now: dt.datetime | None = None) -> int:
    """Mark every unpaid reward of this referrer paid; returns how many."""
    return Referral.objects.unpaid().filter(referrer_id=referrer_id).update(paid_at=now or timezone.now(), paid_by=by)

"""Live codes (活码): one poster URL that always shows the QR image of a group with room, and referrals.

A live code owns a pool of groups (`PoolEntry`); each entry has the QR images uploaded for its group
(`QRImage`, which WeChat lets live 7 days). Which group a scan is sent to is decided in `choice.py`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField
from members.models import Group, Member


class LiveCode(models.Model):
    slug = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("The poster URL is /j/<code>/: letters, digits, - and _.")
    )
    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="live_codes", verbose_name=_("owner"),
        help_text=_("Gets the reminders when an image is about to expire or the pool runs out of room."),
    )  # fmt: skip
    margin = models.PositiveSmallIntegerField(
        _("margin"), default=10,
        help_text=_("Places kept free in each group below its limit (capacity, and 200 for joining by scan)."),
    )  # fmt: skip
    contact_text = models.TextField(
        _("service account contact"), blank=True,
        help_text=_("Shown when no group has room, e.g. “加客服微信 chuanyao-kefu，我们拉您进群”."),
    )  # fmt: skip
    contact_image = models.FileField(_("service account QR image"), upload_to="livecodes/contact/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Scans that found no group with room (the others are counted on their image).
    unavailable_scans = models.PositiveIntegerField(_("scans with no room"), default=0)
    # Run-out reminders: one per episode; the episode ends when the pool has room again.
    runout_alerted_at = models.DateTimeField(null=True, blank=True)
    runout_episode = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("live code")
        verbose_name_plural = _("live codes")

    def __str__(self) -> str:
        return self.name


class PoolEntry(models.Model):
    """A group in a live code's pool; groups are filled in `position` order."""

    live_code = models.ForeignKey(LiveCode, on_delete=models.CASCADE, related_name="entries")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="live_code_entries", verbose_name=_("group")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["live_code", "position", "id"]
        verbose_name = _("pool group")
        verbose_name_plural = _("pool groups")
        constraints = [models.UniqueConstraint(fields=["live_code", "group"], name="pool_entry_one_per_group")]
        # A scan on the database path reads the pool in this order and stops at the first group with room.
        indexes = [models.Index(fields=["live_code", "position", "id"], name="livecodes_pool_order")]

    def __str__(self) -> str:
        return f"{self.live_code} · {self.group}"


class QRImageQuerySet(models.QuerySet):
    def unexpired(self, *, now):
        return self.filter(expires_at__gt=now)


class QRImage(models.Model):
    """A group QR image as WeChat made it; it stops admitting at `expires_at`."""

    entry = models.ForeignKey(PoolEntry, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(_("QR image"), upload_to="livecodes/qr/")
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    scans = models.PositiveIntegerField(_("scans"), default=0)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = QRImageQuerySet.as_manager()

    class Meta:
        ordering = ["entry", "-expires_at", "-id"]
        verbose_name = _("QR image")
        verbose_name_plural = _("QR images")
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("uploaded_at")), name="qr_image_expires_later")
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.uploaded_at:%Y-%m-%d}"


class ScanHold(models.Model):
    """A place held in a group by a scan taken without Redis (with Redis, holds live there): the member who
    scanned is about to join, so the place counts as taken for LIVECODE_HOLD_MINUTES."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["group", "at"])]

    def __str__(self) -> str:
        return f"{self.group_id} @ {self.at:%Y-%m-%d %H:%M}"


class ScanTally(models.Model):
    """What was added to the database from one process's scan count file (livecodes.counting): per key, the
    count already added, so a file applied again adds only its growth."""

    file = models.CharField(max_length=200, unique=True)
    applied = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.file


def _new_token() -> str:
    return secrets.token_urlsafe(12)


class ReferralLink(models.Model):
    """A member's own referral token (`?ref=` on a live code): stable, and not guessable from the member."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="referral_link")
    token = models.CharField(max_length=32, unique=True, default=_new_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.member} · {self.token}"


class ReferralQuerySet(models.QuerySet):
    def joined(self):
        return self.filter(newcomer__isnull=False)

    def unpaid(self):
        return self.joined().filter(paid_at__isnull=True)


class Referral(models.Model):
    """A newcomer who arrived by a member's link and left their phone; matched once they join a group."""

    referrer = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("referrer"))
    phone = models.CharField(_("phone"), max_length=20)  # E.164
    live_code = models.ForeignKey(LiveCode, on_delete=models.SET_NULL, null=True, related_name="referrals")
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    newcomer = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("newcomer")
    )
    joined_at = models.DateTimeField(_("joined"), null=True, blank=True)
    reward = MoneyField(_("reward"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.UniqueConstraint(fields=["referrer", "phone"], name="referral_one_per_referrer_phone"),
            models.UniqueConstraint(fields=["newcomer"], name="referral_newcomer_once"),
        ]
        indexes = [models.Index(fields=["phone", "created_at"])]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.phone}"

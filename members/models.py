import functools
import operator

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import local_date
from core.money import ZERO, MoneyField


class TagCategory(models.Model):
    """A heading of the codebook (密码本), e.g. 'concern' or 'wish'."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("tag category")
        verbose_name_plural = _("tag categories")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A short code of the codebook: '3' = acne, 'D' = wants acne fixed."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(TagCategory, on_delete=models.PROTECT, related_name="tags", verbose_name=_("category"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["category__position", "code"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MemberQuerySet(models.QuerySet):
    def active_within(self, days: int, *, now=None):
        """Members the shop saw active in the last `days` days."""
        now = now or timezone.now()
        return self.filter(last_active_at__gte=now - timezone.timedelta(days=days))

    def in_group(self, group):
        """Members with an open (invited or active) membership in `group`."""
        return self.filter(memberships__group=group, memberships__status__in=Membership.OPEN_STATUSES)


class Member(models.Model):
    """A customer (客户) of the shop; B2B here: the owner of a pharmacy or a clinic."""

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +8613800138000"))
    region = models.CharField(_("region"), max_length=50, blank=True, db_index=True)
    store_name = models.CharField(_("store name"), max_length=200, blank=True)
    wechat_nickname = models.CharField(_("WeChat nickname"), max_length=100, blank=True)
    cumulative_purchase = MoneyField(_("cumulative purchase"), default=ZERO)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="members", verbose_name=_("tags"))
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["external_id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [
            ("view_phone", _("Can see members' full phone numbers")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cumulative_purchase__gte=0), name="member_cumulative_purchase_not_negative"
            ),
            models.CheckConstraint(condition=~Q(referred_by=models.F("pk")), name="member_not_self_referred"),
        ]
        indexes = [models.Index(fields=["cumulative_purchase"]), models.Index(fields=["last_active_at"])]

    def __str__(self) -> str:
        return self.name or self.external_id


class GroupQuerySet(models.QuerySet):
    def taking_campaigns(self):
        """Groups a campaign may run in: open ones of every tier but legacy (legacy groups are reorganised or
        dissolved; a closed group is read-only)."""
        return self.exclude(tier=Group.Tier.LEGACY).filter(closed_at__isnull=True)

    def open(self):
        """Groups not closed (a flash group past its end, a dissolved or merged legacy group are closed)."""
        return self.filter(closed_at__isnull=True)

    def taking_new_members(self, *, now=None):
        """The rule of `Group.takes_new_members`, for a queryset."""
        today = local_date(now or timezone.now())
        return self.open().exclude(tier=Group.Tier.LEGACY).exclude(tier=Group.Tier.FLASH, flash_ends_on__lt=today)

    def flash_due_to_close(self, today):
        """Open flash groups whose end date (a day of the organisation's zone) is before `today`."""
        return self.open().filter(tier=Group.Tier.FLASH, flash_ends_on__lt=today)


class Group(models.Model):
    """A WeChat / WeCom / QQ / DingTalk group run as a sales channel."""

    class Tier(models.TextChoices):
        DAILY = "daily", _("Daily group")
        FLASH = "flash", _("Flash group")
        PRECISE = "precise", _("Precise group")
        SUPER_USER = "super_user", _("Super-user group")
        LEGACY = "legacy", _("Legacy group")

    class Platform(models.TextChoices):
        WECHAT = "wechat", _("WeChat")
        WECOM = "wecom", _("WeCom")
        QQ = "qq", _("QQ")
        DINGTALK = "dingtalk", _("DingTalk")

    class Stage(models.TextChoices):
        ACQUISITION = "acquisition", _("Acquisition")
        RETENTION = "retention", _("Retention")
        CONVERSION = "conversion", _("Conversion")

    class Closure(models.TextChoices):
        FLASH_ENDED = "flash_ended", _("Flash group ended")
        DISSOLVED = "dissolved", _("Dissolved")
        MERGED = "merged", _("Merged into another group")

    # WeChat's hard limit; joining by QR scan stops earlier, at 200 (WeChat's rule, not a setting: the live codes'
    # room and the scan-limit alert both read it from here).
    DEFAULT_CAPACITY = 500
    SCAN_JOIN_LIMIT = 200
    # The largest capacity a group may be given (by the form or a file): the integer column's range, the same
    # on every database.
    MAX_CAPACITY = 2_147_483_647

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.DAILY, db_index=True)
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices, default=Platform.WECHAT)
    region = models.CharField(_("region"), max_length=50, blank=True, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_groups",
        verbose_name=_("owner"),
    )
    capacity = models.PositiveIntegerField(_("capacity"), default=DEFAULT_CAPACITY)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.ACQUISITION)
    # A flash group's last day (in the organisation's zone); the day after, it closes itself (members.tasks).
    flash_ends_on = models.DateField(_("flash end date"), null=True, blank=True)
    # A closed group is read-only: its history and orders stay, it takes no new members and no campaigns.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closure = models.CharField(_("closed because"), max_length=16, choices=Closure.choices, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="group_capacity_positive")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def flash_has_ended(self) -> bool:
        """A flash group past its last day (in the organisation's zone), whether or not the task that closes it
        has run yet (every few minutes; longer while the worker is down)."""
        return (
            self.tier == self.Tier.FLASH
            and self.flash_ends_on is not None
            and self.flash_ends_on < local_date(timezone.now())
        )

    @property
    def takes_new_members(self) -> bool:
        """Legacy groups are being reorganised or dissolved, closed ones are read-only, a flash group is over
        after its end date: nobody joins one."""
        return self.tier != self.Tier.LEGACY and not self.is_closed and not self.flash_has_ended

    @property
    def takes_campaigns(self) -> bool:
        """The rule of GroupQuerySet.taking_campaigns, for one group."""
        return self.tier != self.Tier.LEGACY and not self.is_closed


MAX_ID_RUNS = 50


class MembershipQuerySet(models.QuerySet):
    def open(self):
        """Invited or active: the member counts toward the group's capacity."""
        return self.filter(status__in=Membership.OPEN_STATUSES)

    def with_ids(self, ids):
        """These memberships, by id. An import sends tens of thousands of ids, nearly all in a few runs of
        consecutive ids (rows inserted together): a run is one BETWEEN, so the query does not carry one
        parameter per id (100,000 of them took about a second per query)."""
        ids = sorted(set(ids))
        runs: list[list[int]] = []
        for pk in ids:
            if runs and pk == runs[-1][1] + 1:
                runs[-1][1] = pk
            else:
                runs.append([pk, pk])
        if not runs:
            return self.none()
        if len(runs) > MAX_ID_RUNS:  # scattered ids: a long OR would cost more than the list
            return self.filter(pk__in=ids)
        return self.filter(functools.reduce(operator.or_, (Q(pk__gte=first, pk__lte=last) for first, last in runs)))


class Membership(models.Model):
    """A member in a group, from the invitation to leaving or removal."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")
        REMOVED = "removed", _("Removed")

    OPEN_STATUSES = (Status.INVITED, Status.ACTIVE)

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("member"))
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(_("joined"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    group_nickname = models.CharField(_("group nickname"), max_length=100, blank=True)
    # Why a membership ended (left or removed): "2 strikes: short videos", "moved to 成都VIP2群", the file's reason.
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    strikes = models.PositiveSmallIntegerField(_("strikes"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group", "-joined_at"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # A member may leave and rejoin (history stays), but holds one open membership at a time.
            models.UniqueConstraint(
                fields=["member", "group"],
                condition=Q(status__in=["invited", "active"]),
                name="membership_one_open_per_member_group",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(joined_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="membership_left_after_joined",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["invited", "active"], left_at__isnull=True)
                | Q(status__in=["left", "removed"], left_at__isnull=False),
                name="membership_left_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["member", "joined_at"]), models.Index(fields=["group", "status"])]

    def __str__(self) -> str:
        return f"{self.member} @ {self.group}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class SavedSelection(models.Model):
    """A named filter of the members list ("Chengdu VIP1 · dormant · bought ≥ ¥5,000"), shared by the team.

    It stores the filter, not the members: opened next week, it selects whoever matches then (segments
    included), which is what a weekly call list wants.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    query = models.TextField(_("filter"), help_text=_("The members list's query string, e.g. group=3&segment=dormant"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved selection")
        verbose_name_plural = _("saved selections")

    def __str__(self) -> str:
        return self.name

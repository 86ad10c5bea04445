"""Campaigns: products, weekly campaigns and their items, SOP playbooks, reminders, orders and coupons.

The database is the truth. A reminder's status says where it is; Celery only moves work (see
`campaigns/delivery.py` for how a reminder is claimed once and sent once).
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communityops.money import ZERO, MoneyField, to_money
from members.models import Group, Member

from .playbooks import template_errors


class Product(models.Model):
    """A shop SKU with the numbers a campaign is checked against: lowest public price, cost, stock."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    lowest_public_price = MoneyField(
        _("lowest public price"), help_text=_("The lowest price anyone can buy it for on the open market (全网最低价).")
    )
    unit_cost = MoneyField(_("unit cost"), default=ZERO)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(lowest_public_price__gte=0), name="product_public_price_not_negative"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_unit_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class CampaignSeries(models.Model):
    """A campaign that repeats weekly: every <weekday> at <start time> for N weeks, previewed days before."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    # Campaign codes are "<series code>-YYYYMMDD" and Campaign.code holds 32 characters.
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.THURSDAY)
    start_time = models.TimeField(_("start time"), default=dt.time(10, 0))
    duration = models.DurationField(_("duration"), default=dt.timedelta(hours=12))
    preview_days_before = models.PositiveSmallIntegerField(
        _("preview days before"), default=1, help_text=_("1 = the preview is the day before (Wednesday for Thursday).")
    )
    preview_time = models.TimeField(_("preview time"), default=dt.time(12, 0))
    first_date = models.DateField(_("first date"))
    weeks = models.PositiveSmallIntegerField(_("weeks"), default=4)
    groups = models.ManyToManyField(Group, blank=True, related_name="campaign_series", verbose_name=_("groups"))
    gmv_target = MoneyField(_("GMV target per campaign"), default=ZERO)
    loss_cap = MoneyField(_("loss cap per campaign"), default=ZERO)
    landing_url = models.URLField(_("landing link"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("owner"),
    )  # fmt: skip
    playbook = models.ForeignKey(
        "Playbook", on_delete=models.SET_NULL, null=True, blank=True, related_name="series",
        verbose_name=_("playbook"), help_text=_("Applied to every campaign of the series and its groups."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-first_date"]
        verbose_name = _("campaign series")
        verbose_name_plural = _("campaign series")
        constraints = [
            models.CheckConstraint(condition=Q(weeks__gte=1) & Q(weeks__lte=104), name="series_weeks_1_to_104"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="series_weekday_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.duration is not None and not (dt.timedelta(minutes=1) <= self.duration <= dt.timedelta(days=7)):
            raise ValidationError({"duration": _("A campaign lasts between one minute and seven days.")})
        if self.first_date and self.first_date.weekday() != self.weekday:
            raise ValidationError(
                {"first_date": _("The first date must fall on the series' weekday (%(weekday)s).")
                 % {"weekday": self.get_weekday_display()}}
            )  # fmt: skip

    def occurrence_dates(self) -> list[dt.date]:
        return [self.first_date + dt.timedelta(weeks=week) for week in range(self.weeks)]


class CampaignQuerySet(models.QuerySet):
    def overlapping(self, starts_at, ends_at):
        """Campaigns whose window [starts_at, ends_at) shares an instant with the given one."""
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def committed(self):
        """Published, live or ended: campaigns the team has announced (drafts are only plans)."""
        return self.exclude(status=Campaign.Status.DRAFT)

    def live_at(self, now):
        """Campaigns running at `now` (published or live, whatever the status sweep has reached)."""
        return self.filter(status__in=["published", "live"], starts_at__lte=now, ends_at__gt=now)


class Campaign(models.Model):
    """A promotion for a set of groups in a time window, with a GMV target."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    groups = models.ManyToManyField(Group, blank=True, related_name="campaigns", verbose_name=_("groups"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    gmv_target = MoneyField(_("GMV target"), default=ZERO)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    series = models.ForeignKey(
        CampaignSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns",
        verbose_name=_("series"),
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("owner"), help_text=_("The operator who runs it; stock alerts go to them."),
    )  # fmt: skip
    loss_cap = MoneyField(
        _("loss cap"), default=ZERO, help_text=_("The most the items may lose together at the expected quantities.")
    )
    landing_url = models.URLField(_("landing link"), blank=True)
    preview_at = models.DateTimeField(_("preview"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(gmv_target__gte=0), name="campaign_gmv_target_not_negative"),
            models.CheckConstraint(condition=Q(loss_cap__gte=0), name="campaign_loss_cap_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A campaign must end after it starts.")})


class OrderQuerySet(models.QuerySet):
    def paid(self):
        """Orders that count: a refunded order counts nowhere."""
        return self.filter(status=Order.Status.PAID)


class Order(models.Model):
    """A paid or refunded order from the shop, attributed to a member, a group and a campaign.

    `group_is_explicit` / `campaign_is_explicit` record whether the import named them; only inferred
    attributions are recomputed when memberships or campaign windows change.
    """

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")

    order_id = models.CharField(_("order id"), max_length=64, unique=True)
    # No single-column indexes on member and group: the (member, placed_at) and (group, placed_at) indexes
    # serve every lookup by either, and each index costs the million-row import a second or more.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="orders", verbose_name=_("member"), db_index=False
    )
    placed_at = models.DateTimeField(_("placed at"))
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PAID)
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", verbose_name=_("group"),
        db_index=False,
    )  # fmt: skip
    group_is_explicit = models.BooleanField(_("group named by the import"), default=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", verbose_name=_("campaign")
    )
    campaign_is_explicit = models.BooleanField(_("campaign named by the import"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative")]
        indexes = [
            models.Index(fields=["group", "placed_at"]),
            models.Index(fields=["member", "placed_at"]),
            models.Index(fields=["placed_at"]),
        ]

    def __str__(self) -> str:
        return self.order_id


class CampaignItem(models.Model):
    """A product in a campaign at the campaign price, with the quantity the team expects to sell."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="campaign_items", verbose_name=_("product")
    )
    price = MoneyField(_("campaign price"))
    expected_quantity = models.PositiveIntegerField(_("expected quantity"), default=0)
    supplier_cap = models.PositiveIntegerField(
        _("supplier cap"), null=True, blank=True, help_text=_("How many the supplier can deliver; empty: no limit.")
    )
    is_clearance = models.BooleanField(_("clearance"), default=False)
    second_discount_rate = models.DecimalField(
        _("second discount (折上折)"), max_digits=4, decimal_places=3, null=True, blank=True,
        help_text=_("For clearance items: 0.9 takes another tenth off the campaign price."),
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    restock_alerted_at = models.DateTimeField(_("restock alert sent"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "position", "id"]
        verbose_name = _("campaign item")
        verbose_name_plural = _("campaign items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "product"], name="campaign_item_once_per_campaign"),
            models.CheckConstraint(condition=Q(price__gte=0), name="campaign_item_price_not_negative"),
            models.CheckConstraint(
                condition=Q(second_discount_rate__isnull=True)
                | (Q(second_discount_rate__gt=0) & Q(second_discount_rate__lt=1) & Q(is_clearance=True)),
                name="campaign_item_second_discount_on_clearance_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} @ {self.price}"

    def clean(self):
        if self.second_discount_rate is not None:
            if not self.is_clearance:
                raise ValidationError({"second_discount_rate": _("Only clearance items take a second discount.")})
            if not (Decimal("0") < self.second_discount_rate < Decimal("1")):
                raise ValidationError({"second_discount_rate": _("A second discount is a rate between 0 and 1.")})

    @property
    def final_price(self) -> Decimal:
        """What a customer pays: the campaign price, times the second discount on clearance items."""
        if self.is_clearance and self.second_discount_rate:
            return to_money(self.price * self.second_discount_rate)
        return self.price

    @property
    def projected_quantity(self) -> int:
        """The expected quantity, but never more than the supplier can deliver."""
        if self.supplier_cap is None:
            return self.expected_quantity
        return min(self.expected_quantity, self.supplier_cap)

    @property
    def projected_margin(self) -> Decimal:
        return to_money(self.projected_quantity * (self.final_price - self.product.unit_cost))


class Playbook(models.Model):
    """An SOP (剧本): ordered steps relative to an anchor, applied to a campaign and groups as reminders."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_shipped = models.BooleanField(_("shipped with the app"), default=False)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies", verbose_name=_("copied from")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name

    @property
    def needs_campaign(self) -> bool:
        return any(step.anchor in PlaybookStep.CAMPAIGN_ANCHORS for step in self.steps.all())


class PlaybookStep(models.Model):
    """One step: "T−1d 20:00 red packet ¥0.5 × 10 named {campaign_time}", "T−10min countdown", …

    The due time is the anchor's local day shifted by `offset_days` at `at_time`, or, without `at_time`,
    the anchor instant shifted by `offset_days` and `offset_minutes`. A daily step repeats `repeat_days` times.
    """

    class Anchor(models.TextChoices):
        CAMPAIGN_START = "campaign_start", _("Campaign start")
        CAMPAIGN_END = "campaign_end", _("Campaign end")
        GROUP_CREATED = "group_created", _("Group creation")
        DAILY = "daily", _("Every day at a time")

    class Kind(models.TextChoices):
        RED_PACKET = "red_packet", _("Red packet")
        ANNOUNCEMENT = "announcement", _("Announcement")
        TEASER = "teaser", _("Teaser")
        COUNTDOWN = "countdown", _("Countdown")
        WELCOME = "welcome", _("Welcome message")
        CUSTOM = "custom", _("Custom task")

    class AssigneeRole(models.TextChoices):
        GROUP_OWNER = "group_owner", _("The group's owner")
        CAMPAIGN_OWNER = "campaign_owner", _("The campaign's owner")
        USER = "user", _("A named person")

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        WEBHOOK = "webhook", _("WeCom group robot")
        EMAIL = "email", _("E-mail")

    CAMPAIGN_ANCHORS = (Anchor.CAMPAIGN_START, Anchor.CAMPAIGN_END)

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps", verbose_name=_("playbook"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    anchor = models.CharField(_("anchor"), max_length=16, choices=Anchor.choices, default=Anchor.CAMPAIGN_START)
    offset_days = models.SmallIntegerField(_("days from the anchor"), default=0)
    at_time = models.TimeField(_("at (local time)"), null=True, blank=True)
    offset_minutes = models.IntegerField(
        _("minutes from the anchor"),
        default=0,
        help_text=_("Used when no time of day is given: −10 = ten minutes before."),
    )
    repeat_days = models.PositiveSmallIntegerField(_("repeat for days"), default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ANNOUNCEMENT)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(
        _("text"), blank=True, help_text=_("Placeholders such as {campaign_time}, {link}, {items}.")
    )
    red_packet_amount = MoneyField(_("red packet amount per packet"), null=True, blank=True)
    red_packet_count = models.PositiveSmallIntegerField(_("number of red packets"), null=True, blank=True)
    red_packet_name = models.CharField(_("red packet name"), max_length=100, blank=True)
    assignee_role = models.CharField(
        _("assignee"), max_length=16, choices=AssigneeRole.choices, default=AssigneeRole.GROUP_OWNER
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("named assignee"),
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.INBOX)

    class Meta:
        ordering = ["playbook", "position", "id"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(red_packet_amount__isnull=True) | Q(red_packet_amount__gt=0),
                name="playbook_step_red_packet_positive",
            ),
            models.CheckConstraint(condition=Q(repeat_days__gte=1), name="playbook_step_repeat_at_least_once"),
        ]

    def __str__(self) -> str:
        return f"{self.playbook}: {self.title}"

    def clean(self):
        errors: dict[str, list] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        before_anchor = self.offset_days < 0 or (
            self.at_time is None and self.offset_days == 0 and self.offset_minutes < 0
        )
        after_anchor = self.offset_days > 0 or (
            self.at_time is None and self.offset_days == 0 and self.offset_minutes > 0
        )
        if self.anchor == self.Anchor.GROUP_CREATED and before_anchor:
            add("offset_days", _("Nothing can happen in a group before the group exists: use an offset of 0 or more."))
        if self.anchor == self.Anchor.DAILY:
            if self.at_time is None:
                add("at_time", _("A daily step needs a time of day."))
            if self.offset_days or self.offset_minutes:
                add("offset_days", _("A daily step runs every day at its time; it takes no offset."))
        elif self.repeat_days != 1:
            add("repeat_days", _("Only a daily step repeats."))
        if self.kind == self.Kind.COUNTDOWN and self.anchor in self.CAMPAIGN_ANCHORS and after_anchor:
            add("offset_days", _("A countdown comes before the moment it counts down to."))
        if self.kind == self.Kind.TEASER and (
            self.anchor == self.Anchor.CAMPAIGN_END or (self.anchor == self.Anchor.CAMPAIGN_START and after_anchor)
        ):
            add("offset_days", _("A teaser comes before the campaign starts."))
        if self.kind == self.Kind.RED_PACKET:
            if not self.red_packet_amount or self.red_packet_amount <= 0:
                add("red_packet_amount", _("A red packet needs an amount above ¥0."))
            if not self.red_packet_count:
                add("red_packet_count", _("A red packet needs a count of at least 1."))
            if (
                self.red_packet_amount
                and self.red_packet_count
                and self.red_packet_amount / self.red_packet_count < Decimal("0.01")
            ):
                add("red_packet_count", _("Each red packet must hold at least ¥0.01."))
            if not self.red_packet_name:
                add("red_packet_name", _("Name the red packet, e.g. {campaign_time}."))
        for field in ("title", "text", "red_packet_name"):
            for message in template_errors(getattr(self, field)):
                add(field, message)
        if self.assignee_role == self.AssigneeRole.USER and self.assignee_id is None:
            add("assignee", _("Choose the person, or assign the step to the group's or campaign's owner."))
        if errors:
            raise ValidationError(errors)


class PlaybookAssignment(models.Model):
    """Which group runs which playbook, since when, and for which campaign (replication is measured on it)."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("playbook")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="playbook_assignments", verbose_name=_("group")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="playbook_assignments",
        verbose_name=_("campaign"),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("anchor for daily steps"), default=timezone.now)
    is_copy = models.BooleanField(_("replicated from another group"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("playbook assignment")
        verbose_name_plural = _("playbook assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "group", "campaign"], name="playbook_assignment_once_per_campaign"
            ),
            models.UniqueConstraint(
                fields=["playbook", "group"],
                condition=Q(campaign__isnull=True),
                name="playbook_assignment_once_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} → {self.group}"


class ReminderQuerySet(models.QuerySet):
    def open(self):
        """Still to be done by someone: not done, skipped or cancelled."""
        return self.filter(status__in=Reminder.OPEN_STATUSES)

    def for_inbox(self, user, *, now):
        """What `user` should do now: due, delivered or failed to deliver, not yet done — theirs or nobody's."""
        return (
            self.filter(status__in=Reminder.INBOX_STATUSES, due_at__lte=now)
            .filter(Q(assignee=user) | Q(assignee__isnull=True))
            .order_by("due_at", "id")
        )


class Reminder(models.Model):
    """Something a person must do in a group at a given minute: "send the ¥0.5 × 10 red packet named 周四10点".

    pending → sending (claimed by a sweep, under a lease) → sent → done / skipped; or failed after retries;
    cancelled when its group leaves the campaign. `key` is unique: applying a playbook twice makes nothing new.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        RED_PACKET = "red_packet", _("Red packet")
        ANNOUNCEMENT = "announcement", _("Announcement")
        TEASER = "teaser", _("Teaser")
        COUNTDOWN = "countdown", _("Countdown")
        WELCOME = "welcome", _("Welcome message")
        CUSTOM = "custom", _("Custom task")
        RESTOCK = "restock", _("Restock alert")

    Channel = PlaybookStep.Channel
    OPEN_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED)
    INBOX_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED)

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders", verbose_name=_("campaign")
    )
    # Fewer indexes make the sweep's UPDATE cheaper (every index gets a new entry per row sent): the group's
    # and the assignee's are composite indexes below, the step's and done_by's are not worth one.
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders", verbose_name=_("group"),
        db_index=False,
    )  # fmt: skip
    step = models.ForeignKey(
        PlaybookStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders",
        verbose_name=_("step"), db_index=False,
    )  # fmt: skip
    occurrence = models.PositiveSmallIntegerField(_("occurrence"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    red_packet_amount = MoneyField(_("red packet amount per packet"), null=True, blank=True)
    red_packet_count = models.PositiveSmallIntegerField(_("number of red packets"), null=True, blank=True)
    red_packet_name = models.CharField(_("red packet name"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders",
        verbose_name=_("assignee"), db_index=False,
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.INBOX)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # When a sweep may (re)try it: the due time, then later after a failed attempt (backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claim expires: a sweep that died (SIGKILL, power cut) leaves rows in `sending` that another sweep
    # takes over once the lease has run out.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    late_by = models.DurationField(_("late by"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("done by"), db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [
            # The sweep's two claim queries read only these partial indexes.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="reminder_pending_due"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="reminder_sending_lease"),
            models.Index(fields=["assignee", "due_at"], name="reminder_assignee_due"),
            models.Index(fields=["group", "due_at"], name="reminder_group_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(red_packet_amount__isnull=True) | Q(red_packet_amount__gt=0),
                name="reminder_red_packet_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def delivery_key(self) -> str:
        """The idempotency key every channel send carries: the same on every retry of this reminder."""
        return f"communityops-reminder-{self.pk}"  # delivery.DELIVERY_KEY_PREFIX, kept in step


class Delivery(models.Model):
    """One message handed to a channel for one reminder. The unique key makes a retried send a no-op here,
    and is passed to the channel (header / Message-ID) so a receiver can drop a resent copy."""

    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("reminder")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=PlaybookStep.Channel.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    target = models.CharField(_("to"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.idempotency_key


class WebhookRobot(models.Model):
    """A WeCom group robot (群机器人) that posts reminders into a team's internal WeCom group.

    WeCom accepts at most 20 messages a minute per robot; the sweep keeps under it across all workers.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("webhook URL"), max_length=500)
    groups = models.ManyToManyField(
        Group, blank=True, related_name="webhook_robots", verbose_name=_("groups"),
        help_text=_("Reminders for these groups go to this robot; a robot with no groups takes the rest."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("WeCom robot")
        verbose_name_plural = _("WeCom robots")

    def __str__(self) -> str:
        return self.name


class RateLimitBucket(models.Model):
    """A row locked while a worker counts a sender's recent hits, so two workers cannot both take the last slot."""

    key = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = _("rate limit bucket")

    def __str__(self) -> str:
        return self.key


class RateLimitHit(models.Model):
    """One send taken against a bucket; a sliding window counts the hits of the last minute."""

    bucket = models.ForeignKey(RateLimitBucket, on_delete=models.CASCADE, related_name="hits")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket", "at"], name="rate_limit_hit_window")]

    def __str__(self) -> str:
        return f"{self.bucket_id}@{self.at:%H:%M:%S}"


class OrderLine(models.Model):
    """A product in an order, when the shop reports lines: what the live page counts against supplier caps."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount = MoneyField(_("amount"), default=ZERO)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_line_once_per_product"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_line_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.order} × {self.product}"


class CouponTemplate(models.Model):
    """A kind of coupon the team issues: for new customers, for repurchase, to wake dormant ones."""

    class Kind(models.TextChoices):
        NEW = "new", _("New-customer coupon")
        REPURCHASE = "repurchase", _("Repurchase coupon")
        REACTIVATION = "reactivation", _("Reactivation coupon")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = MoneyField(_("amount off"))
    min_spend = MoneyField(_("minimum spend"), default=ZERO)
    valid_days = models.PositiveSmallIntegerField(_("valid for days"), default=14)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="coupon_template_amount_positive"),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupon_template_min_spend_not_negative"),
            models.CheckConstraint(condition=Q(valid_days__gte=1), name="coupon_template_valid_a_day"),
        ]

    def __str__(self) -> str:
        return self.name


class CouponBatch(models.Model):
    """One issue of a template to a set of members (a segment or a selection)."""

    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="batches", verbose_name=_("template")
    )
    description = models.CharField(_("to whom"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("issued by"),
    )  # fmt: skip
    size = models.PositiveIntegerField(_("coupons"), default=0)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")

    def __str__(self) -> str:
        return f"{self.template} × {self.size}"


class Coupon(models.Model):
    """A coupon held by one member; redeemed by at most one order."""

    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("template")
    )
    batch = models.ForeignKey(
        CouponBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="coupons", verbose_name=_("batch")
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="coupons", verbose_name=_("member"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    order = models.OneToOneField(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="coupon", verbose_name=_("order")
    )

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.UniqueConstraint(fields=["batch", "member"], name="coupon_once_per_member_per_batch"),
            models.CheckConstraint(
                condition=Q(redeemed_at__isnull=True, order__isnull=True) | Q(redeemed_at__isnull=False),
                name="coupon_order_only_when_redeemed",
            ),
        ]

    def __str__(self) -> str:
        return self.code


@receiver(m2m_changed, sender=Campaign.groups.through)
def _cancel_reminders_of_removed_groups(sender, instance, action, pk_set, reverse, **kwargs):
    """Whoever removes a group from a campaign (a page, the admin, a script), its open reminders are cancelled."""
    if reverse or action not in ("post_remove", "pre_clear"):
        return
    group_ids = pk_set if action == "post_remove" else list(instance.groups.values_list("pk", flat=True))
    Reminder.objects.filter(
        campaign=instance,
        group_id__in=list(group_ids or ()),
        status__in=[Reminder.Status.PENDING, Reminder.Status.SENT, Reminder.Status.FAILED],
    ).update(status=Reminder.Status.CANCELLED)

"""Products and the campaigns that sell them: weekly series, campaigns, their items."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, MoneyField, to_money
from members.models import Group


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

    def campaign_name(self, *, number: int, day: dt.date) -> str:
        """'VIP会员特供日 第5期（12月3日 星期四）': the run's name, the campaign's number in it (第N期), its day."""
        date = gettext("%(month)s/%(day)s, %(weekday)s") % {
            "month": day.month,
            "day": day.day,
            "weekday": self.Weekday(day.weekday()).label,
        }
        return gettext("%(run)s No. %(number)s (%(date)s)") % {"run": self.name, "number": number, "date": date}


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

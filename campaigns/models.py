from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communityops.money import ZERO, MoneyField
from members.models import Group, Member


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

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(gmv_target__gte=0), name="campaign_gmv_target_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


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
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="orders", verbose_name=_("member"))
    placed_at = models.DateTimeField(_("placed at"))
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PAID)
    group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", verbose_name=_("group")
    )
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

"""Orders from the shop and their lines, attributed to a member, a group and a campaign."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, MoneyField
from members.models import Group, Member

from .campaigns import Campaign, Product


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

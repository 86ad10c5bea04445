"""Coupons: templates, batches issued to members, and the coupon each member holds."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, MoneyField
from members.models import Member

from .orders import Order


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

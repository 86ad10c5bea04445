from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import ZERO, MoneyField
from members.models import Member


class MemberValue(models.Model):
    """A buyer's expected value, refreshed nightly from the organisation's orders (outreach.expected_value):
    what call lists order by, and the history behind it that the agent is shown. Only members with a
    counting order have a row; the refresh replaces every row at once."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="value", verbose_name=_("member"))
    p_alive = models.FloatField(_("probability still buying"))
    expected_purchases = models.FloatField(_("expected purchases in the horizon"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"))
    expected_value = MoneyField(_("expected value"), default=ZERO)
    frequency = models.PositiveIntegerField(_("repeat purchase days"))
    recency_days = models.PositiveIntegerField(_("days from first to last purchase"))
    t_days = models.PositiveIntegerField(_("days since first purchase"))
    recent_orders = models.PositiveIntegerField(_("orders in the last 90 days"), default=0)
    recent_gmv = MoneyField(_("GMV in the last 90 days"), default=ZERO)
    last_order_date = models.DateField(_("last order"))
    calibration_end = models.DateField(_("orders up to"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        ordering = ["-expected_value", "member_id"]
        verbose_name = _("member value")
        verbose_name_plural = _("member values")
        indexes = [models.Index(fields=["-expected_value"], name="outreach_value_ev_desc")]
        constraints = [
            models.CheckConstraint(condition=Q(p_alive__gte=0) & Q(p_alive__lte=1), name="member_value_p_alive_01"),
            models.CheckConstraint(condition=Q(expected_value__gte=0), name="member_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.expected_value}"

    @property
    def purchase_days(self) -> int:
        """Days the member bought on: the first purchase and the repeats."""
        return self.frequency + 1

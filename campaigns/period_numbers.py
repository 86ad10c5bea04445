"""A period's campaign-side numbers, each counted once here and read by whatever shows it (the recap): the
campaigns that ran, the red packets sent, coupon redemption, groups on a copied playbook, reminders late or
missed by their assignee. A period is [start, end) of aware datetimes."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from core.money import ZERO, to_money

from .models import Campaign, Coupon, PlaybookAssignment, Reminder


def campaigns_in(*, start: dt.datetime, end: dt.datetime):
    """Committed campaigns (published, live or ended) whose window shares an instant with [start, end)."""
    return Campaign.objects.committed().overlapping(start, end).order_by("starts_at", "pk")


def red_packet_spend(*, start: dt.datetime, end: dt.datetime) -> Decimal:
    """What the red packets done in the period cost: Σ amount per packet × packets, over red-packet reminders
    due in [start, end) that their operator marked done (a skipped or missed one was not sent)."""
    spend = ExpressionWrapper(
        F("red_packet_amount") * F("red_packet_count"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    total = (
        Reminder.objects.filter(
            kind=Reminder.Kind.RED_PACKET, status=Reminder.Status.DONE, due_at__gte=start, due_at__lt=end
        )
        .exclude(red_packet_amount__isnull=True)
        .exclude(red_packet_count__isnull=True)
        .aggregate(total=Sum(spend))["total"]
    )
    return to_money(total or ZERO)


@dataclass(frozen=True)
class CouponRedemption:
    issued: int
    redeemed: int

    @property
    def rate(self) -> Decimal | None:
        return None if not self.issued else Decimal(self.redeemed) / Decimal(self.issued)


def coupon_redemption(*, start: dt.datetime, end: dt.datetime) -> CouponRedemption:
    """Coupons issued in [start, end), and how many of them have been redeemed (whenever)."""
    row = Coupon.objects.filter(issued_at__gte=start, issued_at__lt=end).aggregate(
        issued=Count("pk"), redeemed=Count("pk", filter=Q(redeemed_at__isnull=False))
    )
    return CouponRedemption(issued=row["issued"], redeemed=row["redeemed"])


def copied_playbook_groups(*, start: dt.datetime, end: dt.datetime) -> dict[int, list[int]]:
    """campaign id -> ids of the groups that ran it on a copied playbook (an assignment replicated from
    another group, or a playbook copied from another), for the campaigns of the period."""
    rows = (
        PlaybookAssignment.objects.filter(campaign__in=campaigns_in(start=start, end=end))
        .filter(Q(is_copy=True) | Q(playbook__copied_from__isnull=False))
        .values_list("campaign_id", "group_id")
        .distinct()
    )
    out: dict[int, list[int]] = {}
    for campaign_id, group_id in rows:
        out.setdefault(campaign_id, []).append(group_id)
    return out


@dataclass(frozen=True)
class ReminderSlips:
    """Per assignee id (None: nobody assigned): reminders of the period delivered late, and missed."""

    late: Counter
    missed: Counter
    total: Counter


def reminder_slips(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> ReminderSlips:
    """Reminders due in [start, end) (not cancelled, and not notices, which ask nothing to be done): how many
    each assignee had, how many were late (`ReminderQuerySet.late`) and how many were missed as of `now`
    (`ReminderQuerySet.missed`)."""
    due = (
        Reminder.objects.filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=Reminder.Status.CANCELLED)
        .exclude(kind=Reminder.Kind.NOTICE)
    )

    def per_assignee(qs) -> Counter:
        return Counter({row["assignee"]: row["n"] for row in qs.order_by().values("assignee").annotate(n=Count("pk"))})

    return ReminderSlips(
        late=per_assignee(due.late()), missed=per_assignee(due.missed(now=now)), total=per_assignee(due)
    )

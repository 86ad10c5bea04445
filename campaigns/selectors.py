"""Reads for the campaigns pages: campaign lists, the live numbers, the reminder inbox and calendar, coupons."""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DateTimeField, F, Max, Min, Q, Sum, When
from django.utils import timezone

from core.money import ZERO, to_money

from .checks import campaign_problems, campaign_warnings, expected_sales, projected_loss
from .models import Campaign, CampaignSeries, Coupon, CouponTemplate, Order, OrderLine, Playbook, Reminder
from .results import attainment_percent, by_month, campaign_result, campaign_results, results_total


def campaign_list():
    """Newest first. Explicit: Meta.ordering does not apply to a query with GROUP BY (the group count)."""
    return (
        Campaign.objects.select_related("series", "owner")
        .annotate(group_count=Count("groups", distinct=True))
        .order_by("-starts_at", "-pk")
    )


def campaign_get(*, pk: int) -> Campaign:
    return Campaign.objects.select_related("series", "owner").get(pk=pk)


def campaign_list_by_month(*, campaigns) -> list:
    """The list page's months, each with its campaigns' results against their targets and the month's total."""
    campaigns = list(campaigns)
    return by_month(campaigns, campaign_results(campaigns))


def run_number(campaign: Campaign) -> int | None:
    """The campaign's place in its weekly run (第N期, 1 for the first), or None for a one-off campaign."""
    if campaign.series_id is None:
        return None
    return Campaign.objects.filter(series_id=campaign.series_id, starts_at__lt=campaign.starts_at).count() + 1


def series_list():
    return CampaignSeries.objects.order_by("-first_date", "name")


def series_overview(*, series: CampaignSeries) -> dict:
    """A run's page: its campaigns in date order, numbered, each with its result, and the ended ones' total."""
    campaigns = list(series.campaigns.select_related("owner").order_by("starts_at", "pk"))
    results = campaign_results(campaigns)
    return {
        "rows": [(number, campaign, results[campaign.pk]) for number, campaign in enumerate(campaigns, start=1)],
        "total": results_total(campaigns, results),
        "last": campaigns[-1] if campaigns else None,
    }


def campaign_overview(*, campaign: Campaign, now=None) -> dict:
    """What the campaign page shows: items with their margins, the publish problems and warnings, the result
    once it started, reminder counts."""
    now = now or timezone.now()
    items = list(campaign.items.select_related("product"))
    reminders = campaign.reminders.values("status").annotate(n=Count("id"))
    is_draft = campaign.status == Campaign.Status.DRAFT
    planned = expected_sales(items)
    return {
        "items": items,
        "problems": campaign_problems(campaign, now=now) if is_draft else [],
        "warnings": campaign_warnings(campaign, items=items) if is_draft else [],
        "expected_sales": planned,
        "expected_percent": attainment_percent(planned, campaign.gmv_target),
        "result": campaign_result(campaign) if campaign.starts_at <= now else None,
        "run_number": run_number(campaign),
        "run_last_pk": (
            campaign.series.campaigns.order_by("-starts_at", "-pk").values_list("pk", flat=True).first()
            if campaign.series_id
            else campaign.pk
        ),
        "projected_loss": projected_loss(items),
        "projected_margin": to_money(sum((item.projected_margin for item in items), Decimal("0"))),
        "reminder_counts": [(row["status"], Reminder.Status(row["status"]).label, row["n"]) for row in reminders],
        "groups": list(campaign.groups.select_related("owner")),
        "playbooks": list(Playbook.objects.filter(assignments__campaign=campaign).distinct()),
    }


@dataclass
class LiveItem:
    item: object
    sold: int
    cap: int | None
    stock: int
    cap_percent: int | None
    alert: bool


def campaign_live(*, campaign: Campaign, now=None) -> dict:
    """The live page's numbers: GMV against target and pace, orders per 10 minutes, GMV per group, items."""
    now = now or timezone.now()
    until = min(now, campaign.ends_at)
    # Orders placed before `now` only: read at an earlier instant (the recap reads a campaign as of a week's
    # end), the numbers are those of that instant, not the campaign's final ones.
    orders = Order.objects.paid().filter(campaign=campaign, placed_at__lt=now)
    totals = orders.aggregate(gmv=Sum("amount"), orders=Count("id"), buyers=Count("member", distinct=True))
    gmv = totals["gmv"] or ZERO
    duration = (campaign.ends_at - campaign.starts_at).total_seconds()
    elapsed = max(0.0, min(duration, (now - campaign.starts_at).total_seconds()))
    elapsed_share = elapsed / duration if duration else 0.0
    target = campaign.gmv_target or ZERO
    # Pace: GMV so far against the target pro rata to the time elapsed; the projection extends today's rate.
    expected_so_far = to_money(target * Decimal(str(elapsed_share))) if target else ZERO
    projected = to_money(gmv / Decimal(str(elapsed_share))) if elapsed_share > 0 else ZERO

    buckets: dict[dt.datetime, list] = {}
    start = campaign.starts_at
    step = dt.timedelta(minutes=10)
    slot = start
    while slot < max(until, start + step) and len(buckets) < 6 * 24 * 7:
        buckets[slot] = [0, ZERO]
        slot += step
    for placed_at, amount in orders.filter(placed_at__gte=start, placed_at__lt=until).values_list(
        "placed_at", "amount"
    ):
        key = start + step * int((placed_at - start) / step)
        if key in buckets:
            buckets[key][0] += 1
            buckets[key][1] += amount
    series = [
        {"at": timezone.localtime(at).strftime("%H:%M"), "orders": n, "gmv": float(amount)}
        for at, (n, amount) in buckets.items()
    ]

    per_group = list(
        orders.values("group__name").annotate(gmv=Sum("amount"), orders=Count("id")).order_by("-gmv", "group__name")
    )
    sold = dict(
        OrderLine.objects.filter(order__campaign=campaign, order__status=Order.Status.PAID, order__placed_at__lt=now)
        .values_list("product_id")
        .annotate(quantity=Sum("quantity"))
    )
    ratio = settings.CAMPAIGN_RESTOCK_ALERT_RATIO
    items = []
    for item in campaign.items.select_related("product"):
        quantity = sold.get(item.product_id, 0)
        cap = item.supplier_cap
        percent = round(100 * quantity / cap) if cap else None
        items.append(
            LiveItem(
                item=item,
                sold=quantity,
                cap=cap,
                stock=item.product.stock,
                cap_percent=percent,
                alert=bool(cap) and quantity >= ratio * cap,
            )  # fmt: skip
        )
    return {
        "now": now,
        "gmv": gmv,
        "orders": totals["orders"],
        "buyers": totals["buyers"],
        "target": target,
        "target_percent": attainment_percent(gmv, target),
        "expected_so_far": expected_so_far,
        "pace_percent": round(100 * gmv / expected_so_far) if expected_so_far else None,
        "projected": projected,
        "elapsed_percent": round(100 * elapsed_share),
        "series": series,
        "series_json": json.dumps(series),
        "per_group": per_group,
        "items": items,
        "is_running": campaign.starts_at <= now < campaign.ends_at,
        "has_ended": campaign.status == Campaign.Status.ENDED or campaign.ends_at <= now,
        "projected_percent": attainment_percent(projected, target),
        # Per-item sales come from order lines; orders imported without lines leave them unknown, not zero.
        "item_sales_known": bool(sold) or not totals["orders"],
    }


def reminder_inbox(*, user, now=None):
    """The user's reminders that are due and not yet done or skipped, oldest first; each says whether the user
    may close it (`closable`: one nobody is assigned to is shown to all, closed by its group's owner)."""
    now = now or timezone.now()
    return (
        Reminder.objects.for_inbox(user, now=now)
        .with_closable(user, now=now)
        .select_related("group", "campaign", "assignee")
    )


def reminder_backlog(*, now=None) -> dict:
    """Reminders due and not yet sent: {"count", "waiting_since"}, the moment the longest-waiting one became the
    sweep's to take (its due time, or its next attempt after a failed one, or the end of a dead worker's lease)."""
    now = now or timezone.now()
    since = Case(
        When(status=Reminder.Status.SENDING, then=F("lease_until")),
        default=F("next_attempt_at"),
        output_field=DateTimeField(),
    )
    return Reminder.objects.awaiting_sweep(now=now).aggregate(count=Count("id"), waiting_since=Min(since))


def reminder_upcoming(*, user, now=None, limit: int = 10):
    now = now or timezone.now()
    return (
        Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__gt=now)
        .filter(Q(assignee=user) | Q(assignee__isnull=True))
        .select_related("group", "campaign")
        .order_by("due_at")[:limit]
    )


def reminder_calendar(*, week_start: dt.datetime, now=None, group_ids=None) -> dict:
    """The week's reminders by group and day, the load per operator, and last week's late and missed ones."""
    now = now or timezone.now()
    week_end = week_start + dt.timedelta(days=7)
    reminders = Reminder.objects.filter(due_at__gte=week_start, due_at__lt=week_end).exclude(
        status=Reminder.Status.CANCELLED
    )
    if group_ids:
        reminders = reminders.filter(group_id__in=group_ids)
    reminders = list(reminders.select_related("group", "assignee", "campaign").order_by("due_at"))
    days = [(week_start + dt.timedelta(days=i)).date() for i in range(7)]
    grid: dict = defaultdict(lambda: defaultdict(list))
    groups = {}
    for reminder in reminders:
        key = reminder.group_id or 0
        groups[key] = reminder.group
        grid[key][timezone.localtime(reminder.due_at).date()].append(reminder)
    rows = [
        {"group": groups[key], "days": [grid[key].get(day, []) for day in days]}
        for key in sorted(groups, key=lambda k: groups[k].name if groups[k] else "")
    ]
    per_operator: dict = defaultdict(lambda: defaultdict(int))
    for reminder in reminders:
        name = reminder.assignee
        per_operator[name]["total"] += 1
        per_operator[name][reminder.status] += 1
    previous_start = week_start - dt.timedelta(days=7)
    last_week = Reminder.objects.filter(due_at__gte=previous_start, due_at__lt=week_start).select_related(
        "group", "assignee"
    )
    late = list(last_week.late().order_by("due_at"))
    missed = list(last_week.missed(now=now).order_by("due_at"))
    return {
        "days": days,
        "rows": rows,
        "per_operator": sorted(
            ((user, dict(counts)) for user, counts in per_operator.items()),
            key=lambda pair: -pair[1]["total"],
        ),
        "late": late,
        "missed": missed,
        "total": len(reminders),
    }


@dataclass(frozen=True)
class OrderTotals:
    paid_amount: Decimal
    paid_count: int
    refunded_count: int
    last_paid_at: dt.datetime | None


def _order_totals(orders) -> OrderTotals:
    row = orders.aggregate(
        paid_amount=Sum("amount", filter=Q(status=Order.Status.PAID)),
        paid_count=Count("pk", filter=Q(status=Order.Status.PAID)),
        refunded_count=Count("pk", filter=Q(status=Order.Status.REFUNDED)),
        last_paid_at=Max("placed_at", filter=Q(status=Order.Status.PAID)),
    )
    return OrderTotals(
        paid_amount=row["paid_amount"] or ZERO,
        paid_count=row["paid_count"],
        refunded_count=row["refunded_count"],
        last_paid_at=row["last_paid_at"],
    )


def member_orders_panel(*, obj, user, limit: int = 20) -> dict:
    """The member page's orders (members.panels): the latest ones and the totals over all of them."""
    orders = Order.objects.filter(member=obj)
    recent = list(orders.select_related("group", "campaign").order_by("-placed_at", "-pk")[:limit])
    return {"orders": recent, "totals": _order_totals(orders)}


def group_orders_panel(*, obj, user, days: int = 28, limit: int = 10, now=None) -> dict:
    """A group page's orders (members.panels): the latest ones and the totals over the trailing `days` days."""
    now = now or timezone.now()
    orders = Order.objects.filter(group=obj)
    recent = list(orders.select_related("member", "campaign").order_by("-placed_at", "-pk")[:limit])
    return {"orders": recent, "totals": _order_totals(orders.filter(placed_at__gte=now - dt.timedelta(days=days)))}


def coupon_template_stats():
    """Per template: coupons issued, redeemed, and the GMV of the (paid) orders that redeemed them."""
    return CouponTemplate.objects.annotate(
        issued=Count("coupons", distinct=True),
        redeemed=Count("coupons", filter=Q(coupons__redeemed_at__isnull=False), distinct=True),
        gmv=Sum("coupons__order__amount", filter=Q(coupons__order__status=Order.Status.PAID)),
    ).order_by("kind", "code")


def coupon_list(*, template=None):
    coupons = Coupon.objects.select_related("member", "template", "order")
    return coupons.filter(template=template) if template else coupons

"""What campaigns sold against their targets, counted once here for every page that shows it (the campaign
page, the live page, the campaign list and a run's page): GMV, orders, buyers and attainment.

Attainment (达成率) has one definition everywhere: paid GMV ÷ the GMV target. The live page's pace and
projection are other numbers and say so in their labels."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from core.money import ZERO

from .models import Campaign, Order


def attainment_percent(gmv: Decimal, target: Decimal | None) -> int | None:
    """GMV ÷ target as a whole percent; None without a target (a ratio to nothing is no figure)."""
    if not target:
        return None
    return int((Decimal(100) * gmv / target).to_integral_value())


@dataclass(frozen=True)
class Result:
    """A campaign's (or several campaigns') paid GMV, orders, buyers and the target they ran against."""

    gmv: Decimal
    orders: int
    buyers: int
    target: Decimal
    campaigns: int = 1

    @property
    def attainment_percent(self) -> int | None:
        return attainment_percent(self.gmv, self.target)

    @property
    def gap(self) -> Decimal:
        """GMV − target: positive when the target was beaten."""
        return self.gmv - self.target


def campaign_result(campaign: Campaign, *, now: dt.datetime | None = None) -> Result:
    """One campaign's figures from its paid orders placed before `now` (its final figures once it ended)."""
    return campaign_results([campaign], now=now)[campaign.pk]


def campaign_results(campaigns: Iterable[Campaign], *, now: dt.datetime | None = None) -> dict[int, Result]:
    """campaign id -> Result, in one query for the lot (the list page shows up to 200)."""
    campaigns = list(campaigns)
    orders = Order.objects.paid().filter(campaign__in=[campaign.pk for campaign in campaigns])
    if now is not None:
        orders = orders.filter(placed_at__lt=now)
    rows = {
        row["campaign"]: row
        for row in orders.order_by()
        .values("campaign")
        .annotate(gmv=Sum("amount"), orders=Count("pk"), buyers=Count("member", distinct=True))
    }
    results = {}
    for campaign in campaigns:
        row = rows.get(campaign.pk, {})
        results[campaign.pk] = Result(
            gmv=row.get("gmv") or ZERO,
            orders=row.get("orders", 0),
            buyers=row.get("buyers", 0),
            target=campaign.gmv_target or ZERO,
        )
    return results


def results_total(campaigns: Iterable[Campaign], results: dict[int, Result]) -> Result:
    """The ended campaigns' figures added up: GMV against the sum of their targets (a campaign still to run
    has a target and no result yet, so counting it would understate attainment). Buyers are summed per
    campaign: a customer who bought in two campaigns counts twice, as the per-campaign rows do."""
    ended = [results[campaign.pk] for campaign in campaigns if campaign.status == Campaign.Status.ENDED]
    return Result(
        gmv=sum((result.gmv for result in ended), ZERO),
        orders=sum(result.orders for result in ended),
        buyers=sum(result.buyers for result in ended),
        target=sum((result.target for result in ended), ZERO),
        campaigns=len(ended),
    )


@dataclass
class MonthOfCampaigns:
    """The campaigns starting in one local calendar month, newest first, and the month's ended total."""

    month: dt.date  # the first of the month
    rows: list[tuple[Campaign, Result]]
    total: Result


def by_month(campaigns: Iterable[Campaign], results: dict[int, Result]) -> list[MonthOfCampaigns]:
    """The campaign list's sections: one per local month of the campaigns' start, in the given order."""
    months: dict[dt.date, list[Campaign]] = {}
    for campaign in campaigns:
        month = timezone.localtime(campaign.starts_at).date().replace(day=1)
        months.setdefault(month, []).append(campaign)
    return [
        MonthOfCampaigns(
            month=month,
            rows=[(campaign, results[campaign.pk]) for campaign in members],
            total=results_total(members, results),
        )
        for month, members in months.items()
    ]

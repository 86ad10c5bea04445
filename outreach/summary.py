"""Each buyer's purchase history as the models read it, from the organisation's own orders.

Only the orders that count (`Order.objects.paid()`: a refunded order counts nowhere, docs/metrics.md), placed
before the calibration end. A purchase is a local day with at least one such order (the organisation's zone,
core.dates), as in `lifetimes`: frequency = purchase days after the first, recency = days from the first
to the last, T = days from the first to the calibration end, monetary = the mean spend of the repeat days.

One aggregate query, GROUP BY member and local day, streamed into numpy: no query per member.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import BigIntegerField, Count, F, Sum
from django.db.models.functions import Cast, Round, TruncDate

from campaigns.models import Order
from core import dates

RECENT_DAYS = 90  # the window of "orders and GMV in the last 90 days" shown to the agent


@dataclass(frozen=True)
class Summary:
    """One entry per member with a counting order before the end, sorted by member id. Days are counted
    from the calibration end day (the last local day included)."""

    end_day: date
    member: np.ndarray  # member ids
    frequency: np.ndarray  # repeat purchase days
    recency: np.ndarray  # days, first to last purchase day
    T: np.ndarray  # days, first purchase day to the end day
    monetary_cents: np.ndarray  # mean spend of the repeat days, in cents (float); 0 without a repeat
    spend_cents: np.ndarray  # all their spend, every purchase day, in integer cents
    days_since_last: np.ndarray  # days from the last purchase day to the end day
    recent_orders: np.ndarray  # orders in the last RECENT_DAYS days up to the end day, both included
    recent_cents: np.ndarray  # their GMV, in integer cents

    def __len__(self) -> int:
        return len(self.member)

    def last_order_day(self, i: int) -> date:
        return self.end_day - timedelta(days=int(self.days_since_last[i]))


def calibration_instant(end_day: date) -> datetime:
    """The end of the local day `end_day`: orders placed before this instant are in the calibration data."""
    return dates.local_midnight(end_day + timedelta(days=1))


def member_summary(end_day: date) -> Summary:
    """The summary of every buyer from the counting orders placed up to the end of local day `end_day`."""
    rows = (
        Order.objects.paid()
        .filter(placed_at__lt=calibration_instant(end_day))
        .annotate(day=TruncDate("placed_at", tzinfo=dates.zone()))
        .values("member_id", "day")
        # Cents summed as integers in the database: SQLite keeps amounts as REAL, hence the Round.
        .annotate(orders=Count("id"), cents=Sum(Cast(Round(F("amount") * 100), BigIntegerField())))
        .order_by()
        .values_list("member_id", "day", "orders", "cents")
    )
    member, day, orders, cents = [], [], [], []
    for m, d, n, c in rows.iterator(chunk_size=20_000):
        member.append(m)
        day.append(d.toordinal())
        orders.append(n)
        cents.append(c)
    return summarise(end_day, np.array(member, np.int64), np.array(day, np.int64), np.array(orders, np.int64),
                     np.array(cents, np.int64))  # fmt: skip


def summarise(end_day: date, member: np.ndarray, day: np.ndarray, orders: np.ndarray, cents: np.ndarray) -> Summary:
    """The per-member summary from one row per (member, purchase day) with the day's orders and cents;
    `day` as proleptic ordinals (date.toordinal()). Rows may come in any order."""
    end = end_day.toordinal()
    if not len(member):
        empty = np.zeros(0)
        return Summary(end_day, np.zeros(0, np.int64), *[empty] * 8)
    order = np.lexsort((day, member))
    member, day, orders, cents = member[order], day[order], orders[order], cents[order]
    starts = np.flatnonzero(np.r_[True, member[1:] != member[:-1]])
    ends = np.r_[starts[1:], len(member)]
    first, last = day[starts], day[ends - 1]
    frequency = ends - starts - 1
    # Repeat days' spend: every day's spend minus the first day's.
    spend = np.add.reduceat(cents, starts)
    repeat_spend = spend - cents[starts]
    monetary = np.divide(repeat_spend, frequency, out=np.zeros(len(starts)), where=frequency > 0)
    recent = day > end - RECENT_DAYS
    return Summary(
        end_day=end_day,
        member=member[starts],
        frequency=frequency.astype(float),
        recency=(last - first).astype(float),
        T=(end - first).astype(float),
        monetary_cents=monetary,
        spend_cents=spend,
        days_since_last=(end - last).astype(float),
        recent_orders=np.add.reduceat(np.where(recent, orders, 0), starts),
        recent_cents=np.add.reduceat(np.where(recent, cents, 0), starts),
    )

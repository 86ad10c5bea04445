"""Each buyer's purchase history as the models read it, from the organisation's own orders.

Only the orders that count (`Order.objects.paid()`: a refunded order counts nowhere, docs/metrics.md), placed
before the calibration end. A purchase is a local day with at least one such order (the organisation's zone,
core.dates), as in `lifetimes`: frequency = purchase days after the first, recency = days from the first
to the last, T = days from the first to the calibration end, monetary = the mean spend of the repeat days.

One query for the counting orders' (member, instant, cents) as integers, grouped by member and local day in
numpy: no query per member, no Python object per order.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db import connections
from django.db.models import BigIntegerField, F
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Round

from campaigns.models import Order
from core import dates

from .priorities import RECENT_DAYS


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
    member, seconds, cents = order_columns(end_day)
    day = local_days(seconds)
    return summarise(end_day, *per_day(member, day, cents))


def order_columns(end_day: date, *, using: str = "default") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(member id, placed_at as Unix seconds, amount in cents) of every counting order placed before the end
    of local day `end_day`, as numpy columns.

    The counting rule and the cut-off are the ORM's (`Order.objects.paid()`); only the instant is read as
    an integer computed by the database (PostgreSQL's EXTRACT, SQLite's strftime, both in C): building a
    datetime per row, or asking SQLite for a local day through Django's Python function, costs tens of
    seconds at a million orders. Other databases go through datetimes (slower, same result)."""
    qs = Order.objects.using(using).paid().filter(placed_at__lt=calibration_instant(end_day)).order_by()
    # Cents as integers: SQLite keeps amounts as REAL (12.3 * 100 is 1230.0000000000002), hence the Round.
    cents = Cast(Round(F("amount") * 100), BigIntegerField())
    vendor = connections[using].vendor
    if vendor not in EPOCH_SQL:
        rows = list(qs.annotate(cents=cents).values_list("member_id", "placed_at", "cents"))
        return (
            np.array([r[0] for r in rows], np.int64),
            np.array([int(r[1].timestamp() // 1) for r in rows], np.int64),
            np.array([r[2] for r in rows], np.int64),
        )
    epoch = RawSQL(EPOCH_SQL[vendor], [], output_field=BigIntegerField())
    # The ORM writes the query; the cursor reads it straight into numpy, skipping a tuple and a converter
    # pass per row.
    sql, params = (
        qs.annotate(epoch=epoch, cents=cents).values_list("member_id", "epoch", "cents").query.sql_with_params()
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        matrix = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    return matrix[:, 0].copy(), matrix[:, 1].copy(), matrix[:, 2].copy()


# placed_at as whole Unix seconds (UTC): flooring to the second never moves an order across midnight.
PLACED_AT = f'"{Order._meta.db_table}"."placed_at"'
EPOCH_SQL = {
    "postgresql": f"FLOOR(EXTRACT(EPOCH FROM {PLACED_AT}))::bigint",
    "sqlite": f"CAST(strftime('%%s', {PLACED_AT}) AS INTEGER)",  # %% because the query has parameters
}
ZONE_STEP = 900  # zones change offset on quarter hours (UTC), so one look-up per quarter hour is exact


def local_days(seconds: np.ndarray) -> np.ndarray:
    """Unix seconds -> the local day (core.dates' zone) as date ordinals. The zone's offset is looked up once
    per distinct quarter hour (tens of thousands for years of orders), not per order."""
    if not len(seconds):
        return seconds.copy()
    quarter, inverse = np.unique(seconds // ZONE_STEP, return_inverse=True)
    zone = dates.zone()
    offset = np.array(
        [datetime.fromtimestamp(int(q) * ZONE_STEP, zone).utcoffset().total_seconds() for q in quarter],
        dtype=np.int64,
    )
    return (seconds + offset[inverse]) // 86400 + EPOCH_ORDINAL


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def per_day(member: np.ndarray, day: np.ndarray, cents: np.ndarray) -> tuple[np.ndarray, ...]:
    """One row per (member, day): the member, the day, its orders and its cents."""
    if not len(member):
        return member, day, np.zeros(0, np.int64), cents
    order = np.lexsort((day, member))
    member, day, cents = member[order], day[order], cents[order]
    starts = np.flatnonzero(np.r_[True, (member[1:] != member[:-1]) | (day[1:] != day[:-1])])
    counts = np.diff(np.r_[starts, len(member)])
    return member[starts], day[starts], counts, np.add.reduceat(cents, starts)


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

"""Period metrics (docs/metrics.md): GMV, orders, buyers, core members C, repurchases R, AOV A, core GMV
= C × R × A exactly, and other GMV, per group and for the platform, computed from the fact store.

Money is integer cents inside (numpy int64), `Decimal` outside. Decisions where the definitions leave room,
made for the manager reading the number:
- An order counts for the group it is attributed to, when paid, unless the member had left that group at
  or before the order's instant and was not back in it then (`counting_mask`).
- The platform row is the sum of the group rows (平台营业额 = Σ 群营业额): a member who buys in two groups is
  a buyer (and possibly a core member) of each, so the platform identity core GMV = C × R × A holds with
  C = Σ C_g. The platform row always covers every group, also when a caller asks for one group.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.utils.translation import gettext_lazy as _

from core.dates import week_bounds
from core.money import cents_to_money

from . import conf, store
from .facts import Facts
from .groups import GroupRef, group_refs
from .memo import Memo
from .sources import to_us

_totals_memo = Memo()

# The figures of a metrics row, in the order every table, export and document shows them, with their names.
METRIC_LABELS = {
    "gmv": _("GMV"),
    "orders": _("Orders"),
    "buyers": _("Buyers"),
    "core_members": _("Core members"),
    "repurchases": _("Repurchases"),
    "aov": _("AOV"),
    "core_gmv": _("Core GMV"),
    "other_gmv": _("Other GMV"),
}


@dataclass(frozen=True)
class Metrics:
    """A group's (or the platform's) figures for one period, exact."""

    group: GroupRef | None
    gmv_cents: int = 0
    orders: int = 0
    buyers: int = 0
    core_members: int = 0
    core_orders: int = 0
    core_cents: int = 0

    @property
    def gmv(self) -> Decimal:
        return cents_to_money(self.gmv_cents)

    @property
    def core_gmv(self) -> Decimal:
        """C × R × A, exactly: the GMV of core members' orders."""
        return cents_to_money(self.core_cents)

    @property
    def other_cents(self) -> int:
        return self.gmv_cents - self.core_cents

    @property
    def other_gmv(self) -> Decimal:
        """GMV from members with fewer than CORE_MIN_ORDERS orders in the period (one-time buyers)."""
        return cents_to_money(self.other_cents)

    @property
    def repurchases(self) -> Decimal | None:
        """R: core members' orders per core member; None without core members."""
        return None if not self.core_members else Decimal(self.core_orders) / Decimal(self.core_members)

    @property
    def aov(self) -> Decimal | None:
        """A: core members' GMV per core order (unrounded); None without core orders."""
        return None if not self.core_orders else Decimal(self.core_cents) / Decimal(100 * self.core_orders)

    def __add__(self, other: "Metrics") -> "Metrics":
        return Metrics(
            group=None,
            gmv_cents=self.gmv_cents + other.gmv_cents,
            orders=self.orders + other.orders,
            buyers=self.buyers + other.buyers,
            core_members=self.core_members + other.core_members,
            core_orders=self.core_orders + other.core_orders,
            core_cents=self.core_cents + other.core_cents,
        )


@dataclass(frozen=True)
class PeriodMetrics:
    start: datetime
    end: datetime
    groups: list[Metrics]
    platform: Metrics

    def by_group_id(self) -> dict[int, Metrics]:
        return {m.group.id: m for m in self.groups}


def _group_totals(group, member, cents, span: int, kmin: int) -> dict[int, tuple]:
    """Per group id: (gmv_cents, orders, buyers, core_members, core_orders, core_cents) of the given orders."""
    if not len(group):
        return {}
    keys = group * span + member
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    pair_keys = ks[starts]
    n = np.diff(np.r_[starts, len(ks)])
    s = np.add.reduceat(cents[order], starts)
    pair_group = pair_keys // span
    core = n >= kmin
    gstarts = np.flatnonzero(np.r_[True, pair_group[1:] != pair_group[:-1]])
    columns = (
        np.add.reduceat(s, gstarts),
        np.add.reduceat(n, gstarts),
        np.diff(np.r_[gstarts, len(pair_group)]),
        np.add.reduceat(core.astype(np.int64), gstarts),
        np.add.reduceat(np.where(core, n, 0), gstarts),
        np.add.reduceat(np.where(core, s, 0), gstarts),
    )
    gids = pair_group[gstarts]
    return {int(g): tuple(int(c[i]) for c in columns) for i, g in enumerate(gids)}


def _period_totals(f: Facts, sl: slice, kmin: int) -> dict[int, tuple]:
    """Per group id, the totals of the counting orders in a slice: per-pair counts and sums are one bincount
    each over the store's pair index (no sort). Float sums of integer cents are exact below 2**53 cents."""
    pairs = len(f.pair_keys)
    idx = f.pair_index[sl]
    if not len(idx):
        return {}
    n = np.bincount(idx, minlength=pairs)
    cents = np.bincount(idx, weights=f.cents[sl], minlength=pairs)
    active = np.flatnonzero(n)
    n, cents = n[active], cents[active]
    pair_group = f.pair_keys[active] // f.span
    core = n >= kmin
    size = int(pair_group.max()) + 1
    columns = (
        np.bincount(pair_group, weights=cents, minlength=size),
        np.bincount(pair_group, weights=n, minlength=size),
        np.bincount(pair_group, minlength=size),
        np.bincount(pair_group[core], minlength=size),
        np.bincount(pair_group[core], weights=n[core], minlength=size),
        np.bincount(pair_group[core], weights=cents[core], minlength=size),
    )
    present = np.flatnonzero(columns[2])
    table = np.rint(np.stack([c[present] for c in columns])).astype(np.int64)
    return {int(g): tuple(int(v) for v in table[:, i]) for i, g in enumerate(present)}


def period_metrics(
    *, start: datetime, end: datetime, codes: Iterable[str] | None = None, using: str = "default"
) -> PeriodMetrics:
    """GMV, orders, buyers, core members, repurchases, AOV, core and other GMV of every group in
    [start, end), and the platform (the sum over all groups)."""
    f = store.facts(using=using)
    refs = group_refs(using=using)
    start_us, end_us, kmin = to_us(start), to_us(end), conf.core_min_orders()

    def compute():
        return _period_totals(f, f.slice(start_us, end_us), kmin)

    totals = _totals_memo.get(f, (start_us, end_us, kmin), compute)
    rows = [Metrics(ref, *totals.get(ref.id, ())) for ref in refs]
    platform = sum(rows, Metrics(None))
    if codes is not None:
        wanted = set(codes)
        rows = [m for m in rows if m.group.code in wanted]
    return PeriodMetrics(start=start, end=end, groups=rows, platform=platform)


def weekly_metrics(
    *, mondays: Sequence, group: GroupRef | None = None, using: str = "default"
) -> list[tuple[object, Metrics]]:
    """Metrics of one group (or the platform when `group` is None) for each ISO week starting on `mondays`."""
    f = store.facts(using=using)
    kmin = conf.core_min_orders()
    if group is not None:
        sel = f.group == group.id
        ts, grp, mem, cents = f.ts[sel], f.group[sel], f.member[sel], f.cents[sel]
    else:
        ts, grp, mem, cents = f.ts, f.group, f.member, f.cents
    out = []
    for monday in mondays:
        start, end = week_bounds(monday)
        lo, hi = np.searchsorted(ts, [to_us(start), to_us(end)], side="left")
        totals = _group_totals(grp[lo:hi], mem[lo:hi], cents[lo:hi], f.span, kmin)
        total = sum((Metrics(None, *t) for t in totals.values()), Metrics(None))
        out.append((monday, Metrics(group, *_metric_tuple(total))))
    return out


def _metric_tuple(m: Metrics) -> tuple:
    return (m.gmv_cents, m.orders, m.buyers, m.core_members, m.core_orders, m.core_cents)

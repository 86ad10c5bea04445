"""The numbers (DESIGN.md "Metrics: exact definitions"), computed from the fact store (`analytics.store`).

Money is integer cents inside (numpy int64), `Decimal` outside. Every function takes aware datetimes for
instants; `analytics.periods` turns local days and ISO weeks into them.

Decisions where the definitions leave room, made for the manager reading the number:
- An order counts for the group it is attributed to, when paid, unless the member had left that group at
  or before the order's instant and was not back in it then (`store.counting_mask`). So an order the shop
  still attributes to a group after the member left it counts nowhere in that group's figures — not in
  GMV, orders, buyers, core members nor segments.
- "In a group at t" means a membership (not merely invited) with joined_at <= t < left_at (an unknown
  join date counts as "always"). Leaving at exactly t means out at t.
- The platform row is the sum of the group rows (平台营业额 = Σ 群营业额): a member who buys in two groups is
  a buyer (and possibly a core member) of each, so the platform identity core GMV = C × R × A holds with
  C = Σ C_g. The platform row always covers every group, also when a caller asks for one group.
- The segment window [t − W, t) and the grade window are exact durations (W × 24 h) before t.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Group

from . import conf, sources, store
from .models import LEFT, SEGMENTS, Grade, Segment
from .sources import to_us

# Segment codes inside the arrays; SEGMENT_CODES[i] is the name.
POTENTIAL, NEW, CORE, DORMANT, LEFT_CODE = range(5)
SEGMENT_CODES = [s.value for s in SEGMENTS]
TARGET_CODES = [*SEGMENT_CODES, LEFT]


@dataclass(frozen=True)
class GroupRef:
    id: int
    code: str
    name: str
    capacity: int


def group_refs(*, codes: Iterable[str] | None = None, using: str = "default") -> list[GroupRef]:
    """Every group (or those with the given codes), by code."""
    refs = [GroupRef(*row) for row in sources.group_rows(using=using)]
    if codes is not None:
        wanted = set(codes)
        refs = [r for r in refs if r.code in wanted]
    return refs


def _cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


# --- period metrics -----------------------------------------------------------------------------------


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
        return _cents(self.gmv_cents)

    @property
    def core_gmv(self) -> Decimal:
        """C × R × A, exactly: the GMV of core members' orders."""
        return _cents(self.core_cents)

    @property
    def other_cents(self) -> int:
        return self.gmv_cents - self.core_cents

    @property
    def other_gmv(self) -> Decimal:
        """GMV from members with fewer than CORE_MIN_ORDERS orders in the period (one-time buyers)."""
        return _cents(self.other_cents)

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


class _Memo:
    """The last few results computed from one fact store. A page reloaded, or a grade and a ranking asking for
    the same window, reuse them; a refreshed store is a new object, so nothing stale is ever returned."""

    def __init__(self, size: int = 16):
        self.size = size
        self.entries: dict = {}

    def get(self, f: store.Facts, key: tuple, compute):
        entry = self.entries.get((id(f), key))
        if entry is not None and entry[0] is f:
            return entry[1]
        value = compute()
        if len(self.entries) >= self.size:
            self.entries.pop(next(iter(self.entries)))
        self.entries[(id(f), key)] = (f, value)
        return value


_totals_memo = _Memo()
_snapshot_memo = _Memo()


def _period_totals(f: store.Facts, sl: slice, kmin: int) -> dict[int, tuple]:
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
    from .periods import week_bounds

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


# --- segments -----------------------------------------------------------------------------------------


def _segment_codes(f: store.Facts, at_us: int, keys: np.ndarray) -> np.ndarray:
    """Segment code of each (group, member) pair key at instant `at` (pairs assumed in the group then)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    first = np.full(len(keys), sources.NEVER_AFTER, dtype=np.int64)
    if len(f.pair_keys):
        pos = np.minimum(np.searchsorted(f.pair_keys, keys), len(f.pair_keys) - 1)
        hit = f.pair_keys[pos] == keys
        first[hit] = f.pair_first_ts[pos[hit]]
    ever = first < at_us
    window_us = int(conf.segment_window() / timedelta(microseconds=1))
    sl = f.slice(at_us - window_us, at_us)
    in_window = np.zeros(len(keys), dtype=np.int64)
    if len(f.pair_keys) and sl.stop > sl.start:
        counts = np.bincount(f.pair_index[sl], minlength=len(f.pair_keys))
        in_window[hit] = counts[pos[hit]]
    kmin = conf.core_min_orders()
    return np.where(~ever, POTENTIAL, np.where(in_window >= kmin, CORE, np.where(in_window > 0, NEW, DORMANT)))


@dataclass(frozen=True)
class SegmentSnapshot:
    """Every member of every group at an instant, with their segment."""

    at: datetime
    span: int
    keys: np.ndarray  # sorted (group * span + member)
    codes: np.ndarray  # segment code per key

    @property
    def group_ids(self) -> np.ndarray:
        return self.keys // self.span

    @property
    def member_ids(self) -> np.ndarray:
        return self.keys % self.span

    def of_group(self, group_id: int) -> dict[int, str]:
        """member id -> segment, for the members of one group."""
        lo, hi = np.searchsorted(self.keys, [group_id * self.span, (group_id + 1) * self.span])
        return {int(m): SEGMENT_CODES[c] for m, c in zip(self.keys[lo:hi] % self.span, self.codes[lo:hi], strict=True)}

    def counts(self) -> dict[int, dict[str, int]]:
        """group id -> {segment: members}, for groups with members."""
        gids = self.group_ids
        out: dict[int, dict[str, int]] = {}
        if not len(gids):
            return out
        uniq, inverse = np.unique(gids, return_inverse=True)
        table = np.zeros((len(uniq), 4), dtype=np.int64)
        np.add.at(table, (inverse, self.codes), 1)
        for i, g in enumerate(uniq):
            out[int(g)] = dict(zip(SEGMENT_CODES, (int(v) for v in table[i]), strict=True))
        return out


def segments_at(*, at: datetime, group_ids: Iterable[int] | None = None, using: str = "default") -> SegmentSnapshot:
    """The segment (potential / new / core / dormant) of every member of every group (or the given ones) at
    instant `at`, counting the group's orders placed before `at`."""
    f = store.facts(using=using)
    at_us = to_us(at)
    if group_ids is None:
        window, kmin = conf.segment_window(), conf.core_min_orders()

        def compute():
            keys = f.members_at(at_us)
            return SegmentSnapshot(at=at, span=f.span, keys=keys, codes=_segment_codes(f, at_us, keys))

        return _snapshot_memo.get(f, (at_us, window, kmin), compute)
    keys = f.members_at(at_us)
    keys = keys[np.isin(keys // f.span, np.fromiter(group_ids, dtype=np.int64))]
    return SegmentSnapshot(at=at, span=f.span, keys=keys, codes=_segment_codes(f, at_us, keys))


def member_segments(*, member_id: int, at: datetime | None = None, using: str = "default") -> dict[int, str]:
    """group id -> the member's segment there, for every group the member is in at `at` (default now)."""
    f = store.facts(using=using)
    at_us = to_us(at or timezone.now())
    inside = (f.ms_joined <= at_us) & (at_us < f.ms_left) & (f.ms_keys % f.span == member_id)
    keys = store.sorted_unique(f.ms_keys[inside])
    codes = _segment_codes(f, at_us, keys)
    return {int(k // f.span): SEGMENT_CODES[c] for k, c in zip(keys, codes, strict=True)}


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(SEGMENT_CODES, 0)


# --- weekly transitions and the four rates ------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    """A rate; None (shown "—") when the denominator is empty, never 0."""
    return None if denominator == 0 else Decimal(numerator) / Decimal(denominator)


@dataclass(frozen=True)
class WeekTransitions:
    group: GroupRef
    start: datetime
    end: datetime
    start_counts: dict[str, int]
    end_counts: dict[str, int]
    # transitions[from][to] for from in the four segments and to in them or "left".
    transitions: dict[str, dict[str, int]]
    # Members present at the end who were not in the group at the start, by their segment at the end.
    joined: dict[str, int] = field(default_factory=zero_counts)

    def _t(self, sources_: Sequence[str], targets: Sequence[str]) -> int:
        return sum(self.transitions[a][b] for a in sources_ for b in targets)

    def _cohort(self, *segments: str) -> int:
        return sum(sum(self.transitions[s].values()) for s in segments)

    @property
    def new_add_rate(self) -> Decimal | None:
        """新增率: potential -> new or core, over potential."""
        return _ratio(self._t(["potential"], ["new", "core"]), self._cohort("potential"))

    @property
    def conversion_rate(self) -> Decimal | None:
        """转化率: new -> core, over new."""
        return _ratio(self._t(["new"], ["core"]), self._cohort("new"))

    @property
    def churn_rate(self) -> Decimal | None:
        """流失率: potential, new or core -> dormant or left the group, over potential + new + core."""
        active = ["potential", "new", "core"]
        return _ratio(self._t(active, ["dormant", LEFT]), self._cohort(*active))

    @property
    def reactivation_rate(self) -> Decimal | None:
        """唤醒率: dormant -> new or core, over dormant."""
        return _ratio(self._t(["dormant"], ["new", "core"]), self._cohort("dormant"))

    def rates(self) -> dict[str, Decimal | None]:
        return {
            "new_add_rate": self.new_add_rate,
            "conversion_rate": self.conversion_rate,
            "churn_rate": self.churn_rate,
            "reactivation_rate": self.reactivation_rate,
        }


def _transitions(
    f: store.Facts, s0: SegmentSnapshot, s1: SegmentSnapshot, groups: Sequence[GroupRef]
) -> list[WeekTransitions]:
    """Transitions between two snapshots of the same groups (the members present at the first)."""
    gids = np.array([g.id for g in groups], dtype=np.int64)
    # Destination of each member present at the start: their segment at the end, or "left".
    dest = np.full(len(s0.keys), LEFT_CODE, dtype=np.int64)
    if len(s1.keys) and len(s0.keys):
        pos = np.minimum(np.searchsorted(s1.keys, s0.keys), len(s1.keys) - 1)
        hit = s1.keys[pos] == s0.keys
        dest[hit] = s1.codes[pos[hit]]
    arrivals = np.ones(len(s1.keys), dtype=bool)
    if len(s0.keys) and len(s1.keys):
        pos = np.minimum(np.searchsorted(s0.keys, s1.keys), len(s0.keys) - 1)
        arrivals = s0.keys[pos] != s1.keys
    lookup = np.full(int(gids.max(initial=0)) + 1, -1, dtype=np.int64)
    lookup[gids] = np.arange(len(gids))
    matrix = np.zeros((len(groups), 4, 5), dtype=np.int64)
    np.add.at(matrix, (lookup[s0.keys // f.span], s0.codes, dest), 1)
    ends = np.zeros((len(groups), 4), dtype=np.int64)
    np.add.at(ends, (lookup[s1.keys // f.span], s1.codes), 1)
    joined = np.zeros((len(groups), 4), dtype=np.int64)
    np.add.at(joined, (lookup[s1.keys[arrivals] // f.span], s1.codes[arrivals]), 1)
    out = []
    for i, g in enumerate(groups):
        transitions = {SEGMENT_CODES[a]: {TARGET_CODES[b]: int(matrix[i, a, b]) for b in range(5)} for a in range(4)}
        out.append(
            WeekTransitions(
                group=g,
                start=s0.at,
                end=s1.at,
                start_counts={SEGMENT_CODES[a]: int(matrix[i, a].sum()) for a in range(4)},
                end_counts={SEGMENT_CODES[a]: int(ends[i, a]) for a in range(4)},
                transitions=transitions,
                joined={SEGMENT_CODES[a]: int(joined[i, a]) for a in range(4)},
            )
        )
    return out


def transitions_between(
    *, start: datetime, end: datetime, groups: Sequence[GroupRef], using: str = "default"
) -> list[WeekTransitions]:
    """Segment counts at `start` and `end` and the transitions of the members in each group at `start`."""
    return transitions_series(instants=[start, end], groups=groups, using=using)[0]


def transitions_series(
    *, instants: Sequence[datetime], groups: Sequence[GroupRef], using: str = "default"
) -> list[list[WeekTransitions]]:
    """Transitions between consecutive instants (e.g. the Mondays of several weeks), one snapshot each."""
    f = store.facts(using=using)
    gids = [g.id for g in groups]
    snapshots = [segments_at(at=t, group_ids=gids, using=using) for t in instants]
    return [_transitions(f, a, b, groups) for a, b in zip(snapshots, snapshots[1:], strict=False)]


def week_transitions(*, monday, codes: Iterable[str] | None = None, using: str = "default") -> list[WeekTransitions]:
    """The ISO week starting on local `monday`: snapshots at its start and end, for every group by code."""
    from .periods import week_bounds

    start, end = week_bounds(monday)
    return transitions_between(start=start, end=end, groups=group_refs(codes=codes, using=using), using=using)


# --- decomposition ------------------------------------------------------------------------------------


def _lmdi_weight(x: float, y: float) -> float:
    """L(x, y) = (x - y) / (ln x - ln y), L(x, x) = x."""
    if x == y:
        return x
    return (x - y) / (math.log(x) - math.log(y))


def _round_cents(value: float) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Decomposition:
    """ΔGMV = core-member effect + repurchase effect + AOV effect + one-time-buyer effect, exactly."""

    before: Metrics
    after: Metrics
    core_members_cents: int
    repurchases_cents: int
    aov_cents: int
    other_cents: int

    @property
    def delta_cents(self) -> int:
        return self.after.gmv_cents - self.before.gmv_cents

    @property
    def delta(self) -> Decimal:
        return _cents(self.delta_cents)

    @property
    def core_members_effect(self) -> Decimal:
        return _cents(self.core_members_cents)

    @property
    def repurchases_effect(self) -> Decimal:
        return _cents(self.repurchases_cents)

    @property
    def aov_effect(self) -> Decimal:
        return _cents(self.aov_cents)

    @property
    def other_effect(self) -> Decimal:
        return _cents(self.other_cents)

    def effects(self) -> list[tuple[str, Decimal]]:
        return [
            ("core_members", self.core_members_effect),
            ("repurchases", self.repurchases_effect),
            ("aov", self.aov_effect),
            ("other", self.other_effect),
        ]

    def sentence(self) -> str:
        """The manager's line: "GMV −¥8,200: core members −¥5,100, repurchases +¥900, AOV −¥4,000, one-time
        buyers −¥0"."""
        return _("GMV %(delta)s: core members %(c)s, repurchases %(r)s, AOV %(a)s, one-time buyers %(o)s") % {
            "delta": signed_yuan(self.delta),
            "c": signed_yuan(self.core_members_effect),
            "r": signed_yuan(self.repurchases_effect),
            "a": signed_yuan(self.aov_effect),
            "o": signed_yuan(self.other_effect),
        }


def signed_yuan(value: Decimal) -> str:
    """+¥900, −¥5,100.50, ¥0: a true minus sign, thousands separators, cents only when there are any."""
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    magnitude = abs(value)
    text = f"{magnitude:,.0f}" if magnitude == magnitude.to_integral_value() else f"{magnitude:,.2f}"
    return f"{sign}¥{text}"


def decompose(before: Metrics, after: Metrics) -> Decomposition:
    """Split the change in GMV between two periods into the C, R and A effects (LMDI-I on core GMV = C×R×A)
    plus the change in other GMV. Each effect is rounded to the cent and the rounding residue goes to the
    largest of the three, so they sum exactly to the change in core GMV. Where either period has no core
    members (or its core GMV is zero, so a factor is zero and has no logarithm), the whole change in core
    GMV is the core-member effect."""
    v0, v1 = before.core_cents, after.core_cents
    dv = v1 - v0
    if not (before.core_members and after.core_members and v0 > 0 and v1 > 0):
        c_eff, r_eff, a_eff = dv, 0, 0
    else:
        w = _lmdi_weight(float(v1), float(v0))
        raw = [
            w * math.log(after.core_members / before.core_members),
            w * (math.log(after.core_orders / after.core_members) - math.log(before.core_orders / before.core_members)),
            w * (math.log(v1 / after.core_orders) - math.log(v0 / before.core_orders)),
        ]
        rounded = [_round_cents(x) for x in raw]
        residue = dv - sum(rounded)
        if residue:
            largest = max(range(3), key=lambda i: abs(raw[i]))
            rounded[largest] += residue
        c_eff, r_eff, a_eff = rounded
    return Decomposition(
        before=before,
        after=after,
        core_members_cents=c_eff,
        repurchases_cents=r_eff,
        aov_cents=a_eff,
        other_cents=after.other_cents - before.other_cents,
    )


@dataclass(frozen=True)
class PeriodComparison:
    before: PeriodMetrics
    after: PeriodMetrics
    groups: list[Decomposition]
    platform: Decomposition


def compare_periods(
    *,
    before: tuple[datetime, datetime],
    after: tuple[datetime, datetime],
    codes: Iterable[str] | None = None,
    using: str = "default",
) -> PeriodComparison:
    """The decomposition of ΔGMV from period `before` to period `after`, per group and for the platform."""
    codes = None if codes is None else list(codes)
    m0 = period_metrics(start=before[0], end=before[1], codes=codes, using=using)
    m1 = period_metrics(start=after[0], end=after[1], codes=codes, using=using)
    rows = [decompose(a, b) for a, b in zip(m0.groups, m1.groups, strict=True)]
    return PeriodComparison(before=m0, after=m1, groups=rows, platform=decompose(m0.platform, m1.platform))


# --- grades and stages --------------------------------------------------------------------------------


def grade_of(m: Metrics) -> str:
    """A: core GMV and core members at the A thresholds; B: core GMV at the B threshold; C: any GMV; D: none."""
    core_gmv = m.core_gmv
    if core_gmv >= conf.get("GRADE_A_CORE_GMV") and m.core_members >= int(conf.get("GRADE_A_CORE_MEMBERS")):
        return Grade.A
    if core_gmv >= conf.get("GRADE_B_CORE_GMV"):
        return Grade.B
    if m.gmv_cents > 0:
        return Grade.C
    return Grade.D


def group_grades(*, at: datetime | None = None, using: str = "default") -> dict[int, str]:
    """group id -> grade, from the trailing grade window ending at `at` (default now)."""
    at = at or timezone.now()
    pm = period_metrics(start=at - conf.grade_window(), end=at, using=using)
    return {m.group.id: grade_of(m) for m in pm.groups}


def high_value_group_count(*, at: datetime | None = None, using: str = "default") -> int:
    """How many groups are grade A: the number a company is judged by."""
    return sum(1 for g in group_grades(at=at, using=using).values() if g == Grade.A)


def suggest_stage(counts: dict[str, int], capacity: int) -> str:
    """Conversion when potential members are at least half the group; acquisition when the group is under
    60 % of capacity with under 30 % potential; retention otherwise. An empty group is under capacity with
    no potential members, so: acquisition."""
    members = sum(counts.values())
    potential = Decimal(counts.get("potential", 0))
    share = potential / members if members else Decimal(0)
    if members and share >= conf.get("STAGE_CONVERSION_POTENTIAL_SHARE"):
        return Group.Stage.CONVERSION
    if Decimal(members) < conf.get("STAGE_ACQUISITION_CAPACITY_SHARE") * capacity and share < conf.get(
        "STAGE_ACQUISITION_POTENTIAL_SHARE"
    ):
        return Group.Stage.ACQUISITION
    return Group.Stage.RETENTION


def suggested_stages(*, at: datetime | None = None, using: str = "default") -> dict[int, str]:
    """group id -> suggested stage from the segment mix at `at` (default now)."""
    at = at or timezone.now()
    counts = segments_at(at=at, using=using).counts()
    return {ref.id: suggest_stage(counts.get(ref.id, zero_counts()), ref.capacity) for ref in group_refs(using=using)}


# --- forecast -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """A Markov projection of a group's segment mix, assuming recent weeks repeat."""

    group: GroupRef
    history: list[WeekTransitions]
    # Row-stochastic 4 × 5 matrix (from segment -> segment or left), estimated from `history`.
    probabilities: list[list[float]]
    # Expected members joining per week, by their segment at the end of their first week.
    inflow: list[float]
    start_counts: dict[str, int]
    # (week start, expected counts by segment) for the coming weeks.
    projection: list[tuple[datetime, dict[str, float]]]


def core_forecast(
    *,
    group: GroupRef,
    at: datetime,
    history_weeks: int = 4,
    weeks_ahead: int = 4,
    using: str = "default",
) -> Forecast:
    """Project the segment mix (and so the core members) of `group` week by week from instant `at` (a week
    start), with the transition probabilities and joins pooled over the `history_weeks` weeks before `at`.
    A segment nobody was in during those weeks keeps its members where they are."""
    week = timedelta(days=7)
    instants = [at - k * week for k in reversed(range(history_weeks + 1))]
    history = [row[0] for row in transitions_series(instants=instants, groups=[group], using=using)]
    pooled = np.zeros((4, 5))
    inflow = np.zeros(4)
    for wt in history:
        for a, src in enumerate(SEGMENT_CODES):
            for b, dst in enumerate(TARGET_CODES):
                pooled[a, b] += wt.transitions[src][dst]
        inflow += [wt.joined[s] for s in SEGMENT_CODES]
    probabilities = np.zeros((4, 5))
    for a in range(4):
        total = pooled[a].sum()
        if total:
            probabilities[a] = pooled[a] / total
        else:
            probabilities[a, a] = 1.0
    inflow = inflow / max(history_weeks, 1)
    start_counts = segments_at(at=at, group_ids=[group.id], using=using).counts().get(group.id, zero_counts())
    state = np.array([start_counts[s] for s in SEGMENT_CODES], dtype=float)
    projection = []
    for k in range(1, weeks_ahead + 1):
        state = state @ probabilities[:, :4] + inflow
        projection.append((at + k * week, dict(zip(SEGMENT_CODES, (float(v) for v in state), strict=True))))
    return Forecast(
        group=group,
        history=history,
        probabilities=probabilities.tolist(),
        inflow=inflow.tolist(),
        start_counts=start_counts,
        projection=projection,
    )


__all__ = [
    "Decomposition",
    "Forecast",
    "GroupRef",
    "Metrics",
    "PeriodComparison",
    "PeriodMetrics",
    "SegmentSnapshot",
    "WeekTransitions",
    "compare_periods",
    "core_forecast",
    "decompose",
    "grade_of",
    "group_grades",
    "group_refs",
    "high_value_group_count",
    "member_segments",
    "period_metrics",
    "segments_at",
    "signed_yuan",
    "suggest_stage",
    "suggested_stages",
    "transitions_between",
    "transitions_series",
    "week_transitions",
    "weekly_metrics",
    "Segment",
]

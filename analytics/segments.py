"""Segments (docs/metrics.md): each member of each group at an instant is potential, new, core or dormant,
counting the group's orders placed before the instant, with the window [t − W, t) (W exact days).

The same partition at the customer's level (`customer_segments_at`) counts every paid order of the member,
whatever the group: dormant as a customer means no order anywhere in the window. Both apply one rule,
`_partition`, to different order counts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from . import conf, sources, store
from .facts import Facts, sorted_unique
from .memo import Memo
from .models import LEFT, SEGMENTS
from .sources import to_us

# Segment codes inside the arrays; SEGMENT_CODES[i] is the name.
POTENTIAL, NEW, CORE, DORMANT, LEFT_CODE = range(5)
SEGMENT_CODES = [s.value for s in SEGMENTS]
TARGET_CODES = [*SEGMENT_CODES, LEFT]

_snapshot_memo = Memo()


def _segment_codes(f: Facts, at_us: int, keys: np.ndarray) -> np.ndarray:
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
    return _partition(ever, in_window)


def _partition(ever: np.ndarray, in_window: np.ndarray) -> np.ndarray:
    """The segment rule: never ordered before t, else at least CORE_MIN_ORDERS orders in the window, else some,
    else none (dormant)."""
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


def segments_at(
    *, at: datetime, group_ids: Iterable[int] | None = None, using: str = "default", facts: Facts | None = None
) -> SegmentSnapshot:
    """The segment (potential / new / core / dormant) of every member of every group (or the given ones) at
    instant `at`, counting the group's orders placed before `at`. `facts`: the store already read (a series of
    instants reads it once)."""
    f = facts if facts is not None else store.facts(using=using)
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
    keys = sorted_unique(f.ms_keys[inside])
    codes = _segment_codes(f, at_us, keys)
    return {int(k // f.span): SEGMENT_CODES[c] for k, c in zip(keys, codes, strict=True)}


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(SEGMENT_CODES, 0)


# --- the customer's own state, whatever the group -------------------------------------------------------

_customer_memo = Memo()


@dataclass(frozen=True)
class CustomerOrders:
    """Every paid order of every member (in a group, in none, or placed after leaving one): a purchase is a
    purchase for the customer's own state, whichever group it counts for."""

    ts: np.ndarray
    member: np.ndarray
    first_ts: np.ndarray  # by member id: their first paid order (NEVER_AFTER for none)


def customer_orders(f: Facts) -> CustomerOrders:
    """The members' paid orders and each member's first, read once per fact store (no sort: one pass)."""

    def compute():
        paid = f.orders.paid
        ts, member = f.orders.ts[paid], f.orders.member[paid]
        first = np.full(f.span, sources.NEVER_AFTER, dtype=np.int64)
        np.minimum.at(first, member, ts)
        return CustomerOrders(ts=ts, member=member, first_ts=first)

    return _customer_memo.get(f, ("orders",), compute)


@dataclass(frozen=True)
class CustomerSnapshot:
    """Every member who had bought before an instant, with their segment as a customer then (new, core or
    dormant); every other member is potential."""

    at: datetime
    member_ids: np.ndarray  # sorted
    codes: np.ndarray

    def ids(self, segment: str) -> np.ndarray:
        """The buyers in `segment` (not potential: those are the members not listed)."""
        return self.member_ids[self.codes == SEGMENT_CODES.index(segment)]

    def of(self, member_ids: Iterable[int]) -> dict[int, str]:
        """member id -> segment as a customer, potential for members who never bought before the instant."""
        wanted = np.fromiter(member_ids, dtype=np.int64)
        out = dict.fromkeys((int(m) for m in wanted), SEGMENT_CODES[POTENTIAL])
        if len(self.member_ids) and len(wanted):
            pos = np.minimum(np.searchsorted(self.member_ids, wanted), len(self.member_ids) - 1)
            hit = self.member_ids[pos] == wanted
            out.update({int(m): SEGMENT_CODES[c] for m, c in zip(wanted[hit], self.codes[pos[hit]], strict=True)})
        return out


def customer_segments_at(*, at: datetime, using: str = "default", facts: Facts | None = None) -> CustomerSnapshot:
    """Each member's segment as a customer at instant `at`: the segment rule over all of their paid orders placed
    before `at`, whatever the group, with the window [at − W, at)."""
    f = facts if facts is not None else store.facts(using=using)
    at_us = to_us(at)
    window_us = int(conf.segment_window() / timedelta(microseconds=1))

    def compute():
        co = customer_orders(f)
        buyers = np.flatnonzero(co.first_ts < at_us)
        in_window = (co.ts >= at_us - window_us) & (co.ts < at_us)
        counts = np.bincount(co.member[in_window], minlength=len(co.first_ts))
        codes = _partition(np.ones(len(buyers), dtype=bool), counts[buyers])
        return CustomerSnapshot(at=at, member_ids=buyers, codes=codes)

    return _customer_memo.get(f, (at_us, window_us, conf.core_min_orders()), compute)

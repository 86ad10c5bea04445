"""The facts analytics computes from: every order and membership as numpy columns, and the views derived from
them once per change, shared read-only by every request.

- the *counting* orders — paid, attributed to a group, and not placed after the member left that group
  (see `counting_mask`) — sorted by time, so a period is one contiguous slice;
- per (group, member) pair the first counting order's instant, for "ordered before t" in segments.

`analytics.store` keeps them current; `analytics.snapshot` writes and maps them as .npy files.
"""

from dataclasses import dataclass

import numpy as np

from . import sources
from .sources import MembershipColumns, OrderColumns


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for int64 keys, by sorting: NumPy 2's default (hash-based) unique is ~100× slower on them."""
    if not len(values):
        return values
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def counting_mask(orders: OrderColumns, memberships: MembershipColumns) -> np.ndarray:
    """Which orders count for their group: paid, with a group, and not placed while the member was out of it.

    "Members who left a group stop counting from the instant they left": an order attributed to group g
    at instant t does not count for g when the member had left g at or before t (`left_at <= t`) and was
    not back in g at t (no membership with `joined_at <= t < left_at`). Orders placed before a member
    ever joined still count (the shop attributed them to the group; a join date is often recorded late),
    and so do orders of buyers who never had a membership row.
    """
    mask = orders.paid & (orders.group >= 0)
    if not len(memberships.group) or not mask.any():
        return mask
    span = _span(orders, memberships)
    closed = memberships.left != sources.NEVER_AFTER
    if not closed.any():
        return mask
    ms_key = memberships.group * span + memberships.member
    closed_keys = sorted_unique(ms_key[closed])
    order_key = orders.group * span + orders.member
    pos = np.searchsorted(closed_keys, order_key)
    pos[pos == len(closed_keys)] = 0
    flagged = np.flatnonzero(mask & (closed_keys[pos] == order_key))
    if not len(flagged):
        return mask
    # Pair every flagged order with every membership interval of its (group, member).
    by_key = np.argsort(ms_key, kind="stable")
    sorted_keys = ms_key[by_key]
    fk = order_key[flagged]
    lo = np.searchsorted(sorted_keys, fk, side="left")
    hi = np.searchsorted(sorted_keys, fk, side="right")
    counts = hi - lo
    owner = np.repeat(np.arange(len(flagged)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    interval = by_key[np.repeat(lo, counts) + offsets]
    t = orders.ts[flagged][owner]
    joined = memberships.joined[interval]
    left = memberships.left[interval]
    covered = np.bincount(owner, weights=(joined <= t) & (t < left), minlength=len(flagged)) > 0
    had_left = np.bincount(owner, weights=left <= t, minlength=len(flagged)) > 0
    mask = mask.copy()
    mask[flagged[had_left & ~covered]] = False
    return mask


def _span(orders: OrderColumns, memberships: MembershipColumns) -> int:
    """Pair keys are group * span + member: span is one more than the largest member id."""
    top = 0
    if len(orders):
        top = max(top, int(orders.member.max()))
    if len(memberships.member):
        top = max(top, int(memberships.member.max()))
    return top + 1


@dataclass(frozen=True)
class Facts:
    """A consistent, read-only view of the source data. Services compute from its arrays."""

    orders: OrderColumns
    memberships: MembershipColumns
    # Counting orders sorted by (time, id): a period [s, e) is the slice searchsorted(ts, [s, e)).
    ts: np.ndarray
    group: np.ndarray
    member: np.ndarray
    cents: np.ndarray
    span: int
    # Sorted (group * span + member) keys of pairs with a counting order, and their first order's instant;
    # per counting order, the index of its pair (so a period's per-pair counts are one bincount, no sort).
    pair_keys: np.ndarray
    pair_first_ts: np.ndarray
    pair_index: np.ndarray
    # Memberships: pair keys, sorted ascending, with their intervals (a pair may have several).
    ms_keys: np.ndarray
    ms_joined: np.ndarray
    ms_left: np.ndarray

    @classmethod
    def build(cls, orders: OrderColumns, memberships: MembershipColumns) -> "Facts":
        mask = counting_mask(orders, memberships)
        idx = np.flatnonzero(mask)
        # Orders are sorted by id; a stable sort by time keeps ties in id order.
        idx = idx[np.argsort(orders.ts[idx], kind="stable")]
        span = _span(orders, memberships)
        ts = orders.ts[idx]
        group = orders.group[idx]
        member = orders.member[idx]
        keys = group * span + member
        pair_keys, first, pair_index = np.unique(keys, return_index=True, return_inverse=True)
        ms_keys = memberships.group * span + memberships.member
        by_key = np.argsort(ms_keys, kind="stable")
        return cls(
            orders=orders,
            memberships=memberships,
            ts=ts,
            group=group,
            member=member,
            cents=orders.cents[idx],
            span=span,
            pair_keys=pair_keys,
            pair_first_ts=ts[first],
            pair_index=pair_index.astype(np.int32),
            ms_keys=ms_keys[by_key],
            ms_joined=memberships.joined[by_key],
            ms_left=memberships.left[by_key],
        )

    def slice(self, start_us: int, end_us: int) -> slice:
        """The counting orders placed in [start, end)."""
        lo, hi = np.searchsorted(self.ts, [start_us, end_us], side="left")
        return slice(int(lo), int(hi))

    def members_at(self, at_us: int) -> np.ndarray:
        """Sorted unique pair keys of the members in a group at an instant: joined at or before it, not left."""
        inside = (self.ms_joined <= at_us) & (at_us < self.ms_left)
        keys = self.ms_keys[inside]  # already sorted: only duplicates (overlapping memberships) to drop
        return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


ORDER_FIELDS = ("id", "member", "group", "ts", "cents", "paid")
MEMBERSHIP_FIELDS = ("id", "group", "member", "joined", "left")
FACT_FIELDS = (
    "ts", "group", "member", "cents", "pair_keys", "pair_first_ts", "pair_index", "ms_keys", "ms_joined", "ms_left",
)  # fmt: skip


def arrays(f: Facts) -> dict[str, np.ndarray]:
    """Every array of the facts by file stem: orders.<field>, memberships.<field>, facts.<field>."""
    out = {f"orders.{n}": getattr(f.orders, n) for n in ORDER_FIELDS}
    out.update({f"memberships.{n}": getattr(f.memberships, n) for n in MEMBERSHIP_FIELDS})
    out.update({f"facts.{n}": getattr(f, n) for n in FACT_FIELDS})
    return out


def from_arrays(columns: dict[str, np.ndarray], span: int) -> Facts:
    """The facts back from the arrays `arrays()` gave (mapped from a snapshot)."""
    return Facts(
        orders=OrderColumns(**{n: columns[f"orders.{n}"] for n in ORDER_FIELDS}),
        memberships=MembershipColumns(**{n: columns[f"memberships.{n}"] for n in MEMBERSHIP_FIELDS}),
        span=span,
        **{n: columns[f"facts.{n}"] for n in FACT_FIELDS},
    )

"""Order attribution: the one rule for which group and campaign an order counts for, when the shop does not say.

- Group: the member's group at `placed_at` — the membership joined at or before it and not left by then;
  the most recently joined if several; none if the member was in no group then.
- Campaign: the campaign of that group whose [starts_at, ends_at) holds `placed_at`; the latest started if
  several; none outside every campaign.

A group or campaign the shop names is kept as it is (`*_is_explicit`); only inferred ones are recomputed,
so re-importing an order after memberships or campaigns changed re-attributes it. The orders import, the
demo and any future order API call `Attribution` — a million orders are attributed in a second, column-wise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from imports.stored import as_text, fetch_columns, query_frame, utc64
from imports.writing import quote
from members.models import Membership

from .models import Campaign

# Times are compared as integer seconds in packed numpy keys (owner << 34 | seconds + 2^32), which covers
# the years 1834–2242; the exact comparison in microseconds follows.
_SHIFT = 34
_EPOCH_OFFSET = 1 << 32


def _pack(owner: np.ndarray, when_us: np.ndarray) -> np.ndarray:
    seconds = np.clip(np.floor_divide(when_us, 1_000_000) + _EPOCH_OFFSET, 0, (1 << _SHIFT) - 1)
    return (owner.astype(np.int64) << _SHIFT) | seconds


@dataclass
class Intervals:
    """Time intervals per owner (a member's memberships, a group's campaigns), for as-of lookups."""

    keys: np.ndarray  # owner << _SHIFT | start seconds, sorted
    owner: np.ndarray
    start_us: np.ndarray
    end_us: np.ndarray  # int64 max where open-ended
    value: np.ndarray  # what the lookup returns (group id, campaign id)

    @classmethod
    def build(cls, owner: np.ndarray, start: np.ndarray, end: np.ndarray, value: np.ndarray) -> Intervals:
        start_us = start.astype("datetime64[us]").astype(np.int64)
        end = end.astype("datetime64[us]")
        end_us = np.where(np.isnat(end), np.iinfo(np.int64).max, end.astype(np.int64))
        keys = _pack(owner, start_us)
        order = np.lexsort((start_us, owner))  # by owner, then start; ties keep the id order
        return cls(keys[order], owner[order], start_us[order], end_us[order], value[order])

    def at(self, owner: np.ndarray, when_us: np.ndarray) -> np.ndarray:
        """Per row, the value of the latest-starting interval of `owner` holding `when` (0 if none)."""
        result = np.zeros(len(owner), dtype=np.int64)
        if not len(self.keys) or not len(owner):
            return result
        candidate = np.searchsorted(self.keys, _pack(owner, when_us), side="right") - 1
        todo = np.ones(len(owner), dtype=bool)
        # Walk back through the owner's earlier intervals while the latest one had ended (few steps: a
        # member has a handful of memberships, a group a handful of overlapping campaigns).
        while todo.any():
            at = np.maximum(candidate, 0)
            same_owner = (candidate >= 0) & (self.owner[at] == owner)
            todo &= same_owner
            holds = todo & (self.start_us[at] <= when_us) & (self.end_us[at] > when_us)
            result[holds] = self.value[at[holds]]
            todo &= ~holds
            candidate -= 1
        return result


@dataclass
class Attributed:
    """The attribution of a batch of orders, column by column (ids 0 = none)."""

    group_id: np.ndarray
    group_is_explicit: np.ndarray
    campaign_id: np.ndarray
    campaign_is_explicit: np.ndarray


@dataclass
class Attribution:
    """Every membership and campaign window, loaded once, to attribute any number of orders."""

    memberships: Intervals  # owner: member id -> group id
    windows: Intervals  # owner: group id -> campaign id

    @classmethod
    def load(cls) -> Attribution:
        memberships = fetch_columns(
            Membership, ["member_id", "joined_at", "left_at", "group_id"], "joined_at IS NOT NULL"
        )
        through, campaigns = quote(Campaign.groups.through._meta.db_table), quote(Campaign._meta.db_table)
        windows = query_frame(
            f"SELECT m.{quote('group_id')}, {_text('c', 'starts_at')}, {_text('c', 'ends_at')}, c.{quote('id')} "
            f"FROM {through} m JOIN {campaigns} c ON c.{quote('id')} = m.{quote('campaign_id')}",
            ["group_id", "starts_at", "ends_at", "campaign_id"],
        )
        return cls(
            memberships=_intervals(memberships, "member_id", "joined_at", "left_at", "group_id"),
            windows=_intervals(windows, "group_id", "starts_at", "ends_at", "campaign_id"),
        )

    def attribute(
        self, *, member_id: np.ndarray, placed_us: np.ndarray, group_id: np.ndarray, campaign_id: np.ndarray
    ) -> Attributed:
        """Fill in the group and campaign of each order where the shop named none (`group_id`/`campaign_id` 0)."""
        group_id, campaign_id = group_id.astype(np.int64).copy(), campaign_id.astype(np.int64).copy()
        group_is_explicit = group_id != 0
        inferred = ~group_is_explicit
        group_id[inferred] = self.memberships.at(member_id[inferred], placed_us[inferred])
        campaign_is_explicit = campaign_id != 0
        inferred = ~campaign_is_explicit & (group_id != 0)
        campaign_id[inferred] = self.windows.at(group_id[inferred], placed_us[inferred])
        return Attributed(group_id, group_is_explicit, campaign_id, campaign_is_explicit)

    def attribute_one(
        self, *, member_id: int, placed_at: dt.datetime, group_id: int | None = None, campaign_id: int | None = None
    ) -> tuple[int | None, int | None]:
        """(group id, campaign id) of one order, None where there is none."""
        result = self.attribute(
            member_id=np.array([member_id], dtype=np.int64),
            placed_us=np.array([_epoch_us(placed_at)], dtype=np.int64),
            group_id=np.array([group_id or 0], dtype=np.int64),
            campaign_id=np.array([campaign_id or 0], dtype=np.int64),
        )
        return int(result.group_id[0]) or None, int(result.campaign_id[0]) or None


def _text(alias: str, column: str) -> str:
    return as_text(f"{alias}.{quote(column)}")


def _epoch_us(moment: dt.datetime) -> int:
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _intervals(frame, owner: str, start: str, end: str, value: str) -> Intervals:
    return Intervals.build(
        frame[owner].to_numpy(dtype=np.int64),
        utc64(frame[start].to_numpy()),
        utc64(frame[end].to_numpy()),
        frame[value].to_numpy(dtype=np.int64),
    )

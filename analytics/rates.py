"""The weekly transitions between segments and the four rates (docs/metrics.md): new-add, conversion,
churn and reactivation, over the members in the group at the week's start. An empty denominator is None
(shown "—"), never 0."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

from core.dates import week_bounds

from . import store
from .facts import Facts
from .groups import GroupRef, group_refs
from .models import LEFT
from .segments import LEFT_CODE, SEGMENT_CODES, TARGET_CODES, SegmentSnapshot, segments_at, zero_counts


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
    f: Facts, s0: SegmentSnapshot, s1: SegmentSnapshot, groups: Sequence[GroupRef]
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
    snapshots = [segments_at(at=t, group_ids=gids, using=using, facts=f) for t in instants]
    return [_transitions(f, a, b, groups) for a, b in zip(snapshots, snapshots[1:], strict=False)]


def week_transitions(*, monday, codes: Iterable[str] | None = None, using: str = "default") -> list[WeekTransitions]:
    """The ISO week starting on local `monday`: snapshots at its start and end, for every group by code."""
    start, end = week_bounds(monday)
    return transitions_between(start=start, end=end, groups=group_refs(codes=codes, using=using), using=using)

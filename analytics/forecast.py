"""A Markov projection of a group's segment mix, assuming the recent weeks repeat."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .groups import GroupRef
from .rates import WeekTransitions, transitions_series
from .segments import SEGMENT_CODES, TARGET_CODES, segments_at, zero_counts


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

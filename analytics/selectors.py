"""Reads for pages and for other apps: what a page shows, assembled from the computations (metrics, segments,
rates, decomposition, grades, forecast).

For other apps (they call these; analytics never imports them back):
- `member_ids_in_segment(group=..., segment=..., at=None)`: the ids of a group's members in a segment now
  (or at `at`) — the members list filter and saved selections ("every dormant member of the Chengdu VIP
  group who bought ≥ ¥5,000" = this ∩ their own filters).
- `member_segments(member=..., at=None)`: {group id: segment} for a member page.
- `segments_of_members(member_ids=..., at=None)`: {member id: {group id: segment}} for a list page.
- `group_segment_counts(group=..., at=None)`: {segment: members} for a group page.
- `member_ids_in_customer_segment(segment=..., at=None)` and `customer_segments_of_members(member_ids=...)`:
  the same partition at the customer's level (all of a member's orders, whatever the group), for wake-up
  and call lists ("dormant as a customer" = no order anywhere in the window).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from core.dates import LocalDays, current_week_monday, local_midnight, week_bounds, week_name, week_title
from members.models import Group, Member

from . import conf
from .decomposition import Decomposition, compare_periods, decompose
from .forecast import Forecast, core_forecast
from .grades import grade_of, group_grades, suggest_stage, suggested_stages
from .groups import GroupRef
from .metrics import Metrics, period_metrics, weekly_metrics
from .models import SEGMENTS, Segment
from .rates import WeekTransitions, transitions_series
from .segments import SEGMENT_CODES, customer_segments_at, segments_at, zero_counts
from .segments import member_segments as segments_of_member

# --- for other apps -----------------------------------------------------------------------------------


def member_ids_in_segment(
    *, group: Group | int | None = None, segment: str, at: datetime | None = None, group_ids=None
) -> list[int]:
    """Ids of the members whose segment (potential / new / core / dormant) is `segment` at `at` (default now)
    in `group`; without a group, in any of `group_ids`, or in any group at all. Sorted, each once."""
    if segment not in Segment.values:
        raise ValueError(f"unknown segment {segment!r}; one of {', '.join(Segment.values)}")
    if group is not None:
        group_ids = [group if isinstance(group, int) else group.pk]
    snapshot = segments_at(at=at or timezone.now(), group_ids=group_ids)
    code = SEGMENT_CODES.index(segment)
    return np.unique(snapshot.member_ids[snapshot.codes == code]).tolist()


def member_segments(*, member, at: datetime | None = None) -> dict[int, str]:
    """{group id: segment} for every group the member is in at `at` (default now)."""
    member_id = member if isinstance(member, int) else member.pk
    return segments_of_member(member_id=member_id, at=at)


def segments_of_members(*, member_ids, at: datetime | None = None) -> dict[int, dict[int, str]]:
    """{member id: {group id: segment}} for a page of members, from one snapshot of every group (which a
    request in the same minute reuses)."""
    at = at or timezone.now().replace(second=0, microsecond=0)
    snapshot = segments_at(at=at)
    wanted = np.isin(snapshot.member_ids, np.fromiter(member_ids, dtype=np.int64))
    out: dict[int, dict[int, str]] = {}
    for key, code in zip(snapshot.keys[wanted], snapshot.codes[wanted], strict=True):
        out.setdefault(int(key % snapshot.span), {})[int(key // snapshot.span)] = SEGMENT_CODES[code]
    return out


def group_segment_counts(*, group: Group | int, at: datetime | None = None) -> dict[str, int]:
    group_id = group if isinstance(group, int) else group.pk
    counts = segments_at(at=at or timezone.now(), group_ids=[group_id]).counts()
    return counts.get(group_id, zero_counts())


def member_ids_in_customer_segment(*, segment: str, at: datetime | None = None) -> list[int]:
    """Ids of the members whose own state as a customer (all their paid orders, whatever the group) is `segment`
    at `at` (default now). Sorted, each once."""
    if segment not in Segment.values:
        raise ValueError(f"unknown segment {segment!r}; one of {', '.join(Segment.values)}")
    snapshot = customer_segments_at(at=at or timezone.now())
    if segment != Segment.POTENTIAL:
        return snapshot.ids(segment).tolist()
    everyone = np.fromiter(Member.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    return np.setdiff1d(everyone, snapshot.member_ids, assume_unique=True).tolist()


def customer_segments_of_members(*, member_ids, at: datetime | None = None) -> dict[int, str]:
    """{member id: segment as a customer} for a page of members (one snapshot, reused within the minute)."""
    at = at or timezone.now().replace(second=0, microsecond=0)
    return customer_segments_at(at=at).of(member_ids)


class SegmentProvider:
    """What `members.segments` asks of analytics (registered in AnalyticsConfig.ready())."""

    choices = Segment.choices

    def member_ids(self, *, segment: str, group=None, group_ids=None, at: datetime) -> list[int]:
        return member_ids_in_segment(segment=segment, group=group, group_ids=group_ids, at=at)

    def of_member(self, *, member_id: int, at: datetime) -> dict[int, str]:
        return member_segments(member=member_id, at=at)

    def of_members(self, *, member_ids: list[int], at: datetime) -> dict[int, dict[int, str]]:
        return segments_of_members(member_ids=member_ids, at=at)

    def customer_member_ids(self, *, segment: str, at: datetime) -> list[int]:
        return member_ids_in_customer_segment(segment=segment, at=at)

    def customer_of_members(self, *, member_ids: list[int], at: datetime) -> dict[int, str]:
        return customer_segments_of_members(member_ids=member_ids, at=at)


# --- periods ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period(LocalDays):
    """[start, end) in local days, with a label for people."""

    start: date
    end: date  # exclusive
    week: date | None = None  # the Monday, when the period is an ISO week

    @property
    def label(self) -> str:
        if self.week is not None:
            return week_title(self.week)
        return f"{self.start.isoformat()} – {self.until.isoformat()}"

    @property
    def short_label(self) -> str:
        if self.week is not None:
            return week_name(self.week)
        return f"{self.start:%m-%d}–{self.until:%m-%d}"

    @classmethod
    def of_week(cls, monday: date) -> "Period":
        return cls(start=monday, end=monday + timedelta(days=7), week=monday)

    def previous(self) -> "Period":
        length = self.end - self.start
        if self.week is not None:
            return Period.of_week(self.week - timedelta(days=7))
        return Period(start=self.start - length, end=self.start)


def last_complete_week(now: datetime | None = None) -> date:
    """The Monday of the most recent week that has ended: the week a Monday recap is about."""
    return current_week_monday(now) - timedelta(days=7)


# --- the group ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingRow:
    group: GroupRef | None
    metrics: Metrics
    grade: str | None
    stage: str | None

    @property
    def sort_values(self) -> dict:
        m = self.metrics
        return {
            "code": self.group.code if self.group else "",
            "gmv": m.gmv_cents,
            "orders": m.orders,
            "buyers": m.buyers,
            "core_members": m.core_members,
            "repurchases": m.repurchases,
            "aov": m.aov,
            "core_gmv": m.core_cents,
            "grade": self.grade,
        }


SORT_KEYS = ["gmv", "orders", "buyers", "core_members", "repurchases", "aov", "core_gmv", "grade", "code"]


@dataclass(frozen=True)
class Ranking:
    period: Period
    rows: list[RankingRow]
    platform: RankingRow
    high_value_groups: int
    grade_at: datetime


def ranking(*, period: Period, sort: str = "gmv", descending: bool = True, now: datetime | None = None) -> Ranking:
    """Every group's figures for the period, its grade (trailing window ending at the period's end, or now
    if that is earlier) and the suggested stage now; sorted, with the platform row."""
    now = now or timezone.now()
    start, end = period.bounds
    pm = period_metrics(start=start, end=end)
    grade_at = min(end, now.replace(second=0, microsecond=0))
    grades = group_grades(at=grade_at)
    # The stage "now" to the minute, so a page reloaded within it reuses the segment snapshot.
    stages = suggested_stages(at=now.replace(second=0, microsecond=0))
    rows = [RankingRow(m.group, m, grades.get(m.group.id), stages.get(m.group.id)) for m in pm.groups]
    sort = sort if sort in SORT_KEYS else "gmv"
    # Empty values (a ratio without a denominator) sort last either way; ties keep the code order.
    present = [r for r in rows if r.sort_values[sort] is not None]
    missing = [r for r in rows if r.sort_values[sort] is None]
    if sort == "grade":  # A is best: "descending" means best first
        present.sort(key=lambda r: r.grade, reverse=not descending)
    else:
        present.sort(key=lambda r: r.sort_values[sort], reverse=descending)
    return Ranking(
        period=period,
        rows=present + missing,
        platform=RankingRow(None, pm.platform, None, None),
        high_value_groups=sum(1 for g in grades.values() if g == "A"),
        grade_at=grade_at,
    )


# --- a group's weekly trends --------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekRow:
    monday: date
    metrics: Metrics
    transitions: WeekTransitions

    @property
    def label(self) -> str:
        return week_name(self.monday)


@dataclass(frozen=True)
class GroupTrends:
    group: GroupRef
    weeks: list[WeekRow]
    selected: WeekRow
    forecast: Forecast
    decomposition: Decomposition
    grade: str
    grade_at: datetime
    stage: str
    segments_now: dict[str, int]


def mondays_until(last: date, count: int) -> list[date]:
    return [last - timedelta(days=7 * k) for k in reversed(range(count))]


def group_trends(*, group: GroupRef, last_week: date, weeks: int = 12, now: datetime | None = None) -> GroupTrends:
    """Weekly metrics, segment snapshots, transitions and rates of one group for `weeks` weeks ending with
    the week starting `last_week`; the Markov forecast from that week's end; grade and stage now."""
    now = now or timezone.now()
    mondays = mondays_until(last_week, weeks)
    metrics = weekly_metrics(mondays=mondays, group=group)
    instants = [local_midnight(d) for d in mondays] + [week_bounds(mondays[-1])[1]]
    transitions = [row[0] for row in transitions_series(instants=instants, groups=[group])]
    rows = [WeekRow(d, m, t) for (d, m), t in zip(metrics, transitions, strict=True)]
    selected = rows[-1]
    previous = weekly_metrics(mondays=[last_week - timedelta(days=7)], group=group)[0][1]
    forecast = core_forecast(group=group, at=week_bounds(last_week)[1], history_weeks=4, weeks_ahead=4)
    # The grade as of the chosen week's end (this page is about that week); the stage is always "now".
    grade_at = min(week_bounds(last_week)[1], now)
    grade_metrics = period_metrics(start=grade_at - conf.grade_window(), end=grade_at, codes=[group.code])
    grade_metrics = grade_metrics.groups[0]
    segments_now = group_segment_counts(group=group.id, at=now)
    return GroupTrends(
        group=group,
        weeks=rows,
        selected=selected,
        forecast=forecast,
        decomposition=decompose(previous, selected.metrics),
        grade=grade_of(grade_metrics),
        grade_at=grade_at,
        stage=suggest_stage(segments_now, group.capacity),
        segments_now=segments_now,
    )


# --- the platform overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformWeek:
    monday: date
    metrics: Metrics
    grades: dict[str, int]

    @property
    def label(self) -> str:
        return week_name(self.monday)

    @property
    def high_value_groups(self) -> int:
        return self.grades.get("A", 0)


def platform_overview(*, last_week: date, weeks: int = 12) -> list[PlatformWeek]:
    """Per week: platform metrics, and the number of groups in each grade at the week's end."""
    out = []
    for monday, metrics in weekly_metrics(mondays=mondays_until(last_week, weeks)):
        end = week_bounds(monday)[1]
        counts = dict.fromkeys(["A", "B", "C", "D"], 0)
        for grade in group_grades(at=end).values():
            counts[grade] += 1
        out.append(PlatformWeek(monday, metrics, counts))
    return out


# --- decomposition between two periods ----------------------------------------------------------------


@dataclass(frozen=True)
class DecompositionPage:
    before: Period
    after: Period
    scope: Decomposition
    group: GroupRef | None
    groups: list[Decomposition]


def decomposition(*, before: Period, after: Period, group: GroupRef | None = None) -> DecompositionPage:
    """ΔGMV from `before` to `after` for the platform (or one group), and for every group by |ΔGMV|."""
    comparison = compare_periods(before=before.bounds, after=after.bounds)
    rows = sorted(comparison.groups, key=lambda d: (-abs(d.delta_cents), d.after.group.code))
    scope = comparison.platform
    if group is not None:
        scope = next(d for d in comparison.groups if d.after.group.id == group.id)
    return DecompositionPage(before=before, after=after, scope=scope, group=group, groups=rows)


def share(part: int, whole: int) -> Decimal | None:
    return None if not whole else Decimal(part) / Decimal(whole)


__all__ = [
    "SEGMENTS",
    "DecompositionPage",
    "GroupTrends",
    "Period",
    "Ranking",
    "decomposition",
    "group_segment_counts",
    "group_trends",
    "last_complete_week",
    "member_ids_in_segment",
    "member_segments",
    "segments_of_members",
    "platform_overview",
    "ranking",
]

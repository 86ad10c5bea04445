"""The recap's periods: an ISO week `YYYY-Www` or a calendar month `YYYY-MM`, in the organisation's zone."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from core.dates import (
    FIRST_YEAR,
    LAST_YEAR,
    LocalDays,
    current_week_monday,
    local_date,
    month_name,
    parse_week,
    week_label,
    week_title,
)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
WEEK, MONTH = "week", "month"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class RecapPeriod(LocalDays):
    kind: str  # WEEK or MONTH
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        return week_label(self.start) if self.kind == WEEK else f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == WEEK:
            return week_title(self.start)
        return month_name(self.start)

    def previous(self) -> "RecapPeriod":
        if self.kind == WEEK:
            return RecapPeriod(WEEK, self.start - timedelta(days=7), self.start)
        return month_period(self.start - timedelta(days=1))

    def trailing(self, count: int) -> list["RecapPeriod"]:
        """The `count` periods of the same kind before this one, oldest first."""
        out, period = [], self
        for _ in range(count):
            period = period.previous()
            out.append(period)
        return out[::-1]

    def month_to_date(self) -> tuple[date, date]:
        """[first of the month of the period's last day, the period's end)."""
        return self.until.replace(day=1), self.end

    def is_complete(self, now: datetime | None = None) -> bool:
        return self.bounds[1] <= (now or timezone.now())


def month_period(day: date) -> RecapPeriod:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return RecapPeriod(MONTH, first, following)


def parse_period(text: str) -> RecapPeriod:
    """'2026-W47' (an ISO week) or '2026-11' (a month). PeriodError says why not."""
    text = (text or "").strip()
    match = MONTH_RE.match(text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            raise PeriodError(f"{text!r}: a month is YYYY-MM with a year in {FIRST_YEAR}..{LAST_YEAR}")
        return month_period(date(year, month, 1))
    try:
        monday = parse_week(text)
    except ValueError as exc:
        raise PeriodError(f"{text!r} is neither an ISO week such as 2026-W47 nor a month such as 2026-11") from exc
    return RecapPeriod(WEEK, monday, monday + timedelta(days=7))


def last_complete_week(now: datetime | None = None) -> RecapPeriod:
    monday = current_week_monday(now) - timedelta(days=7)
    return RecapPeriod(WEEK, monday, monday + timedelta(days=7))


def last_complete_month(now: datetime | None = None) -> RecapPeriod:
    return month_period(local_date(now or timezone.now()).replace(day=1) - timedelta(days=1))


def period_choices(now: datetime | None = None, weeks: int = 12, months: int = 6) -> list[tuple[str, str]]:
    """The period picker: the last weeks (the current one included), then the last months, newest first."""
    week = RecapPeriod(WEEK, current_week_monday(now), current_week_monday(now) + timedelta(days=7))
    month = month_period(local_date(now or timezone.now()))
    out = []
    for _ in range(weeks):
        out.append((week.key, week.label))
        week = week.previous()
    for _ in range(months):
        out.append((month.key, month.label))
        month = month.previous()
    return out

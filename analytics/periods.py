"""Days and weeks in the organisation's zone: every period edge is local midnight (DESIGN.md)."""

import re
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from . import conf

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def local_midnight(day: date) -> datetime:
    """00:00 local on `day`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=conf.zone())


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, conf.zone()).date()


def parse_week(text: str) -> date:
    """'2026-W02' -> the Monday of that ISO week. ValueError when it is not such a week."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W02")
    return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) local."""
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))


def current_week_monday(now: datetime | None = None) -> date:
    return week_monday(local_date(now or timezone.now()))

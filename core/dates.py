"""Days and weeks in the organisation's zone (settings.TIME_ZONE, default Asia/Shanghai): every day and
week edge is local midnight, and a week is an ISO week, Monday 00:00 to the next Monday 00:00."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
# Weeks a person can mean: year 1 and year 9999 have no whole week around them in every zone.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def zone() -> ZoneInfo:
    """The organisation's zone."""
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    """00:00 local on `day`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone())


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, zone()).date()


def parse_week(text: str) -> date:
    """'2026-W02' -> the Monday of that ISO week. ValueError when it is not such a week (or out of range)."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W02")
    year, week = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{text!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return date.fromisocalendar(year, week, 1)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) local, of the week `day` is in."""
    monday = week_monday(day)
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))


def current_week_monday(now: datetime | None = None) -> date:
    return week_monday(local_date(now or timezone.now()))

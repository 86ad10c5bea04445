"""Days and weeks in the organisation's zone (settings.TIME_ZONE, default Asia/Shanghai): every day and
week edge is local midnight, and a week is an ISO week, Monday 00:00 to the next Monday 00:00."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
# Days and weeks a person can mean: year 1 and year 9999 have no whole week around them in every zone, and a
# period's "period before" must still be a date. Every day or moment a request names is held to these years.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def zone() -> ZoneInfo:
    """The organisation's zone."""
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    """00:00 local on `day`, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone())


class LocalDays:
    """[start, end) in the organisation's local days, for a dataclass with `start` and `end` (exclusive) dates."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The aware datetimes of [start, end)."""
        return local_midnight(self.start), local_midnight(self.end)

    @property
    def until(self) -> date:
        """The last day, inclusive."""
        return self.end - timedelta(days=1)


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, zone()).date()


def local_minute_text(moment: datetime) -> str:
    """'2026-12-01 08:10': the moment to the minute in the organisation's zone, for messages and file headers."""
    return timezone.localtime(moment, zone()).strftime("%Y-%m-%d %H:%M")


def parse_week(text: str) -> date:
    """'2026-W02' -> the Monday of that ISO week. ValueError when it is not such a week (or out of range)."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week like 2026-W02")
    year, week = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"{text!r}: the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return date.fromisocalendar(year, week, 1)


def validate_sensible_date(value: date) -> None:
    """Validator for a day (or moment) read from a request: its year lies in FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("Use a date between the years %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": FIRST_YEAR, "last": LAST_YEAR},
        )


def week_label(monday: date) -> str:
    """The ISO week as a key, '2026-W48': for URLs, files and APIs. People read `week_name`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_name(monday: date) -> str:
    """The week `monday` is in as people name it, Monday to Sunday: '11月23日–29日', '11月30日–12月6日', and with
    the years when it spans two ('2026年12月28日–2027年1月3日'). The one place a week is named for people;
    `week_title` adds the ISO week after it."""
    first = week_monday(monday)
    last = first + timedelta(days=6)
    values = {"year1": first.year, "month1": first.month, "day1": first.day,
              "year2": last.year, "month2": last.month, "day2": last.day}  # fmt: skip
    if first.year != last.year:
        return pgettext("week", "%(month1)s/%(day1)s/%(year1)s – %(month2)s/%(day2)s/%(year2)s") % values
    if first.month != last.month:
        return pgettext("week", "%(month1)s/%(day1)s – %(month2)s/%(day2)s") % values
    return pgettext("week", "%(month1)s/%(day1)s–%(day2)s") % values


def month_name(day: date) -> str:
    """The month `day` is in as people name it: '2026年11月' ('November 2026' in English)."""
    return date_format(day, "YEAR_MONTH_FORMAT")


def week_title(monday: date) -> str:
    """'11月23日–29日 · 2026-W48': the week's name with its ISO week second, for selects and plain text."""
    return f"{week_name(monday)} · {week_label(week_monday(monday))}"


def week_monday(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) local, of the week `day` is in."""
    monday = week_monday(day)
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))


def current_week_monday(now: datetime | None = None) -> date:
    return week_monday(local_date(now or timezone.now()))

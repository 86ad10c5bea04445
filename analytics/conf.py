"""Analytics thresholds and knobs, read from Django settings at call time (so `override_settings` works).

The business thresholds are organisation settings (DESIGN.md "Metrics: exact definitions"); a project sets
them in `communityops/settings.py` or the environment, and these defaults are DESIGN.md's.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULTS = {
    # A core member (主力客户) has at least this many orders in the period (or in the segment window).
    "CORE_MIN_ORDERS": 2,
    # The segment window W: a member's segment at t looks at their orders in [t - W, t).
    "SEGMENT_WINDOW_DAYS": 28,
    # Group grade, judged on the trailing GRADE_WINDOW_DAYS.
    "GRADE_WINDOW_DAYS": 28,
    "GRADE_A_CORE_GMV": Decimal("20000"),
    "GRADE_A_CORE_MEMBERS": 30,
    "GRADE_B_CORE_GMV": Decimal("5000"),
    # Suggested stage from the segment mix.
    "STAGE_CONVERSION_POTENTIAL_SHARE": Decimal("0.5"),
    "STAGE_ACQUISITION_CAPACITY_SHARE": Decimal("0.6"),
    "STAGE_ACQUISITION_POTENTIAL_SHARE": Decimal("0.3"),
    # Where the snapshot of the fact store is kept between processes: a directory per database, shared by
    # every process on the host (unset: VAR_DIR/analytics). None: memory only, as the tests run — nothing is
    # persisted, so the change log is never pruned.
    "ANALYTICS_SNAPSHOT_DIR": None,
    # Persist the snapshot after refreshes that together read at least this many changed rows (orders and
    # memberships), so a new process maps them instead of reading them again.
    "ANALYTICS_PERSIST_MIN_ROWS": 1000,
}


def get(name: str):
    if name == "ANALYTICS_SNAPSHOT_DIR" and not hasattr(settings, name):
        return Path(getattr(settings, "VAR_DIR", Path("var"))) / "analytics"
    value = getattr(settings, name, DEFAULTS[name])
    default = DEFAULTS[name]
    if isinstance(default, Decimal) and not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value


def core_min_orders() -> int:
    return int(get("CORE_MIN_ORDERS"))


def segment_window() -> timedelta:
    return timedelta(days=int(get("SEGMENT_WINDOW_DAYS")))


def grade_window() -> timedelta:
    return timedelta(days=int(get("GRADE_WINDOW_DAYS")))


def zone() -> ZoneInfo:
    """The organisation's zone: every day and week edge is local midnight here."""
    return ZoneInfo(settings.TIME_ZONE)

"""Analytics thresholds and knobs, read from Django settings at call time (so `override_settings` works).

The business thresholds are organisation settings with one home, `communityops/settings.py` (read from the
environment, defaults as docs/metrics.md says); this module only reads them. The store's own knobs have
their defaults here.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings

# The store's knobs (the business thresholds are in settings, always).
DEFAULTS = {
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
    if name in DEFAULTS:
        return getattr(settings, name, DEFAULTS[name])
    value = getattr(settings, name)
    return Decimal(str(value)) if isinstance(value, float) else value


def core_min_orders() -> int:
    return int(get("CORE_MIN_ORDERS"))


def segment_window() -> timedelta:
    return timedelta(days=int(get("SEGMENT_WINDOW_DAYS")))


def grade_window() -> timedelta:
    return timedelta(days=int(get("GRADE_WINDOW_DAYS")))

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
    # Where the columnar snapshot of the fact store is kept between processes (None: memory only).
    "ANALYTICS_SNAPSHOT_DIR": None,
    # Orders changed this long before the last seen `updated_at` are read again on every refresh: a
    # transaction that stamped its rows earlier but committed later than another is still picked up.
    "ANALYTICS_WATERMARK_MARGIN_SECONDS": 15 * 60,
    # Persist the snapshot after a refresh that read at least this many changed orders.
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

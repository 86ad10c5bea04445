"""Thin, idempotent tasks. `outreach.refresh_member_values` runs nightly (CELERY_BEAT_SCHEDULE): it replaces
every stored expected value, so running it twice leaves the same rows."""

from celery import shared_task

from .services.values import refresh_member_values
from .valuation import ValuationError


@shared_task(name="outreach.refresh_member_values")
def refresh_member_values_task() -> dict:
    """Refit on the orders up to yesterday and store every buyer's expected value. With nothing to fit (no
    orders yet, nobody bought twice) the stored values stay as they were."""
    try:
        return refresh_member_values()
    except ValuationError as exc:
        return {"skipped": str(exc)}

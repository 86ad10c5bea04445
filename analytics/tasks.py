"""Thin, idempotent tasks around the fact store. Schedule `analytics.refresh` every few minutes in
CELERY_BEAT_SCHEDULE: after an import it absorbs the changes once, in the worker, and writes the snapshot, so
neither a page nor a command pays for them."""

from celery import shared_task

from . import store


@shared_task(name="analytics.refresh")
def refresh_analytics_task() -> dict:
    """Bring the store up to date with orders and memberships, and persist its snapshot."""
    store.persist()
    return store.stats()


@shared_task(name="analytics.rebuild")
def rebuild_analytics_task() -> dict:
    """Recompute the store from the source tables (as `manage.py rebuild_analytics`)."""
    store.facts(rebuild=True)
    return store.stats()

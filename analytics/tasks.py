"""Thin, idempotent tasks around the fact store. Schedule `analytics.refresh` every few minutes in
CELERY_BEAT_SCHEDULE: it absorbs what was written since (once, in the worker), writes the snapshot and prunes
the change log, so pages and commands map a current snapshot instead of reading the changes themselves, and
the log stays short."""

from celery import shared_task

from . import store


@shared_task(name="analytics.refresh")
def refresh_analytics_task() -> dict:
    """Bring the store up to date with orders and memberships, persist its snapshot, prune the log."""
    store.absorb_writes()
    return store.stats()


@shared_task(name="analytics.rebuild")
def rebuild_analytics_task() -> dict:
    """Recompute the store from the source tables (as `manage.py rebuild_analytics`)."""
    store.facts(rebuild=True)
    return store.stats()

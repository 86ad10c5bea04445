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


@shared_task(name="analytics.deliver_weekly_recap")
def deliver_weekly_recap_task() -> str:
    """Last week's recap to every active manager, once (`recap.delivery.recap_week_deliver`): safe to rerun."""
    # Imported here: the PDF's modules (matplotlib, WeasyPrint) load once a week, not in every worker's start-up.
    from .recap.delivery import recap_week_deliver

    return recap_week_deliver().summary()

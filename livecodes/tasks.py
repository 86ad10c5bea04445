"""Thin, idempotent tasks (CELERY_BEAT_SCHEDULE): flushing the scans the web processes counted (only a
file's growth is added, whatever runs twice) and the owners' reminders (each created once, by claim and unique key)."""

from celery import shared_task

from .counting import scans_flush
from .watch import livecodes_watch


@shared_task(name="livecodes.flush_scans")
def flush_scans_task() -> int:
    return scans_flush()


@shared_task(name="livecodes.watch")
def watch_task() -> int:
    return livecodes_watch()

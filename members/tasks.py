"""Thin, idempotent tasks. `members.close_ended_flash_groups` runs every few minutes (CELERY_BEAT_SCHEDULE): a
flash group past its end date closes once; run again, it finds nothing more to close."""

from celery import shared_task

from .services import flash_groups_close


@shared_task(name="members.close_ended_flash_groups")
def close_ended_flash_groups() -> dict:
    return {"closed": flash_groups_close()}

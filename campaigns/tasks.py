"""Thin Celery tasks. Each is idempotent: running it twice, or in two workers at once, does no harm."""

from celery import shared_task
from django.utils import timezone

from .delivery import reminders_sweep
from .models import Campaign
from .services import campaign_stock_watch, campaigns_advance, playbook_assignments_extend

# A sweep stops claiming after this long so that the worker is free for the next beat (every 30 s);
# whatever is left is taken by the next sweep.
SWEEP_MAX_SECONDS = 25


@shared_task(name="campaigns.reminders_sweep")
def reminders_sweep_task() -> dict:
    result = reminders_sweep(max_seconds=SWEEP_MAX_SECONDS)
    return {"claimed": result.claimed, "sent": result.sent, "retried": result.retried, "failed": result.failed}


@shared_task(name="campaigns.campaigns_tick")
def campaigns_tick_task() -> dict:
    now = timezone.now()
    moved = campaigns_advance(now=now)
    alerts = 0
    for campaign in Campaign.objects.live_at(now):
        alerts += len(campaign_stock_watch(campaign=campaign, now=now))
    extended = playbook_assignments_extend(now=now)
    return {**moved, "restock_alerts": alerts, "reminders_scheduled": extended}

"""The demo's beat task (only scheduled when DEMO_MODE is on)."""

from celery import shared_task

from .reminders import demo_live_tick


@shared_task(name="demo.live_tick")
def live_tick_task() -> int:
    """The running demo flash campaign's orders, minute by minute (nothing without the demo)."""
    return demo_live_tick()

"""`manage.py watch_worker`: bin/demo's watchdog for its Celery worker (communityops/watchdog.py)."""

import logging

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from communityops import watchdog


class Command(BaseCommand):
    help = (
        "Ping the Celery worker through the broker every --every seconds. When none has been answered for "
        "--stall-after seconds and the worker runs no task, say so and exit with status 75: bin/demo then "
        "restarts the worker. Runs until then."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=15.0, help="Seconds between pings (15).")
        parser.add_argument(
            "--stall-after", type=float, default=60.0, help="Seconds without an answer before asking why (60)."
        )

    def handle(self, *args, every, stall_after, **options):
        if every <= 0 or stall_after <= 0:
            raise CommandError("--every and --stall-after must be positive")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("tasks run eagerly (CELERY_TASK_ALWAYS_EAGER): there is no worker to watch")
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "No hostname was supplied" (filesystem://)
        watchdog.say(f"pinging the worker every {every:.0f} s; stalled after {stall_after:.0f} s without an answer")
        watch = watchdog.WorkerWatch(
            **watchdog.celery_probes(current_app),
            every=every,
            stall_after=stall_after,
            time_limit=settings.CELERY_TASK_TIME_LIMIT,
            say=watchdog.say,
        )
        raise SystemExit(watch.run())

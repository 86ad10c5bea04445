import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "communityops.settings")

app = Celery("communityops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def refuse_the_filesystem_broker_in_production(**kwargs) -> None:
    """The worker and beat do not start on the filesystem broker in production (communityops/checks.py)."""
    from django.core.exceptions import ImproperlyConfigured

    from .checks import refuse_to_serve_on_the_filesystem_broker

    try:
        refuse_to_serve_on_the_filesystem_broker()
    except ImproperlyConfigured as error:
        # Celery logs and swallows an Exception raised by a signal handler; SystemExit stops the process.
        raise SystemExit(f"communityops: {error}") from error

"""Health tasks: they prove that a worker consumes from the broker and can reach the database.

`bin/demo` sends `ping` at start-up and waits for its answer in the ping file; beat sends `heartbeat`
every minute, so the heartbeat file's age says whether beat and a worker are both alive.
"""

import json
import os
from pathlib import Path

from celery import current_app, shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

PING_FILE_NAME = "worker-ping.json"
HEARTBEAT_FILE_NAME = "worker-heartbeat.json"
HEARTBEAT_EVERY_SECONDS = 60


def _path(name: str) -> Path:
    return Path(settings.VAR_DIR) / name


def _read(name: str) -> dict | None:
    try:
        return json.loads(_path(name).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def ping_read() -> dict | None:
    """The last ping a worker answered ({"token", "at", "pid", "database"}), or None."""
    return _read(PING_FILE_NAME)


def heartbeat_read() -> dict | None:
    """The last periodic heartbeat a worker wrote, or None when no worker has written one."""
    return _read(HEARTBEAT_FILE_NAME)


def _write(name: str, token: str) -> dict:
    # A round trip to the database, so an answer also proves the worker's DATABASE_URL works.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    data = {
        "token": token,
        "at": timezone.now().isoformat(),
        "pid": os.getpid(),
        "database": connection.vendor,
    }
    path = _path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
    return data


@shared_task(name="communityops.tasks.ping")
def ping(token: str) -> dict:
    """Answer a ping: write the token to the ping file (its own file, so a heartbeat never hides it)."""
    return _write(PING_FILE_NAME, token)


@shared_task(name="communityops.tasks.heartbeat", ignore_result=True)
def heartbeat() -> dict:
    """The periodic proof of life (beat → broker → worker → database)."""
    return _write(HEARTBEAT_FILE_NAME, "beat")


# Registered here rather than in settings so the health check travels with its task; the settings'
# CELERY_BEAT_SCHEDULE (the app's real schedules) is merged, never replaced.
current_app.conf.beat_schedule.setdefault(
    "communityops-heartbeat",
    {"task": "communityops.tasks.heartbeat", "schedule": HEARTBEAT_EVERY_SECONDS},
)

"""What the health page shows: whether a Celery worker consumes from the broker, and whether reminders go out.

A worker can look alive (its process runs, it logs "received") and run nothing: the heartbeat file, written
by a worker each minute when beat asks, is the proof of work; its age says how long nothing has run.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.selectors import reminder_backlog

from .tasks import HEARTBEAT_EVERY_SECONDS, heartbeat_read, ping_read

# Three missed heartbeats: one late beat or a worker busy for a minute is not a stall.
HEARTBEAT_STALE_AFTER = dt.timedelta(seconds=3 * HEARTBEAT_EVERY_SECONDS)


@dataclass(frozen=True)
class Answer:
    """The last answer a worker wrote (heartbeat or ping): when, how long ago, and which process."""

    at: dt.datetime | None
    age: dt.timedelta | None
    pid: int | None


@dataclass(frozen=True)
class WorkerHealth:
    checked_at: dt.datetime
    heartbeat: Answer
    heartbeat_stale: bool
    ping: Answer
    broker: str
    broker_is_filesystem: bool  # the demo's; production processes refuse it (communityops/checks.py)
    reminders_due: int
    reminders_waiting_since: dt.datetime | None
    reminders_oldest_age: dt.timedelta | None
    reminders_late: bool

    @property
    def heartbeat_stale_after_minutes(self) -> int:
        return int(HEARTBEAT_STALE_AFTER.total_seconds()) // 60

    @property
    def ok(self) -> bool:
        return not (self.heartbeat_stale or self.reminders_late)


def _answer(data: dict | None, now: dt.datetime) -> Answer:
    at = parse_datetime(data.get("at", "")) if data else None
    if at is None:
        return Answer(None, None, None)
    return Answer(at, max(now - at, dt.timedelta(0)), data.get("pid"))


def broker_label(url: str) -> str:
    """The broker URL without its password, for people to read."""
    if url.startswith("filesystem://"):
        return f"filesystem:// ({settings.VAR_DIR / 'broker'})"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def worker_health(*, now: dt.datetime | None = None) -> WorkerHealth:
    now = now or timezone.now()
    heartbeat = _answer(heartbeat_read(), now)
    backlog = reminder_backlog(now=now)
    waiting_since = backlog["waiting_since"]
    oldest_age = max(now - waiting_since, dt.timedelta(0)) if waiting_since else None
    return WorkerHealth(
        checked_at=now,
        heartbeat=heartbeat,
        heartbeat_stale=heartbeat.age is None or heartbeat.age > HEARTBEAT_STALE_AFTER,
        ping=_answer(ping_read(), now),
        broker=broker_label(settings.CELERY_BROKER_URL),
        broker_is_filesystem=settings.CELERY_BROKER_URL.startswith("filesystem://"),
        reminders_due=backlog["count"],
        reminders_waiting_since=waiting_since,
        reminders_oldest_age=oldest_age,
        # A reminder sent this much after its time counts as late (campaigns.delivery); one still waiting is too.
        reminders_late=oldest_age is not None
        and oldest_age > dt.timedelta(seconds=settings.REMINDER_LATE_AFTER_SECONDS),
    )

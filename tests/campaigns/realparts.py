"""Run the project's own processes (manage.py, celery) against a real database, as production does."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "REMINDER_", "PYTEST", "WECOM_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="communityops.settings",
        DATABASE_URL=database_url,
        SECRET_KEY="realparts-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        COMMUNITYOPS_VAR_DIR=tempfile.mkdtemp(prefix="communityops-var-"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(database_url: str, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=process_env(database_url, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def spawn(database_url: str, *args: str, log: Path | None = None, **extra: str) -> subprocess.Popen:
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (lives as long as the process)
    return subprocess.Popen(
        [sys.executable, *args], env=process_env(database_url, **extra), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
    )


def seed_due_reminders(
    database_url: str, count: int, *, channel: str = "inbox", due_seconds_ago: float = 5, prefix: str = "seed"
) -> None:
    """Insert `count` due reminders straight into the table (the fast way a bench or test fills it)."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """
            INSERT INTO campaigns_reminder (key, occurrence, kind, title, text, red_packet_name, channel, due_at,
                status, next_attempt_at, attempts, last_error, claim_token, is_late, created_at)
            SELECT %(prefix)s || ':' || n, 0, 'custom', '提醒 ' || n, '', '', %(channel)s,
                   now() - make_interval(secs => %(ago)s), 'pending', now() - make_interval(secs => %(ago)s),
                   0, '', '', false, now()
            FROM generate_series(1, %(count)s) AS n
            """,
            {"channel": channel, "ago": due_seconds_ago, "count": count, "prefix": prefix},
        )


def fetch(database_url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()
